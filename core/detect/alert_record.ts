/**
 * @module alert_record
 * An open alert as the alert manager keeps it, and its EVE alert record (start, update, end).
 */
import { eveTimestamp } from "../records/eve_time.ts";
import { DIRECTION_NAMES } from "../packet/direction.ts";
import type { DetectorInfo } from "./catalog.ts";
import type { AlertHandle, AlertStart, AlertState } from "./alert_types.ts";

/** An open (or ended, resumable) alert: what its records say. */
export interface OpenAlert extends AlertHandle {
  ended: boolean;
  id: string;
  info: DetectorInfo;
  start: AlertStart;
  firstSeenUs: number;
  lastSeenUs: number;
  lastUpdateUs: number;
  count: number;
  countAtUpdate: number;
  observed: number;
  peak: number;
  /** Times the alert resumed after it had ended (within `alerts.suppress_s`). */
  resumed: number;
}

/** The EVE record of `alert` in `state` at packet time `atUs`. */
export function alertRecord(
  alert: OpenAlert,
  state: AlertState,
  atUs: number,
): Record<string, unknown> {
  const s = alert.start, info = alert.info;
  const observed = state === "start" ? s.observed : alert.observed;
  const record: Record<string, unknown> = {
    timestamp: eveTimestamp(atUs),
    event_type: "alert",
  };
  if (s.srcIp !== undefined) record.src_ip = s.srcIp;
  if (s.srcPort !== undefined) record.src_port = s.srcPort;
  if (s.destIp !== undefined) record.dest_ip = s.destIp;
  if (s.destPort !== undefined) record.dest_port = s.destPort;
  if (s.proto !== undefined) record.proto = s.proto;
  record.alert = {
    action: "allowed",
    gid: 1,
    signature_id: info.signatureId,
    rev: info.rev,
    signature: s.render(state === "start" ? s.observed : alert.peak),
    category: info.category,
    severity: info.severity,
  };
  record.detection = {
    alert_id: alert.id,
    detector: info.name,
    state,
    first_seen: eveTimestamp(alert.firstSeenUs),
    last_seen: eveTimestamp(alert.lastSeenUs),
    count: alert.count,
    observed,
    peak: alert.peak,
    threshold: s.threshold,
    window_s: s.windowS,
    direction: DIRECTION_NAMES[s.direction] ?? "other",
    explanation: s.explanation,
    ...(alert.resumed > 0 ? { resumed: alert.resumed } : {}),
    ...(state === "end" ? { duration_s: round((alert.lastSeenUs - alert.firstSeenUs) / 1e6) } : {}),
  };
  return record;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
