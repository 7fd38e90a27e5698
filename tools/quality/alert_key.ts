/**
 * @module alert_key
 * Alert records as the quality report sees them, and the (detector, key) an alert is about.
 * Records do not carry the detector's key, so it is rebuilt from the record's fields, detector
 * by detector as core/detect/ keys its alerts; an unknown detector falls back to every address
 * field (and the signature without numbers when it names no address).
 */

/** One alert start, as listed in the report. */
export interface AlertStartInfo {
  detector: string;
  /** Packet time of the start, µs since the epoch. */
  atUs: number;
  srcIp?: string;
  srcPort?: number;
  destIp?: string;
  destPort?: number;
  proto?: string;
  /**
   * The alert's sentence: `detection.message` (before the constant rule names, records carried
   * it in `alert.signature`, read when there is no message).
   */
  signature: string;
  /** The (detector, key) identity, for restarts. */
  key: string;
}

/** An alert record's fields this report reads, or null for any other record. */
export interface AlertRecordFields {
  detector: string;
  state: string;
  atUs: number;
  start: AlertStartInfo;
}

/** Microseconds since the epoch of an EVE timestamp ("2026-05-04T10:15:02.123456+0000"). */
export function parseEveTimestamp(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d):?(\d\d)$/.exec(text);
  if (match === null) return NaN;
  const [, base, frac = "0", hours = "+00", minutes = "00"] = match;
  const sign = hours.startsWith("-") ? -1 : 1;
  const offsetMs = sign * (Math.abs(Number(hours)) * 60 + Number(minutes)) * 60e3;
  const ms = Date.parse(`${base}Z`) - offsetMs;
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

/** Reads an EVE alert record; null for stats records or anything not shaped like an alert. */
export function readAlertRecord(record: Record<string, unknown>): AlertRecordFields | null {
  if (record.event_type !== "alert") return null;
  const detection = record.detection as Record<string, unknown> | undefined;
  const alert = record.alert as Record<string, unknown> | undefined;
  if (typeof detection?.detector !== "string" || typeof detection.state !== "string") return null;
  const detector = detection.detector;
  const atUs = typeof record.timestamp === "string" ? parseEveTimestamp(record.timestamp) : NaN;
  const start: AlertStartInfo = {
    detector,
    atUs,
    signature: typeof detection.message === "string"
      ? detection.message
      : typeof alert?.signature === "string"
      ? alert.signature
      : "",
    key: "",
  };
  if (typeof record.src_ip === "string") start.srcIp = record.src_ip;
  if (typeof record.src_port === "number") start.srcPort = record.src_port;
  if (typeof record.dest_ip === "string") start.destIp = record.dest_ip;
  if (typeof record.dest_port === "number") start.destPort = record.dest_port;
  if (typeof record.proto === "string") start.proto = record.proto;
  start.key = alertKey(start);
  return { detector, state: detection.state, atUs, start };
}

/** The (detector, key) identity of an alert, rebuilt from its fields. */
export function alertKey(a: Omit<AlertStartInfo, "key">): string {
  const parts = (...values: (string | number | undefined)[]) =>
    [a.detector, ...values.map((v) => v ?? "")].join("|");
  switch (a.detector) {
    case "high_packet_rate":
    case "unique_connections":
      return parts(a.srcIp);
    case "port_scan":
      return parts(a.srcIp, a.destIp);
    case "host_sweep":
      return parts(a.srcIp, a.proto, a.destPort);
    case "unusual_port":
      // Per (source, protocol, port), or per service (no source) once many sources used it.
      return a.srcIp !== undefined
        ? parts("src", a.srcIp, a.proto, a.destPort)
        : parts("service", a.destIp, a.proto, a.destPort);
    case "flood":
      return parts(a.destIp, a.proto);
    case "reflection":
      return parts(a.destIp, a.proto, a.srcPort);
    case "capture_drops":
      return parts();
    case "state_saturation":
      return parts(/the (\S+) table/.exec(a.signature)?.[1] ?? a.signature);
    default: {
      const fields = [a.srcIp, a.srcPort, a.destIp, a.destPort, a.proto];
      if (fields.some((f) => f !== undefined)) return parts(...fields);
      return parts(a.signature.replace(/\d+/g, "#"));
    }
  }
}

/** True for an alert outside the user's three rules (unusual_port counts for TCP only). */
export function outsideUserRules(a: AlertStartInfo): boolean {
  if (a.detector === "high_packet_rate" || a.detector === "unique_connections") return false;
  return !(a.detector === "unusual_port" && a.proto === "TCP");
}
