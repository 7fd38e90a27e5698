/**
 * @module alert_store_writer
 * Writes every alert record (start, update, end) of a capture to the alert history, as a
 * RecordListener beside network_activity.jsonl (which stays the SIEM's source of truth). Records
 * wait in memory and are written in one transaction every `store.flush_ms` (or past 500), with
 * prepared statements, so capture never waits on the disk per record. The history is a
 * convenience: a store that cannot be opened or written costs a one-line warning and its
 * records (counted as lost), never the capture. The file is held open only while alerts flow:
 * it is closed after `IDLE_CLOSE_MS` without one and at once after a failed write, so that a
 * full or failing file system can be remounted read-only (as the records file allows).
 */
import type { StatementSync } from "node:sqlite";
import type { DatabaseSync } from "node:sqlite";
import { type Config, flag, num } from "../config/config.ts";
import type { AlertRecord, EveRecord } from "../records/eve_records.ts";
import { describe } from "../records/log_directory.ts";
import { log } from "../records/diagnostics.ts";
import { openStoreDatabase, STORE_FILE } from "./alert_schema.ts";
import { alertRowValues } from "./alert_row.ts";
import { evictPastBounds, type StoreBounds } from "./store_eviction.ts";

/** Records buffered before a flush is forced. */
const FLUSH_RECORDS = 500;
/** Wall-clock milliseconds between eviction checks (each costs a few pragmas). */
const EVICT_EVERY_MS = 10_000;
/** Wall-clock milliseconds without an alert record after which the file is closed. */
const IDLE_CLOSE_MS = 2_000;

/** An open history file with its prepared statements. */
interface Connection {
  db: DatabaseSync;
  upsert: StatementSync;
  insertRecord: StatementSync;
  hasRecord: StatementSync;
}

function connect(path: string): Connection {
  const db = openStoreDatabase(path, 0);
  try {
    return {
      db,
      upsert: db.prepare(UPSERT),
      insertRecord: db.prepare("INSERT INTO records (alert_id, seq, line) VALUES (?, ?, ?)"),
      hasRecord: db.prepare("SELECT 1 AS found FROM records WHERE alert_id = ? AND line = ?"),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

const UPSERT = `
INSERT INTO alerts (alert_id, detector, state, severity, signature, explanation, message, search,
  src_ip, dest_ip,
  started_us, started, last_us, last, ended, duration_s, records, pcap, stored_ms)
VALUES (:alert_id, :detector, :state, :severity, :signature, :explanation, :message, :search,
  :src_ip, :dest_ip,
  :at_us, :at, :at_us, :at, :ended, coalesce(:end_duration, 0), 1, :pcap, :stored_ms)
ON CONFLICT(alert_id) DO UPDATE SET
  detector = excluded.detector, state = excluded.state, severity = excluded.severity,
  signature = excluded.signature, explanation = excluded.explanation, message = excluded.message,
  search = excluded.search,
  src_ip = excluded.src_ip, dest_ip = excluded.dest_ip,
  last_us = excluded.last_us, last = excluded.last, ended = excluded.ended,
  duration_s = coalesce(:end_duration, max(0, (excluded.last_us - alerts.started_us) / 1e6)),
  records = alerts.records + 1,
  pcap = coalesce(excluded.pcap, alerts.pcap)
RETURNING records`;

/** Writes alert records to `alerts.sqlite` in a log directory. */
export class AlertStoreWriter {
  readonly path: string;
  /** Null while idle or after a failure: opened again by the next flush. */
  #connection: Connection | null;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #bounds: StoreBounds;
  readonly #flushMs: number;
  #pending: [AlertRecord, string][] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastEvictMs = 0;
  #failing: string | null = null;
  #closed = false;
  /** Records written to the history. */
  written = 0;
  /** Records that could not be written (the store failed). */
  lost = 0;
  /** Alerts evicted by age or size by this writer. */
  evicted = 0;
  /** Wall-clock milliseconds spent in flushes (transactions), for the figures. */
  flushMs = 0;

  private constructor(path: string, connection: Connection, config: Config) {
    this.path = path;
    this.#connection = connection;
    this.#bounds = {
      maxAgeDays: num(config, "store.max_age_days"),
      maxBytes: num(config, "store.max_bytes"),
    };
    this.#flushMs = num(config, "store.flush_ms");
    this.#evict(connection.db);
    this.#disconnect(); // opened to check it and evict; held again only while alerts flow
  }

  /**
   * Opens the history in `directory`; null (after one warning naming the file, the reason and
   * the fix) when it cannot be opened, or when `store.enabled` is off.
   */
  static open(directory: string, config: Config): AlertStoreWriter | null {
    if (!flag(config, "store.enabled")) return null;
    const path = `${directory}/${STORE_FILE}`;
    try {
      return new AlertStoreWriter(path, connect(path), config);
    } catch (error) {
      log.warn("{message}", {
        message: `Cannot open the alert history ${path}: ${describe(error)}; capture goes on ` +
          "and network_activity.jsonl is written, but this run's alerts are not searchable " +
          "(fix the directory, or move the file away to start a new history)",
      });
      return null;
    }
  }

  /** The RecordListener to pass to the engine: buffers alert records, ignores the rest. */
  readonly listener = (record: EveRecord, line: string): void => {
    if (record.event_type !== "alert" || this.#closed) return;
    this.#pending.push([record, line]);
    if (this.#pending.length >= FLUSH_RECORDS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  };

  /** Writes the buffered records in one transaction (a failure loses them, counted). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const started = performance.now();
    let written = false;
    try {
      const connection = this.#connection ??= connect(this.path);
      this.#write(connection, batch);
      written = true;
      this.written += batch.length;
      if (this.#failing !== null) this.#resumed();
      this.#evictEvery(connection.db, Date.now());
      this.#closeWhenIdle();
    } catch (error) {
      if (!written) this.lost += batch.length;
      this.#failed(error);
    }
    this.flushMs += performance.now() - started;
  }

  /** Writes what is buffered and closes the file (the capture ended). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#disconnect();
  }

  #write(connection: Connection, batch: [AlertRecord, string][]): void {
    const { db, hasRecord, upsert, insertRecord } = connection;
    const storedMs = Date.now();
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const [record, line] of batch) {
        // Alert ids come from packet time: reading the same file again gives the same records,
        // which the history already holds (an alert keeps one timeline, not two).
        if (hasRecord.get(record.detection.alert_id, line) !== undefined) continue;
        const row = upsert.get(alertRowValues(record, storedMs)) as { records: number };
        insertRecord.run(record.detection.alert_id, row.records, line);
      }
      db.exec("COMMIT");
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch { /* the transaction may already be gone */ }
      throw error;
    }
  }

  /** Closes the file once no alert record came for IDLE_CLOSE_MS. */
  #closeWhenIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.length === 0) this.#disconnect();
    }, IDLE_CLOSE_MS);
    Deno.unrefTimer(this.#idleTimer);
  }

  #disconnect(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const connection = this.#connection;
    this.#connection = null;
    try {
      connection?.db.close();
    } catch { /* closing a failed store has nothing left to save */ }
  }

  #evictEvery(db: DatabaseSync, nowMs: number): void {
    if (nowMs - this.#lastEvictMs < EVICT_EVERY_MS) return;
    this.#evict(db, nowMs);
  }

  #evict(db: DatabaseSync, nowMs = Date.now()): void {
    this.#lastEvictMs = nowMs;
    const n = evictPastBounds(db, this.#bounds, nowMs);
    if (n === 0) return;
    this.evicted += n;
    log.info(
      "Alert history {path}: evicted {n} alerts past store.max_age_days or " +
        "store.max_bytes",
      { path: this.path, n },
    );
  }

  #failed(error: unknown): void {
    // Closed, so that nothing holds a failing file system busy; the next flush reopens it.
    this.#disconnect();
    const reason = describe(error);
    if (this.#failing !== null) return;
    this.#failing = reason;
    log.warn("{message}", {
      message: `Cannot write the alert history ${this.path}: ${reason}; capture goes on and ` +
        "network_activity.jsonl keeps every alert, but they are missing from searches until " +
        "writing resumes (free space or fix the file)",
    });
  }

  #resumed(): void {
    log.warn("Writing the alert history {path} resumed: {lost} alert records were lost ({why})", {
      path: this.path,
      lost: this.lost,
      why: this.#failing,
    });
    this.#failing = null;
  }
}
