/**
 * @module alert_row
 * One alert record as the values the history's upsert binds: the searchable columns of the
 * `alerts` row (the latest record's) and the times it keeps after the alert ends.
 */
import type { AlertRecord } from "../records/eve_records.ts";

/** The values bound to the upsert statement (names as in core/store/alert_store_writer.ts). */
export type AlertRowValues = {
  alert_id: string;
  detector: string;
  state: string;
  severity: number;
  signature: string;
  explanation: string;
  /** The alert's own sentence (detection.message), when the record has one. */
  message: string | null;
  /** The searched text (GET /api/alerts?q=): the texts, detector, addresses and id, lower case. */
  search: string;
  src_ip: string | null;
  dest_ip: string | null;
  at_us: number;
  at: string;
  ended: string | null;
  end_duration: number | null;
  pcap: string | null;
  stored_ms: number;
};

/**
 * Microseconds since the epoch of an EVE timestamp ("2026-05-04T10:15:02.123456+0000", or any
 * ISO 8601 form Date parses); NaN when it is not a time.
 */
export function eveTimeUs(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (match === null) return Date.parse(text) * 1000;
  const zone = match[3] === "Z" ? "Z" : `${match[3]!.slice(0, 3)}:${match[3]!.slice(-2)}`;
  const seconds = Date.parse(`${match[1]}${zone}`);
  return seconds * 1000 + Number((match[2] ?? "").padEnd(6, "0"));
}

/** The upsert's values for `record`, stored at wall-clock `storedMs`. */
export function alertRowValues(record: AlertRecord, storedMs: number): AlertRowValues {
  const d = record.detection;
  const { pcap, message } = d as { pcap?: unknown; message?: unknown };
  const ended = d.state === "end";
  return {
    alert_id: d.alert_id,
    detector: d.detector,
    state: d.state,
    severity: record.alert.severity,
    signature: record.alert.signature,
    explanation: d.explanation,
    message: typeof message === "string" ? message : null,
    search: [
      record.alert.signature,
      message,
      d.explanation,
      d.detector,
      record.src_ip,
      record.dest_ip,
      d.alert_id,
    ].filter((t) => typeof t === "string").join("\n").toLowerCase(),
    src_ip: record.src_ip ?? null,
    dest_ip: record.dest_ip ?? null,
    at_us: eveTimeUs(record.timestamp),
    at: record.timestamp,
    ended: ended ? record.timestamp : null,
    end_duration: ended && typeof d.duration_s === "number" ? d.duration_s : null,
    pcap: typeof pcap === "string" ? pcap : null,
    stored_ms: storedMs,
  };
}
