/**
 * @module alert_csv
 * The CSV export of a listing (GET /api/alerts?format=csv): one row per alert, RFC 4180 quoting,
 * and cells that a spreadsheet would run as a formula (= + - @ first) prefixed with a quote, so
 * an attacker-chosen value cannot become one on a colleague's machine.
 */
import type { AlertItem } from "../core/store/alert_history.ts";

/** The export's columns, in order. */
export const CSV_COLUMNS = [
  "alert_id",
  "started",
  "last",
  "ended",
  "duration_s",
  "state",
  "detector",
  "severity",
  "signature",
  "src_ip",
  "src_port",
  "dest_ip",
  "dest_port",
  "proto",
  "count",
  "observed",
  "peak",
  "threshold",
  "records",
  "acked",
  "acked_at",
  "pcap",
  "explanation",
] as const;

/** The CSV text of `alerts` (header line first, CRLF line ends). */
export function alertsCsv(alerts: readonly AlertItem[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const item of alerts) {
    const row = csvRow(item);
    lines.push(CSV_COLUMNS.map((column) => cell(row[column])).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

function csvRow(item: AlertItem): Record<(typeof CSV_COLUMNS)[number], unknown> {
  const d = (item.detection ?? {}) as Record<string, unknown>;
  const a = (item.alert ?? {}) as Record<string, unknown>;
  const t = item.triage;
  return {
    alert_id: d.alert_id,
    started: t.started,
    last: t.last,
    ended: t.ended,
    duration_s: t.duration_s,
    state: d.state,
    detector: d.detector,
    severity: a.severity,
    signature: a.signature,
    src_ip: item.src_ip,
    src_port: item.src_port,
    dest_ip: item.dest_ip,
    dest_port: item.dest_port,
    proto: item.proto,
    count: d.count,
    observed: d.observed,
    peak: d.peak,
    threshold: d.threshold,
    records: t.records,
    acked: t.acked,
    acked_at: t.acked_at,
    pcap: t.pcap,
    explanation: d.explanation,
  };
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === "string") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
