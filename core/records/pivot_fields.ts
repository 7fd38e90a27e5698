/**
 * @module pivot_fields
 * The record fields an analyst joins on (issue 14), with Suricata's EVE names: where a record
 * comes from (`host`, `in_iface`, `capture_file`, on every record), and who an alert is about
 * (`alert.source`, `alert.target`) and which packet started it (`detection.trigger`, hashed into
 * `community_id`).
 */

/** An end of an alert, as Suricata's `alert.source` and `alert.target` name them. */
export type EveEndpoint = { ip: string; port?: number };

/** The TCP or UDP packet that started an alert (`detection.trigger`). */
export type AlertTrigger = {
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: "TCP" | "UDP";
};

/**
 * Where a record comes from, on every record the engine writes: the sensor (`host`), and the
 * interface of a live capture (`in_iface`) or the file read (`capture_file`).
 */
export type RecordOrigin = { host: string; in_iface?: string; capture_file?: string };

/**
 * `record` with its origin: `in_iface` after the timestamp, `capture_file` and `host` at the
 * end, where Suricata writes them.
 */
export function withOrigin<T extends { timestamp: string }>(record: T, origin: RecordOrigin): T {
  const { timestamp, ...rest } = record;
  return {
    timestamp,
    ...(origin.in_iface === undefined ? {} : { in_iface: origin.in_iface }),
    ...rest,
    ...(origin.capture_file === undefined ? {} : { capture_file: origin.capture_file }),
    host: origin.host,
  } as unknown as T;
}
