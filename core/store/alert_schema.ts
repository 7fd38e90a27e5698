/**
 * @module alert_schema
 * The alert history's SQLite file: its name, its tables and indexes, and how a connection to it
 * is opened (WAL, so the UI reads while a capture writes; incremental auto-vacuum, so evictions
 * give pages back). One row per alert in `alerts` (its latest state, for searching and sorting)
 * and every record of it, as the exact line written to network_activity.jsonl, in `records`
 * (the latest one is the row whose `seq` is the alert's `records` count: kept once, not twice).
 */
import { DatabaseSync } from "node:sqlite";

/** The history's file name in the log directory, beside network_activity.jsonl. */
export const STORE_FILE = "alerts.sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  alert_id TEXT NOT NULL UNIQUE,
  detector TEXT NOT NULL,
  state TEXT NOT NULL,
  severity INTEGER NOT NULL,
  signature TEXT NOT NULL,
  explanation TEXT NOT NULL,
  message TEXT,
  search TEXT NOT NULL,
  src_ip TEXT,
  dest_ip TEXT,
  started_us INTEGER NOT NULL,
  started TEXT NOT NULL,
  last_us INTEGER NOT NULL,
  last TEXT NOT NULL,
  ended TEXT,
  duration_s REAL NOT NULL,
  records INTEGER NOT NULL,
  pcap TEXT,
  stored_ms INTEGER NOT NULL,
  acked INTEGER NOT NULL DEFAULT 0,
  acked_at TEXT
);
CREATE INDEX IF NOT EXISTS alerts_last ON alerts(last_us);
CREATE INDEX IF NOT EXISTS alerts_src ON alerts(src_ip, last_us);
CREATE INDEX IF NOT EXISTS alerts_dest ON alerts(dest_ip, last_us);
CREATE INDEX IF NOT EXISTS alerts_detector ON alerts(detector, last_us);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state, last_us);
CREATE INDEX IF NOT EXISTS alerts_stored ON alerts(stored_ms);
CREATE INDEX IF NOT EXISTS alerts_duration ON alerts(duration_s);
CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity, last_us);
CREATE TABLE IF NOT EXISTS records (
  alert_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (alert_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * Opens (creating when missing) the history at `path`: WAL journal, incremental auto-vacuum,
 * the schema. `busyMs` is how long a statement waits for another connection's lock: 0 for the
 * capture's writer (a busy store costs a batch, never capture time).
 *
 * @throws when the file cannot be opened or is not a database
 */
export function openStoreDatabase(path: string, busyMs: number): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyMs))}`);
    // Takes effect only on a new file (before the first table): evictions then free pages.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Bytes the history's live pages hold (freed pages excluded). */
export function usedBytes(db: DatabaseSync): number {
  const pages = db.prepare("PRAGMA page_count").get() as { page_count: number };
  const free = db.prepare("PRAGMA freelist_count").get() as { freelist_count: number };
  const size = db.prepare("PRAGMA page_size").get() as { page_size: number };
  return (pages.page_count - free.freelist_count) * size.page_size;
}
