/**
 * @module alert_history
 * Reads the alert history (alerts.sqlite in a log directory) for the UI: alerts listed with
 * filters, sorting and paging, one alert with every record of it, and acknowledgements (the one
 * thing the reader writes, to its own columns, so a running capture's writer is untouched). The
 * file is opened when first needed and exists: a UI started before any capture has nothing yet.
 */
import { existsSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";
import { describe } from "../records/log_directory.ts";
import { openStoreDatabase, STORE_FILE } from "./alert_schema.ts";
import { evictedTotal } from "./store_eviction.ts";
import { eveTimeUs } from "./alert_row.ts";
import { alertFilter, alertOrder, type AlertQuery } from "./alert_query.ts";

/** What the history adds to an alert's latest record (`triage` in the API). */
export type Triage = {
  started: string;
  last: string;
  ended: string | null;
  duration_s: number;
  records: number;
  acked: boolean;
  acked_at: string | null;
  pcap: string | null;
};

/** An alert as listed: its latest EVE record, unchanged, plus `triage`. */
export type AlertItem = Record<string, unknown> & { triage: Triage };

/** One page of a listing and how many alerts matched in all. */
export interface AlertPage {
  alerts: AlertItem[];
  total: number;
}

/** The history cannot be read (a broken or unreadable file): the API answers 503. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** Milliseconds a read or an acknowledgement waits for the capture's writer. */
const BUSY_MS = 250;
const ITEM_COLUMNS = "(SELECT line FROM records AS r WHERE r.alert_id = alerts.alert_id AND " +
  "r.seq = alerts.records) AS latest, started_us, last_us, ended, duration_s, records, acked, " +
  "acked_at, pcap";

type ItemRow = {
  latest: string;
  started_us: number;
  last_us: number;
  ended: string | null;
  duration_s: number;
  records: number;
  acked: number;
  acked_at: string | null;
  pcap: string | null;
};

/** The alert history of one log directory, for reading. */
export class AlertHistory {
  readonly path: string | null;
  #db: DatabaseSync | null = null;

  /** `directory` null: no history (records kept in memory only); every listing is empty. */
  constructor(directory: string | null) {
    this.path = directory === null ? null : `${directory}/${STORE_FILE}`;
  }

  /** Alerts matching `query`, one page of them, and the count of all that match. */
  list(query: AlertQuery): AlertPage {
    const db = this.#open();
    if (db === null) return { alerts: [], total: 0 };
    const { where, args } = alertFilter(query);
    const { n } = db.prepare(`SELECT count(*) AS n FROM alerts WHERE ${where}`).get(...args) as {
      n: number;
    };
    const rows = db.prepare(
      `SELECT ${ITEM_COLUMNS} FROM alerts WHERE ${where} ORDER BY ${alertOrder(query)} ` +
        "LIMIT ? OFFSET ?",
    ).all(...args, query.limit, query.offset ?? 0) as ItemRow[];
    return { alerts: rows.map(itemOf), total: n };
  }

  /** One alert: its item and every record of it, oldest first; null when unknown. */
  get(alertId: string): { alert: AlertItem; timeline: Record<string, unknown>[] } | null {
    const db = this.#open();
    if (db === null) return null;
    const row = db.prepare(`SELECT ${ITEM_COLUMNS} FROM alerts WHERE alert_id = ?`).get(alertId) as
      | ItemRow
      | undefined;
    if (row === undefined) return null;
    const lines = db.prepare("SELECT line FROM records WHERE alert_id = ? ORDER BY seq")
      .all(alertId) as { line: string }[];
    return { alert: itemOf(row), timeline: lines.map((l) => JSON.parse(l.line)) };
  }

  /** Sets an alert's acknowledgement; returns when it was set (null when cleared), or undefined
   * for an unknown alert. */
  ack(alertId: string, acked: boolean, now = new Date()): { acked_at: string | null } | undefined {
    const db = this.#open();
    if (db === null) return undefined;
    const ackedAt = acked ? now.toISOString() : null;
    const { changes } = db.prepare("UPDATE alerts SET acked = ?, acked_at = ? WHERE alert_id = ?")
      .run(acked ? 1 : 0, ackedAt, alertId);
    return Number(changes) === 0 ? undefined : { acked_at: ackedAt };
  }

  /** Alerts held and alerts evicted since the file was created. */
  counts(): { alerts: number; evicted: number } {
    const db = this.#open();
    if (db === null) return { alerts: 0, evicted: 0 };
    const { n } = db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number };
    return { alerts: n, evicted: evictedTotal(db) };
  }

  /** Closes the file (it is opened again when next needed). */
  close(): void {
    this.#db?.close();
    this.#db = null;
  }

  #open(): DatabaseSync | null {
    if (this.#db !== null || this.path === null || !existsSync(this.path)) return this.#db;
    try {
      this.#db = openStoreDatabase(this.path, BUSY_MS);
    } catch (error) {
      throw new StoreUnavailableError(
        `Cannot read the alert history ${this.path}: ${describe(error)} (fix the file or move ` +
          "it away; network_activity.jsonl holds every alert)",
      );
    }
    return this.#db;
  }
}

function itemOf(row: ItemRow): AlertItem {
  const record = JSON.parse(row.latest) as Record<string, unknown>;
  return {
    ...record,
    triage: {
      started: isoOfUs(row.started_us),
      last: isoOfUs(row.last_us),
      ended: row.ended === null ? null : isoOfUs(eveTimeUs(row.ended)),
      duration_s: row.duration_s,
      records: row.records,
      acked: row.acked === 1,
      acked_at: row.acked_at,
      pcap: row.pcap,
    },
  };
}

/** RFC 3339 in UTC with microseconds, e.g. "2026-05-04T10:15:02.123456Z". */
export function isoOfUs(us: number): string {
  const whole = Math.floor(us);
  const micros = String(((whole % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, "0");
  return `${new Date(Math.floor(whole / 1000)).toISOString().slice(0, 19)}.${micros}Z`;
}
