/**
 * @module registry
 * Which factory builds each detector. One line per detector file.
 */
import type { DetectorName } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import { createHighPacketRate } from "./high_packet_rate.ts";
import { createFlood } from "./flood.ts";
import { createReflection } from "./reflection.ts";
import { createCaptureDrops } from "./capture_drops.ts";
import { createStateSaturation } from "./state_saturation.ts";
import { createHostSweep } from "./host_sweep.ts";
import { createPortScan } from "./port_scan.ts";
import { createUniqueConnections } from "./unique_connections.ts";
import { createUnusualPort } from "./unusual_port.ts";
import { createArpSpoofing } from "./arp_spoofing.ts";
import { createBruteForce } from "./brute_force.ts";

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
