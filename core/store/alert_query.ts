/**
 * @module alert_query
 * Which alerts to list from the history and in what order, as SQL over the `alerts` table: the
 * filters of GET /api/alerts (and of a host's alerts) become a WHERE clause with bound values,
 * never text pasted into the statement.
 */

/** Sort keys of GET /api/alerts, each an indexed or cheap column. */
export const SORT_COLUMNS = {
  time: "last_us",
  severity: "severity",
  detector: "detector",
  duration: "duration_s",
  src_ip: "src_ip",
  dest_ip: "dest_ip",
} as const;

/** A sort key of GET /api/alerts. */
export type AlertSort = keyof typeof SORT_COLUMNS;

/** Which alerts to list. */
export interface AlertQuery {
  limit: number;
  offset?: number;
  severity?: number;
  detector?: string;
  /** Source or destination, exact (canonical text). */
  ip?: string;
  /** Only alerts with this source. */
  srcIp?: string;
  /** Only alerts with this destination. */
  destIp?: string;
  /** Case-insensitive text in signature, message, explanation, detector, addresses or id. */
  q?: string;
  /** Latest record at or after this time (µs since the epoch). */
  sinceUs?: number;
  /** Latest record at or before this time (µs since the epoch). */
  untilUs?: number;
  state?: "open" | "ended";
  acked?: boolean;
  sort?: AlertSort;
  order?: "asc" | "desc";
}

/** A WHERE clause and its bound values. */
export interface SqlFilter {
  where: string;
  args: (string | number)[];
}

/** The WHERE clause of `query` ("1" when it filters nothing). */
export function alertFilter(query: AlertQuery): SqlFilter {
  const clauses: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    clauses.push(clause);
    args.push(...values);
  };
  if (query.severity !== undefined) add("severity = ?", query.severity);
  if (query.detector !== undefined) add("detector = ?", query.detector);
  if (query.ip !== undefined) add("(src_ip = ? OR dest_ip = ?)", query.ip, query.ip);
  if (query.srcIp !== undefined) add("src_ip = ?", query.srcIp);
  if (query.destIp !== undefined) add("dest_ip = ?", query.destIp);
  if (query.sinceUs !== undefined) add("last_us >= ?", query.sinceUs);
  if (query.untilUs !== undefined) add("last_us <= ?", query.untilUs);
  if (query.state !== undefined) {
    add(query.state === "open" ? "ended IS NULL" : "ended IS NOT NULL");
  }
  if (query.acked !== undefined) add("acked = ?", query.acked ? 1 : 0);
  if (query.q !== undefined && query.q !== "") {
    // One column holds the searched texts in lower case (core/store/alert_row.ts): one
    // comparison per row; the user's % and _ are matched literally.
    const pattern = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    add("search LIKE ? ESCAPE '\\'", pattern);
  }
  return { where: clauses.length === 0 ? "1" : clauses.join(" AND "), args };
}

/** The ORDER BY clause of `query`: its key, then the newest first among equals. */
export function alertOrder(query: AlertQuery): string {
  const sort = query.sort ?? "time";
  const direction = (query.order ?? defaultOrder(sort)) === "asc" ? "ASC" : "DESC";
  if (sort === "time") return `last_us ${direction}, rowid ${direction}`;
  return `${SORT_COLUMNS[sort]} ${direction}, last_us DESC, rowid DESC`;
}

/**
 * Newest and longest first by default; most severe first (EVE severity 1 is the highest); names
 * and addresses A to Z.
 */
export function defaultOrder(sort: AlertSort): "asc" | "desc" {
  return sort === "time" || sort === "duration" ? "desc" : "asc";
}
