/**
 * @module alert_line
 * One readable line per alert start and end, for headless runs' stdout.
 */

interface AlertRecordView {
  timestamp: string;
  event_type: string;
  src_ip?: string;
  dest_ip?: string;
  alert: { severity: number };
  detection: {
    detector: string;
    state: string;
    count: number;
    duration_s?: number;
    message: string;
  };
}

/** The stdout line of an alert record, or null for records that get none (stats, updates). */
export function alertLine(record: Record<string, unknown>): string | null {
  if (record.event_type !== "alert") return null;
  const r = record as unknown as AlertRecordView;
  const state = r.detection.state;
  if (state !== "start" && state !== "end") return null;
  const who = [r.src_ip, r.dest_ip].filter((ip) => ip !== undefined).join(" -> ");
  const tail = state === "end"
    ? ` (ended after ${r.detection.duration_s ?? 0} s, ${r.detection.count} observations)`
    : "";
  const label = state === "start" ? "ALERT" : "END  ";
  return `${r.timestamp} ${label} [sev ${r.alert.severity}] ${r.detection.detector} ${who}: ` +
    `${r.detection.message}${tail}`;
}
