/**
 * @module capture_keys
 * The documented config keys of a capture: snaplen, kernel buffer, nice value, promiscuous
 * mode. Their defaults here are the only capture defaults: `core/run/capture_options.ts` reads
 * them for both run modes, and `ffi/capture.ts` falls back on them.
 */
import type { KeySpec } from "./config_spec.ts";

/** The capture keys, spread into CONFIG_KEYS. */
export const CAPTURE_KEYS: KeySpec[] = [
  {
    key: "capture.snaplen",
    kind: "integer",
    default: 512,
    min: 64,
    max: 262_144,
    doc: "Bytes kept of each live packet. Anomaly reads headers only, so a small snaplen " +
      "costs nothing in detection and cuts copying and kernel drops; raise it only for very " +
      "long IPv6 extension-header chains.",
  },
  {
    key: "capture.buffer_mib",
    kind: "integer",
    default: 32,
    min: 1,
    max: 2047,
    doc: "Kernel capture buffer in MiB. Larger absorbs longer bursts without drops at the " +
      "cost of locked memory (32 MiB held 0 drops at 0.7 M packets/s here). At most 2047: " +
      "libpcap takes the size in bytes as a C int.",
  },
  {
    key: "capture.nice",
    kind: "integer",
    default: -10,
    min: -20,
    max: 19,
    doc: "Nice value of Anomaly's threads during a live capture (needs root or " +
      "CAP_SYS_NICE; otherwise a warning and normal priority). Busy processes sharing the " +
      "cores starved a normal-priority capture into 37 % kernel drops here; at -10, none. " +
      "0 leaves the priority alone.",
  },
  {
    key: "capture.promiscuous",
    kind: "boolean",
    default: true,
    doc: "Capture traffic not addressed to this host (needed on a mirror port or hub).",
  },
];
