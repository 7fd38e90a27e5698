/**
 * @module store_eviction
 * Keeps the alert history within its bounds (store.max_age_days, store.max_bytes): alerts stored
 * longer ago than the age, then the oldest stored alerts until the live pages fit the size, each
 * with all its records; the count is kept in the file (`counters.evicted_alerts`).
 */
import type { DatabaseSync } from "node:sqlite";
import { usedBytes } from "./alert_schema.ts";

/** The history's bounds. */
export interface StoreBounds {
  maxAgeDays: number;
  maxBytes: number;
}

/** Size passes at most per eviction: each removes a tenth of the alerts, so 20 is ample. */
const MAX_SIZE_PASSES = 20;

/**
 * Evicts what is past `bounds` at wall-clock `nowMs`; returns how many alerts went. Runs in one
 * transaction per pass, so a reader never sees an alert without its records.
 */
export function evictPastBounds(db: DatabaseSync, bounds: StoreBounds, nowMs: number): number {
  const cutoff = nowMs - bounds.maxAgeDays * 86_400_000;
  let evicted = evictWhere(db, "stored_ms < ?", [cutoff]);
  for (let pass = 0; pass < MAX_SIZE_PASSES; pass++) {
    const used = usedBytes(db);
    if (used <= bounds.maxBytes) break;
    const { n } = db.prepare("SELECT count(*) AS n FROM alerts").get() as { n: number };
    if (n === 0) break;
    // The overshoot's share of the alerts, at least a tenth (pages are not emptied evenly).
    const chunk = Math.max(1, Math.ceil(n / 10), Math.ceil(n * (used - bounds.maxBytes) / used));
    const last = db.prepare("SELECT rowid AS id FROM alerts ORDER BY rowid LIMIT 1 OFFSET ?")
      .get(chunk - 1) as { id: number };
    evicted += evictWhere(db, "rowid <= ?", [last.id]);
  }
  // Each row of the pragma frees one page: step through all of them (exec() stops at the first).
  if (evicted > 0) db.prepare("PRAGMA incremental_vacuum").all();
  return evicted;
}

/** Total alerts evicted from this history file since it was created. */
export function evictedTotal(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM counters WHERE name = 'evicted_alerts'").get() as
    | { value: number }
    | undefined;
  return row?.value ?? 0;
}

function evictWhere(db: DatabaseSync, where: string, args: number[]): number {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.prepare(
      `DELETE FROM records WHERE alert_id IN (SELECT alert_id FROM alerts WHERE ${where})`,
    ).run(...args);
    const { changes } = db.prepare(`DELETE FROM alerts WHERE ${where}`).run(...args);
    const n = Number(changes);
    if (n > 0) {
      db.prepare(
        "INSERT INTO counters (name, value) VALUES ('evicted_alerts', ?) " +
          "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
      ).run(n);
    }
    db.exec("COMMIT");
    return n;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
