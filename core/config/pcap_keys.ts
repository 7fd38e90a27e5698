/**
 * @module pcap_keys
 * The documented config keys of the packets behind an alert (core/pcap/): the ring of recent
 * packets, the window written around an alert's start, and the bounds of the `pcap/` folder.
 */
import type { KeySpec } from "./config_spec.ts";

const MIB = 1024 * 1024;

/** The alert pcap keys, spread into CONFIG_KEYS. */
export const PCAP_KEYS: KeySpec[] = [
  {
    key: "pcap.enabled",
    kind: "boolean",
    default: true,
    doc: "Write the packets behind each alert to pcap/<alert_id>.pcap in the log directory " +
      "(named in the record as detection.pcap). Costs a copy of every frame (in the capture " +
      "thread; a busy batch's frames are then kept without a second copy) and the ring's " +
      "memory (pcap.ring_mib, plus 64 bytes per pcap.ring_packets): about 11 % more CPU " +
      "(user + sys) on --read of a million small packets here (under load), the 7 flood " +
      "pcaps of 20,000 packets it writes included; off, nothing is copied.",
  },
  {
    key: "pcap.before_s",
    kind: "number",
    default: 5,
    min: 0,
    max: 300,
    doc: "Seconds of packets before an alert's start that its pcap holds, taken from the ring " +
      "(which holds less under a heavy rate: see pcap.ring_mib).",
  },
  {
    key: "pcap.after_s",
    kind: "number",
    default: 5,
    min: 0,
    max: 300,
    doc: "Seconds of packets after an alert's start that its pcap holds; the file is complete " +
      "once that much packet time has passed (or the capture ended).",
  },
  {
    key: "pcap.ring_mib",
    kind: "integer",
    default: 64,
    min: 4,
    max: 4096,
    doc: "MiB of recent frame bytes kept for the before-window. 64 MiB is 5 s of 100 Mbit/s; " +
      "larger keeps the whole before-window of faster links at that cost in memory.",
  },
  {
    key: "pcap.ring_packets",
    kind: "integer",
    default: 262_144,
    min: 1024,
    max: 16_777_216,
    doc: "Recent packets kept for the before-window (64 bytes each besides their frames): " +
      "262,144 is 5 s at 50,000 packets/s; larger covers floods of small packets.",
  },
  {
    key: "pcap.max_packets_per_alert",
    kind: "integer",
    default: 20_000,
    min: 1,
    max: 10_000_000,
    doc: "Packets one alert's pcap holds at most; a flood's file stops there (counted in " +
      "summary.pcap.truncated).",
  },
  {
    key: "pcap.max_bytes_per_alert",
    kind: "integer",
    default: 16 * MIB,
    min: 4096,
    max: 1024 ** 3,
    doc: "Bytes one alert's pcap holds at most; the file stops there (counted as truncated).",
  },
  {
    key: "pcap.max_total_bytes",
    kind: "integer",
    default: 512 * MIB,
    min: MIB,
    max: 1024 ** 4,
    doc: "Bytes of all alert pcaps in the log directory, past runs included; beyond it the " +
      "oldest files are deleted (summary.pcap.evicted). Larger keeps older alerts' packets.",
  },
  {
    key: "pcap.max_open",
    kind: "integer",
    default: 32,
    min: 1,
    max: 1024,
    doc: "Alert pcaps being written at once (each waits for its after-window and holds a " +
      "256 KiB buffer); an alert starting beyond gets none (summary.pcap.skipped), so a storm " +
      "of decoy alerts costs bounded work.",
  },
];
