/**
 * @module store_fixtures
 * Alert records for the alert-history tests, shaped as the engine writes them (EVE alert with
 * `detection`), and a config with the store's keys set.
 */
import { applyOverrides, type Config, defaultConfig } from "../../../core/config/config.ts";
import type { AlertRecord } from "../../../core/records/eve_records.ts";
import { eveTimestamp } from "../../../core/records/eve_time.ts";
import type { DetectorName } from "../../../core/detect/catalog.ts";
import { T0_US } from "../../support/base.ts";

/** What varies between the fixture's records. */
export interface AlertFixture {
  id: string;
  state?: "start" | "update" | "end";
  detector?: DetectorName;
  src?: string;
  dest?: string;
  /** Seconds after T0_US. */
  atS?: number;
  severity?: 1 | 2 | 3;
  signature?: string;
  explanation?: string;
  durationS?: number;
  evidence?: Record<string, unknown>;
}

/** An alert record as the engine writes it. */
export function alertRecord(f: AlertFixture): AlertRecord {
  const at = eveTimestamp(T0_US + (f.atS ?? 0) * 1e6);
  // Built loosely: the record type gains fields as detectors do (message, trigger, evidence).
  const record = {
    timestamp: at,
    event_type: "alert",
    src_ip: f.src ?? "10.0.0.5",
    dest_ip: f.dest ?? "10.0.0.9",
    proto: "TCP",
    alert: {
      action: "allowed",
      gid: 1,
      signature_id: 9_000_001,
      rev: 1,
      signature: f.signature ?? `${f.src ?? "10.0.0.5"} probed 16 TCP ports`,
      category: "Attempted Information Leak",
      severity: f.severity ?? 2,
    },
    detection: {
      alert_id: f.id,
      detector: f.detector ?? "port_scan",
      state: f.state ?? "start",
      first_seen: eveTimestamp(T0_US),
      last_seen: at,
      count: 16,
      observed: 16,
      peak: 16,
      threshold: 15,
      window_s: 60,
      direction: "other",
      message: f.signature ?? `${f.src ?? "10.0.0.5"} probed 16 TCP ports`,
      explanation: f.explanation ?? "Many ports probed on one host",
      ...(f.durationS === undefined ? {} : { duration_s: f.durationS }),
    },
  };
  if (f.evidence !== undefined) {
    (record.detection as Record<string, unknown>).evidence = f.evidence;
  }
  return record as unknown as AlertRecord;
}

/** The defaults with `overrides` (dotted keys) applied. */
export function storeConfig(overrides: Record<string, unknown> = {}): Config {
  return applyOverrides(defaultConfig(), overrides);
}
