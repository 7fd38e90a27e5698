/**
 * @module recent_alerts
 * The capture service's bounded ring of recent alert records (newest first, for the UI's
 * GET /api/alerts) and its count of alert records by detector and state across captures (for
 * /metrics).
 */

/** Which recent alerts to list. */
export interface AlertQuery {
  limit?: number;
  severity?: number;
  detector?: string;
}

/** Recent alert records, newest first, at most `max`; counts survive `clear()`. */
export class RecentAlerts {
  readonly #max: number;
  /** Alert records, newest first. */
  #records: Record<string, unknown>[] = [];
  /** Alert records seen by (detector, state), across captures (for /metrics). */
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Alert records by "detector\u0000state", across captures. */
  get counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }

  /** Keeps `record` (an alert record) as the newest and counts it. */
  add(record: Record<string, unknown>): void {
    this.#records.unshift(record);
    if (this.#records.length > this.#max) this.#records.length = this.#max;
    const d = record.detection as { detector?: string; state?: string } | undefined;
    const key = `${d?.detector ?? "unknown"}\u0000${d?.state ?? "unknown"}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Forgets the records (a new capture starts); the counts stay. */
  clear(): void {
    this.#records = [];
  }

  /** Recent alert records, newest first, filtered. */
  list(query: AlertQuery = {}): Record<string, unknown>[] {
    const { limit = 100, severity, detector } = query;
    const out: Record<string, unknown>[] = [];
    for (const record of this.#records) {
      if (out.length >= limit) break;
      const alert = record.alert as { severity?: number } | undefined;
      const detection = record.detection as { detector?: string } | undefined;
      if (severity !== undefined && alert?.severity !== severity) continue;
      if (detector !== undefined && detection?.detector !== detector) continue;
      out.push(record);
    }
    return out;
  }
}
