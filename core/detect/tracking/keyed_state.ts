/**
 * @module keyed_state
 * The one shape of per-key detector state: a table with a hard cap, idle expiry in packet time
 * and eviction counters. Entries touched within the last second keep their place; older ones
 * move to the back when touched, so when the table is full the least recently active key goes
 * first (an attacker that keeps sending survives a flood of one-packet spoofed sources).
 *
 * Built on typed arrays rather than a Map: under a spoofed flood every packet inserts a key and
 * evicts one, and a Map pays for that with a rehash of the whole table every few thousand
 * deletions and garbage to collect. Here entries sit in a pool, the order is a linked list of
 * pool indices (moving an entry is four writes), and keys are found through a KeyIndex (IPv6
 * keys, which are text, by a hash).
 */
import type { TableKey } from "../../packet/host_key.ts";
import { KeyIndex } from "../../packet/numeric_index.ts";
import { NONE, PoolOrder } from "./pool_order.ts";

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
  /**
   * The connection table only: attempts toward hosts under a flood alert that were counted,
   * not tracked (core/detect/tracking/flood_shedding.ts).
   */
  shed?: number;
}

const LRU_REFRESH_US = 1_000_000;
/** Active entries moved to the back per eviction at most (bounds the work of one insert). */
const SECOND_CHANCES = 4;
/** Pool entries allocated at first; the pool doubles up to the cap. */
const INITIAL_POOL = 256;

/** A capped, expiring table of per-key state, ordered from least to most recently moved. */
export class KeyedState<V extends KeyedEntry> {
  #numericKeys = new Float64Array(0);
  #textKeys: (string | null)[] = [];
  #values: (V | undefined)[] = [];
  readonly #order = new PoolOrder();
  readonly #index = new KeyIndex();
  #poolSize = 0;
  #size = 0;
  #evictions = 0;
  #expired = 0;

  /**
   * @param name shown in stats ("port_scan.pairs")
   * @param cap entries kept at most
   * @param idleUs entries idle longer than this are dropped by `sweep`
   */
  constructor(readonly name: string, readonly cap: number, readonly idleUs: number) {
    this.#grow(Math.min(cap, INITIAL_POOL));
  }

  get size(): number {
    return this.#size;
  }

  get evictions(): number {
    return this.#evictions;
  }

  /** The entry for `key`, marked as seen at `nowUs`; undefined when absent. */
  get(key: TableKey, nowUs: number): V | undefined {
    const i = this.#index.get(key);
    if (i === NONE) return undefined;
    const entry = this.#values[i]!;
    if (nowUs - entry.movedUs >= LRU_REFRESH_US) {
      this.#order.moveToBack(i);
      entry.movedUs = nowUs;
    }
    if (nowUs > entry.lastSeenUs) entry.lastSeenUs = nowUs;
    return entry;
  }

  /** The entry without touching it. */
  peek(key: TableKey): V | undefined {
    const i = this.#index.get(key);
    return i === NONE ? undefined : this.#values[i];
  }

  /**
   * Adds an entry, evicting the least recently active one when full. An entry at the front that
   * was touched since it last moved gets a second chance (moves to the back) instead: a key
   * that keeps sending survives a flood of one-shot keys faster than `cap` per second. A key
   * already present gets the new entry in its old place.
   */
  insert(key: TableKey, entry: V): V {
    entry.movedUs = entry.lastSeenUs;
    const present = this.#index.get(key);
    if (present !== NONE) {
      this.#values[present] = entry;
      return entry;
    }
    if (this.#size >= this.cap) this.#evictOne(entry.lastSeenUs);
    if (this.#order.free === NONE) this.#grow(Math.min(this.cap, this.#poolSize * 2));
    const i = this.#order.take();
    this.#values[i] = entry;
    if (typeof key === "number") {
      this.#numericKeys[i] = key + 0; // -0 is 0, as in a Map
      this.#textKeys[i] = null;
    } else {
      this.#textKeys[i] = key;
    }
    this.#index.set(key, i);
    this.#order.linkAtBack(i);
    this.#size++;
    return entry;
  }

  delete(key: TableKey): void {
    const i = this.#index.get(key);
    if (i !== NONE) this.#remove(i);
  }

  /**
   * Drops entries idle since before `nowUs - idleUs`; `onExpire` sees each before it goes. The
   * table is ordered by `movedUs`, and an entry's last touch is within a second of it (or, after
   * a second chance, before it), so the walk stops at the first entry moved after the limit; a
   * second-chance entry may outlive its expiry by up to `idleUs`.
   */
  sweep(nowUs: number, onExpire?: (key: TableKey, entry: V) => void): void {
    const limit = nowUs - this.idleUs;
    for (let i = this.#order.head; i !== NONE;) {
      const entry = this.#values[i]!;
      if (entry.movedUs >= limit) break;
      const next = this.#order.next[i]!;
      if (entry.lastSeenUs < limit) {
        onExpire?.(this.#keyAt(i), entry);
        this.#remove(i);
        this.#expired++;
      }
      i = next;
    }
  }

  /** Every entry, front (least recently moved) first; deleting the current one is safe. */
  *entries(): IterableIterator<[TableKey, V]> {
    for (let i = this.#order.head; i !== NONE;) {
      const next = this.#order.next[i]!;
      yield [this.#keyAt(i), this.#values[i]!];
      i = next;
    }
  }

  stats(): TrackerStats {
    return {
      name: this.name,
      size: this.#size,
      cap: this.cap,
      evictions: this.#evictions,
      expired: this.#expired,
    };
  }

  #evictOne(nowUs: number): void {
    for (let chances = 0; chances <= SECOND_CHANCES; chances++) {
      const front = this.#order.head;
      if (front === NONE) return;
      const entry = this.#values[front]!;
      if (chances < SECOND_CHANCES && entry.lastSeenUs > entry.movedUs) {
        this.#order.moveToBack(front);
        entry.movedUs = Math.max(entry.lastSeenUs, nowUs);
        continue;
      }
      this.#remove(front);
      this.#evictions++;
      return;
    }
  }

  #keyAt(i: number): TableKey {
    return this.#textKeys[i] ?? this.#numericKeys[i]!;
  }

  #remove(i: number): void {
    this.#index.delete(this.#keyAt(i));
    this.#order.unlink(i);
    this.#values[i] = undefined;
    this.#textKeys[i] = null;
    this.#order.release(i);
    this.#size--;
  }

  /** Resizes the pool to `size` entries. */
  #grow(size: number): void {
    const old = this.#poolSize;
    if (size <= old) size = old + 1; // a cap of 0 or a full pool below the cap: room for one
    this.#numericKeys = resized(this.#numericKeys, new Float64Array(size));
    this.#order.grow(old, size);
    for (let i = old; i < size; i++) {
      this.#textKeys.push(null);
      this.#values.push(undefined);
    }
    this.#poolSize = size;
  }
}

function resized<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}
