/**
 * @module alert_params
 * The query parameters of GET /api/alerts, checked: each bad one is refused with a message that
 * names it and what it accepts. Addresses are made canonical (as records write them), so
 * `?ip=fe80:0::1` finds `fe80::1`.
 */
import { DETECTOR_NAMES } from "../core/detect/catalog.ts";
import { parseAddress } from "../core/packet/ip_address.ts";
import { formatIpv4, formatIpv6 } from "../core/packet/packet_batch.ts";
import { eveTimeUs } from "../core/store/alert_row.ts";
import { type AlertQuery, type AlertSort, SORT_COLUMNS } from "../core/store/alert_query.ts";

/** Every parameter GET /api/alerts accepts. */
export const ALERT_PARAMS = [
  "limit",
  "offset",
  "severity",
  "detector",
  "ip",
  "q",
  "since",
  "until",
  "state",
  "acked",
  "sort",
  "order",
  "format",
  "download",
] as const;

/** Alerts per page (and per export) by default and at most. */
export const PAGE_LIMITS = { page: 100, maxPage: 1000, export: 10_000, maxExport: 100_000 };
const MAX_Q_LENGTH = 200;

/** A checked listing request. */
export interface AlertListing {
  query: AlertQuery;
  format: "json" | "csv";
  /** Answer as an attachment (always for CSV). */
  download: boolean;
}

/** The canonical text of an address ("10.0.0.5", "fe80::1"), or null when `text` is not one. */
export function canonicalAddress(text: string): string | null {
  const parsed = text.length > 64 ? null : parseAddress(text);
  if (parsed === null) return null;
  return parsed.version === 4
    ? formatIpv4(parsed.words[0])
    : formatIpv6(Int32Array.from(parsed.words), 0);
}

/** The listing `params` ask for, or the one-line reason they are refused. */
export function parseAlertParams(params: Record<string, string>): AlertListing | string {
  const unknown = Object.keys(params).filter((k) =>
    !(ALERT_PARAMS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    return `Unknown parameter${unknown.length > 1 ? "s" : ""} ${
      unknown.map((k) => `"${k}"`).join(", ")
    }: expected ${ALERT_PARAMS.join(", ")}`;
  }
  const format = oneOf(params, "format", ["json", "csv"]);
  const download = oneOf(params, "download", ["1", "0", "true", "false"]);
  if (format === null) return badEnum("format", params.format!, "json, csv");
  if (download === null) return badEnum("download", params.download!, "1, 0, true, false");
  const exporting = format === "csv" || download === "1" || download === "true";
  const [fallback, max] = exporting
    ? [PAGE_LIMITS.export, PAGE_LIMITS.maxExport]
    : [PAGE_LIMITS.page, PAGE_LIMITS.maxPage];
  const query: AlertQuery = { limit: fallback };
  const problem = readNumbers(params, query, max) ?? readFilters(params, query);
  if (problem !== null) return problem;
  return { query, format: format === "csv" ? "csv" : "json", download: exporting };
}

function readNumbers(
  params: Record<string, string>,
  query: AlertQuery,
  max: number,
): string | null {
  if (params.limit !== undefined) {
    const limit = wholeNumber(params.limit, 1, max);
    if (limit === null) return `Bad limit "${params.limit}": expected 1 to ${max}`;
    query.limit = limit;
  }
  if (params.offset !== undefined) {
    const offset = wholeNumber(params.offset, 0, 999_999_999);
    if (offset === null) return `Bad offset "${params.offset}": expected a whole number from 0`;
    query.offset = offset;
  }
  if (params.severity !== undefined) {
    const severity = wholeNumber(params.severity, 1, 255);
    if (severity === null) {
      return `Bad severity "${params.severity}": expected a whole number from 1 to 255`;
    }
    query.severity = severity;
  }
  for (const name of ["since", "until"] as const) {
    if (params[name] === undefined) continue;
    const us = timeUs(params[name]);
    if (us === null) {
      return `Bad ${name} "${params[name]}": expected an ISO 8601 time ` +
        "(2026-05-04T10:15:00Z) or Unix seconds";
    }
    query[name === "since" ? "sinceUs" : "untilUs"] = us;
  }
  return null;
}

function readFilters(params: Record<string, string>, query: AlertQuery): string | null {
  const detector = params.detector || undefined;
  if (detector !== undefined) {
    if (!(DETECTOR_NAMES as readonly string[]).includes(detector)) {
      return `Unknown detector "${detector}": expected one of ${DETECTOR_NAMES.join(", ")}`;
    }
    query.detector = detector;
  }
  if (params.ip !== undefined) {
    const ip = canonicalAddress(params.ip);
    if (ip === null) {
      return `Bad ip "${params.ip}": expected an IPv4 or IPv6 address, e.g. 10.0.0.5`;
    }
    query.ip = ip;
  }
  if (params.q !== undefined) {
    if (params.q.length > MAX_Q_LENGTH) return `Bad q: at most ${MAX_Q_LENGTH} characters`;
    query.q = params.q;
  }
  const state = oneOf(params, "state", ["open", "ended"]);
  const acked = oneOf(params, "acked", ["true", "false"]);
  const sort = oneOf(params, "sort", Object.keys(SORT_COLUMNS));
  const order = oneOf(params, "order", ["asc", "desc"]);
  if (state === null) return badEnum("state", params.state!, "open, ended");
  if (acked === null) return badEnum("acked", params.acked!, "true, false");
  if (sort === null) return badEnum("sort", params.sort!, Object.keys(SORT_COLUMNS).join(", "));
  if (order === null) return badEnum("order", params.order!, "asc, desc");
  if (state !== undefined) query.state = state as "open" | "ended";
  if (acked !== undefined) query.acked = acked === "true";
  if (sort !== undefined) query.sort = sort as AlertSort;
  if (order !== undefined) query.order = order as "asc" | "desc";
  return null;
}

/** The value of `name` if it is one of `allowed`, undefined when absent, null when bad. */
function oneOf(
  params: Record<string, string>,
  name: string,
  allowed: string[],
): string | null | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  return allowed.includes(value) ? value : null;
}

function badEnum(name: string, value: string, allowed: string): string {
  return `Bad ${name} "${value}": expected one of ${allowed}`;
}

/** A query parameter's whole number from `min` to `max`, or null (the API's one reading). */
export function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d{1,9}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/** µs since the epoch of Unix seconds ("1714817700", "1714817700.5") or an ISO 8601 time. */
function timeUs(text: string): number | null {
  if (/^\d{1,12}(\.\d{1,6})?$/.test(text)) return Math.round(Number(text) * 1e6);
  if (!/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d))?$/.test(text)) {
    return null;
  }
  const us = eveTimeUs(text);
  return Number.isFinite(us) ? us : null;
}
