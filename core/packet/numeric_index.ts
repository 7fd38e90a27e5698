/**
 * @module numeric_index
 * A hash map from numeric keys (IPv4 words, composite keys below 2^53) to small non-negative
 * integers (an index into the caller's typed arrays), on typed arrays: linear probing, deletion
 * by shifting back (no tombstones, so no rehash after many deletions), doubling when half full.
 * Unlike a Map it allocates nothing per key, and a key that is not a small integer is not boxed.
 * `KeyIndex` uses it for every table key: text keys (IPv6 hosts) go in as a 52-bit hash.
 */
import type { TableKey } from "./host_key.ts";
import { mix32 } from "./hash.ts";
const TWO_POW_32 = 4294967296;
const INITIAL_SLOTS = 64;

/** Maps numbers to indices; `get` returns -1 for a key that is absent. */
export class NumericIndex {
  #keys = new Float64Array(INITIAL_SLOTS);
  /** The index + 1 stored for the key in the same slot; 0 marks an empty slot. */
  #values = new Int32Array(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: number): number {
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    for (let at = numericHash(key) & mask;; at = (at + 1) & mask) {
      const held = values[at]!;
      if (held === 0) return -1;
      if (keys[at] === key) return held - 1;
    }
  }

  /** Sets `key` to `index` (a key already present gets the new index). */
  set(key: number, index: number): void {
    if ((this.#size + 1) * 2 > this.#values.length) this.#resize(this.#values.length * 2);
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    let at = numericHash(key) & mask;
    while (values[at] !== 0 && keys[at] !== key) at = (at + 1) & mask;
    if (values[at] === 0) this.#size++;
    keys[at] = key + 0; // -0 is 0, as in a Map
    values[at] = index + 1;
  }

  /** Removes `key`; later keys of its probe run shift back into the hole. */
  delete(key: number): void {
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    let hole = numericHash(key) & mask;
    for (;; hole = (hole + 1) & mask) {
      if (values[hole] === 0) return;
      if (keys[hole] === key) break;
    }
    for (let at = (hole + 1) & mask;; at = (at + 1) & mask) {
      if (values[at] === 0) break;
      const home = numericHash(keys[at]!) & mask;
      // It stays unless the hole lies on its probe path, cyclically within [home, at).
      const stays = hole <= at ? home > hole && home <= at : home > hole || home <= at;
      if (!stays) {
        keys[hole] = keys[at]!;
        values[hole] = values[at]!;
        hole = at;
      }
    }
    values[hole] = 0;
    this.#size--;
  }

  clear(): void {
    this.#values.fill(0);
    this.#size = 0;
  }

  #resize(slots: number): void {
    const oldKeys = this.#keys, oldValues = this.#values;
    this.#keys = new Float64Array(slots);
    this.#values = new Int32Array(slots);
    this.#mask = slots - 1;
    this.#size = 0;
    for (let at = 0; at < oldValues.length; at++) {
      if (oldValues[at] !== 0) this.set(oldKeys[at]!, oldValues[at]! - 1);
    }
  }
}

/**
 * Maps table keys to indices through one NumericIndex. A text key (an IPv6 host) goes in as a
 * 52-bit hash in [2^52, 2^53): a Map of strings under a flood of new IPv6 hosts spent a fifth of
 * the main thread in lookups and rehashing after deletions. Two texts with the same hash, or a
 * text whose hash equals a numeric key of the same table, share an entry: about 1 in 10^9 at a
 * full table, as for the numeric tuple keys (core/detect/tracking/tuple_key.ts).
 */
export class KeyIndex {
  readonly #numbers = new NumericIndex();

  /** The index of `key`, or -1. */
  get(key: TableKey): number {
    return this.#numbers.get(typeof key === "number" ? key : textHash(key));
  }

  set(key: TableKey, index: number): void {
    this.#numbers.set(typeof key === "number" ? key : textHash(key), index);
  }

  delete(key: TableKey): void {
    this.#numbers.delete(typeof key === "number" ? key : textHash(key));
  }

  clear(): void {
    this.#numbers.clear();
  }
}

const TWO_POW_52 = 4503599627370496;

/** A 52-bit hash of `text` in [2^52, 2^53): two 32-bit FNV-style hashes, mixed. */
export function textHash(text: string): number {
  let a = 0x811c9dc5, b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return TWO_POW_52 + (mix32(a ^ (b >>> 7)) & 0xfffff) * TWO_POW_32 + (mix32(b + a) >>> 0);
}

/**
 * A 32-bit hash of an integer key (int32 addresses and composite keys up to 2^53): the two
 * 32-bit halves folded, then Wellons' lowbias32 mixer (two multiplies; every input bit reaches
 * the low bits that pick the slot).
 */
function numericHash(key: number): number {
  let h = (key | 0) ^ Math.imul((key / TWO_POW_32) | 0, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}
