/**
 * @module store_keys
 * The documented config keys of the alert history (core/store/): how long and how much of it is
 * kept, and how often buffered alert records are written to it.
 */
import type { KeySpec } from "./config_spec.ts";

const MIB = 1024 * 1024;

/** The alert store's keys, spread into CONFIG_KEYS. */
export const STORE_KEYS: KeySpec[] = [
  {
    key: "store.enabled",
    kind: "boolean",
    default: true,
    doc: "Keep the alert history (alerts.sqlite in the log directory) that the UI searches, " +
      "past runs included. Off, GET /api/alerts has nothing to answer from; " +
      "network_activity.jsonl is written either way.",
  },
  {
    key: "store.max_age_days",
    kind: "integer",
    default: 30,
    min: 1,
    max: 3650,
    doc: "Days an alert stays in the history after it was stored (wall clock, so alerts of an " +
      "old capture file are kept as long as live ones). Longer keeps more to search; the " +
      "records file and the SIEM keep everything regardless. Evictions are counted.",
  },
  {
    key: "store.max_bytes",
    kind: "integer",
    default: 256 * MIB,
    min: MIB,
    max: 1024 ** 4,
    doc: "Bytes of alerts the history holds; beyond it the oldest stored alerts are evicted " +
      "(counted) and their pages given back. About 1-2 KiB per alert record, so the default " +
      "holds some 150,000 records; larger keeps more history at that cost in disk.",
  },
  {
    key: "store.flush_ms",
    kind: "integer",
    default: 200,
    min: 10,
    max: 10_000,
    doc: "Milliseconds alert records wait in memory before they are written to the history in " +
      "one transaction (also written at once past 500 records). Longer batches more per write " +
      "under an alert storm; shorter shows alerts in searches sooner. Records still waiting " +
      "are written when the capture ends.",
  },
];
