/**
 * @module keyed_state
 * The one shape of per-key detector state: a Map with a hard cap, idle expiry in packet time and
 * eviction counters. Entries touched within the last second keep their place; older ones move
 * to the back when touched, so when the table is full the least recently active key goes first
 * (an attacker that keeps sending survives a flood of one-packet spoofed sources).
 */
import type { TableKey } from "../bounded_table.ts";

/** What every entry carries. */
export interface KeyedEntry {
  /** Packet time of the last touch, µs. */
  lastSeenUs: number;
  /** Packet time the entry last moved to the back of the table (set by KeyedState). */
  movedUs: number;
}

/** Counters a tracker reports in stats records, the API and state_saturation alerts. */
export interface TrackerStats {
  name: string;
  size: number;
  cap: number;
  /** Entries dropped because the table was full. */
  evictions: number;
  /** Entries dropped because they were idle past their expiry. */
  expired: number;
}

const LRU_REFRESH_US = 1_000_000;
/** Active entries moved to the back per eviction at most (bounds the work of one insert). */
const SECOND_CHANCES = 4;

/** A capped, expiring Map of per-key state. */
export class KeyedState<V extends KeyedEntry> {
  readonly #map = new Map<TableKey, V>();
  #evictions = 0;
  #cursor: IterableIterator<[TableKey, V]> | null = null;
  #expired = 0;

  /**
   * @param name shown in stats ("port_scan.pairs")
   * @param cap entries kept at most
   * @param idleUs entries idle longer than this are dropped by `sweep`
   */
  constructor(readonly name: string, readonly cap: number, readonly idleUs: number) {}

  get size(): number {
    return this.#map.size;
  }

  get evictions(): number {
    return this.#evictions;
  }

  /** The entry for `key`, marked as seen at `nowUs`; undefined when absent. */
  get(key: TableKey, nowUs: number): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (nowUs - entry.movedUs >= LRU_REFRESH_US) {
      this.#map.delete(key);
      this.#map.set(key, entry);
      entry.movedUs = nowUs;
    }
    if (nowUs > entry.lastSeenUs) entry.lastSeenUs = nowUs;
    return entry;
  }

  /** The entry without touching it. */
  peek(key: TableKey): V | undefined {
    return this.#map.get(key);
  }

  /**
   * Adds an entry, evicting the least recently active one when full. An entry at the front that
   * was touched since it last moved gets a second chance (moves to the back) instead: a key
   * that keeps sending survives a flood of one-shot keys faster than `cap` per second.
   */
  insert(key: TableKey, entry: V): V {
    if (this.#map.size >= this.cap && !this.#map.has(key)) this.#evictOne(entry.lastSeenUs);
    entry.movedUs = entry.lastSeenUs;
    this.#map.set(key, entry);
    return entry;
  }

  #evictOne(nowUs: number): void {
    for (let chances = 0; chances <= SECOND_CHANCES; chances++) {
      const front = this.#front();
      if (front === undefined) return;
      const [key, entry] = front;
      if (chances < SECOND_CHANCES && entry.lastSeenUs > entry.movedUs) {
        this.#map.delete(key);
        this.#map.set(key, entry);
        entry.movedUs = Math.max(entry.lastSeenUs, nowUs);
        continue;
      }
      this.#map.delete(key);
      this.#evictions++;
      return;
    }
  }

  /**
   * The entry at the front, taken from one long-lived iterator. A fresh iterator per eviction
   * would walk every deleted slot V8 keeps at the front of the Map until it rehashes: quadratic
   * once the table is full. Everything the cursor passes is deleted or moved behind it, and
   * Map iterators see entries appended later, so its next entry is always the front.
   */
  #front(): [TableKey, V] | undefined {
    for (let fresh = 0; fresh < 2; fresh++) {
      this.#cursor ??= this.#map.entries();
      const next = this.#cursor.next();
      if (!next.done) return next.value;
      this.#cursor = null;
    }
    return undefined;
  }

  delete(key: TableKey): void {
    this.#map.delete(key);
  }

  /**
   * Drops entries idle since before `nowUs - idleUs`; `onExpire` sees each before it goes. The
   * table is ordered by `movedUs`, and an entry's last touch is within a second of it (or, after
   * a second chance, before it), so the walk stops at the first entry moved after the limit; a
   * second-chance entry may outlive its expiry by up to `idleUs`.
   */
  sweep(nowUs: number, onExpire?: (key: TableKey, entry: V) => void): void {
    const limit = nowUs - this.idleUs;
    for (const [key, entry] of this.#map) {
      if (entry.movedUs >= limit) break;
      if (entry.lastSeenUs >= limit) continue;
      onExpire?.(key, entry);
      this.#map.delete(key);
      this.#expired++;
    }
  }

  entries(): IterableIterator<[TableKey, V]> {
    return this.#map.entries();
  }

  stats(): TrackerStats {
    return {
      name: this.name,
      size: this.#map.size,
      cap: this.cap,
      evictions: this.#evictions,
      expired: this.#expired,
    };
  }
}
