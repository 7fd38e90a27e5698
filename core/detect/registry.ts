/**
 * @module registry
 * Which factory builds each detector. One line per detector file.
 */
import type { DetectorName } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import { createHighPacketRate } from "./high_packet_rate.ts";

/** Factories by detector name. */
export const DETECTOR_FACTORIES: Partial<Record<DetectorName, (deps: DetectorDeps) => Detector>> = {
  high_packet_rate: createHighPacketRate,
};
