/**
 * @module registry
 * Which factory builds each detector. One line per detector file.
 */
import type { DetectorName } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import { createHighPacketRate } from "./detectors/high_packet_rate.ts";
import { createFlood } from "./detectors/flood.ts";
import { createReflection } from "./detectors/reflection.ts";
import { createCaptureDrops } from "./detectors/capture_drops.ts";
import { createStateSaturation } from "./detectors/state_saturation.ts";
import { createHostSweep } from "./detectors/host_sweep.ts";
import { createPortScan } from "./detectors/port_scan.ts";
import { createUniqueConnections } from "./detectors/unique_connections.ts";
import { createUnusualPort } from "./detectors/unusual_port.ts";
import { createArpSpoofing } from "./detectors/arp_spoofing.ts";
import { createBruteForce } from "./detectors/brute_force.ts";

/** Factories by detector name. */
export const DETECTOR_FACTORIES: Partial<Record<DetectorName, (deps: DetectorDeps) => Detector>> = {
  high_packet_rate: createHighPacketRate,
  flood: createFlood,
  reflection: createReflection,
  capture_drops: createCaptureDrops,
  unique_connections: createUniqueConnections,
  unusual_port: createUnusualPort,
  port_scan: createPortScan,
  host_sweep: createHostSweep,
  arp_spoofing: createArpSpoofing,
  brute_force: createBruteForce,
  // Last: it reports what the others did this tick (evictions, dropped alerts), finish included.
  state_saturation: createStateSaturation,
};
