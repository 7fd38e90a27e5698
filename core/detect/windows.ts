/**
 * @module windows
 * Counting over windows of packet time. Both shapes are small, fixed-size and allocation-free on
 * the hot path once created.
 */
import type { TableKey } from "../bounded_table.ts";

/** Sub-buckets per window: the window slides in steps of window/SLOTS. */
const SLOTS = 10;

/**
 * Events in the last `windowUs` of packet time, sliding in tenths of the window. The count
 * covers between 0.9 and 1.0 windows, so it never exceeds what a true sliding window would
 * count: a detector fires only on rates really above its threshold (a burst straddling a
 * step may be seen as up to a tenth shorter).
 */
export class SlidingCount {
  readonly #slots = new Float64Array(SLOTS);
  #slotIndex = -1;
  #total = 0;

  /** Adds `n` events at `nowUs`; returns the count in the window ending now. */
  add(nowUs: number, windowUs: number, n = 1): number {
    this.#advance(Math.floor(nowUs / (windowUs / SLOTS)));
    this.#slots[this.#slotIndex % SLOTS]! += n;
    this.#total += n;
    return this.#total;
  }

  /** The count in the window ending at `nowUs` (0 when older than the window). */
  count(nowUs: number, windowUs: number): number {
    this.#advance(Math.floor(nowUs / (windowUs / SLOTS)));
    return this.#total;
  }

  #advance(slot: number): void {
    if (slot <= this.#slotIndex) return;
    const steps = slot - this.#slotIndex;
    if (this.#slotIndex < 0 || steps >= SLOTS) {
      this.#slots.fill(0);
      this.#total = 0;
    } else {
      for (let s = this.#slotIndex + 1; s <= slot; s++) {
        const i = s % SLOTS;
        this.#total -= this.#slots[i]!;
        this.#slots[i] = 0;
      }
    }
    this.#slotIndex = slot;
  }
}

/**
 * Distinct values seen within the last window of packet time, each with its last sighting.
 * Holds at most `cap` values (callers make it above their threshold, Zeek's unique_max idea):
 * a full window ignores new values until old ones expire, so its count saturates at `cap`.
 */
export class DistinctWindow {
  readonly #seen = new Map<TableKey, number>();

  constructor(readonly cap: number) {}

  /** Records `value` at `nowUs`; returns the distinct count within `windowUs`. */
  add(value: TableKey, nowUs: number, windowUs: number): number {
    const seen = this.#seen;
    const limit = nowUs - windowUs;
    for (const [old, at] of seen) { // expire first, so a full window makes room
      if (at > limit) break;
      seen.delete(old);
    }
    if (seen.has(value)) {
      seen.delete(value); // keep the Map in sighting order so expiry walks from the front
      seen.set(value, nowUs);
    } else if (seen.size < this.cap) {
      seen.set(value, nowUs);
    }
    return seen.size;
  }

  /** Distinct values within `windowUs` before `nowUs`. */
  count(nowUs: number, windowUs: number): number {
    const limit = nowUs - windowUs;
    for (const [value, at] of this.#seen) {
      if (at > limit) break;
      this.#seen.delete(value);
    }
    return this.#seen.size;
  }

  /** Up to `n` of the values, oldest sighting first (evidence for alerts). */
  sample(n: number): TableKey[] {
    const out: TableKey[] = [];
    for (const value of this.#seen.keys()) {
      if (out.length >= n) break;
      out.push(value);
    }
    return out;
  }
}

/**
 * A few distinct values (sources of a flood, reflectors) seen within the last window, in two
 * small arrays: no allocation per call once `cap` values were seen. Counts up to `cap`; a value
 * turned away because the arrays hold `cap` live values marks the count as "at least".
 */
export class RecentDistinct {
  readonly #values: TableKey[] = [];
  readonly #seenUs: number[] = [];
  #overflowUs = -Infinity;

  constructor(readonly cap: number) {}

  /** Records `value` at `nowUs` (a slot idle for `windowUs` is reused). */
  add(value: TableKey, nowUs: number, windowUs: number): void {
    const values = this.#values, seen = this.#seenUs;
    const limit = nowUs - windowUs;
    let free = -1;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === value) {
        seen[i] = nowUs;
        return;
      }
      if (free < 0 && seen[i]! <= limit) free = i;
    }
    if (free >= 0) {
      values[free] = value;
      seen[free] = nowUs;
    } else if (values.length < this.cap) {
      values.push(value);
      seen.push(nowUs);
    } else {
      this.#overflowUs = nowUs;
    }
  }

  /** Distinct values seen within `windowUs` before `nowUs` (at most `cap`). */
  count(nowUs: number, windowUs: number): number {
    const limit = nowUs - windowUs;
    let n = 0;
    for (let i = 0; i < this.#seenUs.length; i++) if (this.#seenUs[i]! > limit) n++;
    return n;
  }

  /** True when a value was turned away within the window: the count is a lower bound. */
  saturated(nowUs: number, windowUs: number): boolean {
    return this.#overflowUs > nowUs - windowUs;
  }

  /** The one value seen within the window, when exactly one was (and none turned away). */
  only(nowUs: number, windowUs: number): TableKey | undefined {
    if (this.saturated(nowUs, windowUs)) return undefined;
    const limit = nowUs - windowUs;
    let found: TableKey | undefined = undefined;
    for (let i = 0; i < this.#seenUs.length; i++) {
      if (this.#seenUs[i]! <= limit) continue;
      if (found !== undefined) return undefined;
      found = this.#values[i];
    }
    return found;
  }
}
