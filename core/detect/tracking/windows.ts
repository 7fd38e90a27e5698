/**
 * @module windows
 * Counting over windows of packet time: small, and allocation-free on the hot path once a key
 * is past its first packets.
 */
import type { TableKey } from "../../packet/host_key.ts";
import type { KeyedEntry } from "./keyed_state.ts";

/** Sub-buckets per window: the window slides in steps of window/SLOTS. */
const SLOTS = 10;

/**
 * Events in the last `windowUs` of packet time, sliding in tenths of the window. The count
 * covers between 0.9 and 1.0 windows, so it never exceeds what a true sliding window would
 * count: a detector fires only on rates really above its threshold (a burst straddling a
 * step may be seen as up to a tenth shorter).
 */
export class SlidingCount {
  /** Per-slot counts, made only once events fall in two slots: one-burst keys stay small. */
  #slots: number[] | null = null;
  #slotIndex = -1;
  #total = 0;

  /** Adds `n` events at `nowUs`; returns the count in the window ending now. */
  add(nowUs: number, windowUs: number, n = 1): number {
    const slot = Math.floor(nowUs / (windowUs / SLOTS));
    if (this.#slots === null && !this.#single(slot)) {
      this.#slots = new Array<number>(SLOTS).fill(0);
      this.#slots[this.#slotIndex % SLOTS] = this.#total;
    }
    if (this.#slots !== null) {
      this.#advance(slot);
      this.#slots[this.#slotIndex % SLOTS]! += n;
    }
    this.#total += n;
    return this.#total;
  }

  /** The count in the window ending at `nowUs` (0 when older than the window). */
  count(nowUs: number, windowUs: number): number {
    const slot = Math.floor(nowUs / (windowUs / SLOTS));
    if (this.#slots === null) {
      if (slot - this.#slotIndex >= SLOTS) this.#total = 0;
      return this.#total;
    }
    this.#advance(slot);
    return this.#total;
  }

  /**
   * While every event fell in one slot, handles `slot` without the per-slot array: true when
   * it still is a single slot (the same one, a late event, or a fresh start after the window).
   */
  #single(slot: number): boolean {
    if (this.#slotIndex < 0 || slot - this.#slotIndex >= SLOTS) {
      this.#slotIndex = slot;
      this.#total = 0;
      return true;
    }
    return slot <= this.#slotIndex;
  }

  #advance(slot: number): void {
    if (slot <= this.#slotIndex) return;
    const slots = this.#slots!;
    const steps = slot - this.#slotIndex;
    if (steps >= SLOTS) {
      slots.fill(0);
      this.#total = 0;
    } else {
      for (let s = this.#slotIndex + 1; s <= slot; s++) {
        const i = s % SLOTS;
        this.#total -= slots[i]!;
        slots[i] = 0;
      }
    }
    this.#slotIndex = slot;
  }
}

interface Sighting {
  /** Last sighting, µs. */
  at: number;
  /** When the value took its place in the Map's order (insertion or last move), µs. */
  movedUs: number;
}

/**
 * Distinct values seen within the last window of packet time, each with its last sighting.
 * Holds at most `cap` values (callers make it above their threshold, Zeek's unique_max idea):
 * a full window ignores new values until old ones expire, so its count saturates at `cap`.
 *
 * Built for many small windows (one per source) and hot repeats: the first value is kept
 * inline (a Map only comes with a second distinct value), a repeat updates its sighting in
 * place, and expiry walks from the front only once the front could have expired.
 */
export class DistinctWindow {
  #single: TableKey | undefined = undefined;
  #singleAt = 0;
  #seen: Map<TableKey, Sighting> | null = null;
  /** The front entry's `movedUs`: no entry can expire before the window passes it. */
  #frontMovedUs = 0;

  constructor(readonly cap: number) {}

  /** Records `value` at `nowUs`; returns the distinct count within `windowUs`. */
  add(value: TableKey, nowUs: number, windowUs: number): number {
    const limit = nowUs - windowUs;
    if (this.#seen === null) {
      const single = this.#single;
      if (single === undefined || single === value || this.#singleAt <= limit || this.cap < 2) {
        if (single === undefined || single === value || this.#singleAt <= limit) {
          this.#single = value;
          this.#singleAt = nowUs;
        }
        return 1;
      }
      this.#seen = new Map([[single, { at: this.#singleAt, movedUs: this.#singleAt }]]);
      this.#frontMovedUs = this.#singleAt;
      this.#single = undefined;
    }
    const seen = this.#seen;
    this.#expire(seen, limit);
    const sighting = seen.get(value);
    if (sighting !== undefined) {
      sighting.at = nowUs;
    } else if (seen.size < this.cap) {
      if (seen.size === 0) this.#frontMovedUs = nowUs;
      seen.set(value, { at: nowUs, movedUs: nowUs });
    }
    return seen.size;
  }

  /** Distinct values within `windowUs` before `nowUs`. */
  count(nowUs: number, windowUs: number): number {
    const limit = nowUs - windowUs;
    if (this.#seen === null) return this.#single !== undefined && this.#singleAt > limit ? 1 : 0;
    this.#expire(this.#seen, limit);
    return this.#seen.size;
  }

  /** Up to `n` of the values, oldest sighting first (evidence for alerts). */
  sample(n: number): TableKey[] {
    if (this.#seen === null) return this.#single === undefined || n < 1 ? [] : [this.#single];
    const out: TableKey[] = [];
    for (const value of this.#seen.keys()) {
      if (out.length >= n) break;
      out.push(value);
    }
    return out;
  }

  /**
   * Drops values last seen at or before `limit`. Values refreshed in place since they moved
   * go behind, so the walk stops at the first value that neither expired nor was refreshed.
   */
  #expire(seen: Map<TableKey, Sighting>, limit: number): void {
    if (limit < this.#frontMovedUs) return;
    for (const [value, sighting] of seen) {
      if (sighting.at <= limit) {
        seen.delete(value);
      } else if (sighting.at > sighting.movedUs) {
        seen.delete(value);
        sighting.movedUs = sighting.at;
        seen.set(value, sighting);
      } else {
        this.#frontMovedUs = sighting.movedUs;
        return;
      }
    }
    this.#frontMovedUs = Infinity;
  }
}

/**
 * A DistinctWindow that is also a table entry and keeps the run it counts: a run starts with
 * the first sighting after a window without any, and `peak` is the most distinct values seen at
 * once, reached `peakElapsedUs` into the run. One object per key: scans and sweeps by spoofed
 * sources make millions of them.
 */
export class DistinctRun extends DistinctWindow implements KeyedEntry {
  lastSeenUs: number;
  movedUs: number;
  /** Packet time of the first sighting of the current run. */
  firstUs: number;
  /** Packet time of the latest sighting. */
  lastUs: number;
  /** Bits the caller sets (protocols or probe kinds seen while the key was tracked). */
  seen = 0;
  peak = 0;
  peakElapsedUs = 0;

  constructor(cap: number, nowUs: number) {
    super(cap);
    this.lastSeenUs =
      this.movedUs =
      this.firstUs =
      this.lastUs =
        nowUs;
  }

  /** Records `value` at `nowUs`; returns the distinct values within `windowUs`. */
  addInRun(value: TableKey, nowUs: number, windowUs: number): number {
    if (nowUs - this.lastUs >= windowUs) this.firstUs = nowUs;
    if (nowUs > this.lastUs) this.lastUs = nowUs;
    const count = this.add(value, nowUs, windowUs);
    if (count > this.peak) {
      this.peak = count;
      this.peakElapsedUs = nowUs - this.firstUs;
    }
    return count;
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

  /**
   * Records `value` at `nowUs` (a slot idle for `windowUs` is reused). Returns false when it
   * was a repeat of a value in the window: only a new value (or one turned away) can raise
   * `count` or set `saturated`.
   */
  add(value: TableKey, nowUs: number, windowUs: number): boolean {
    const values = this.#values, seen = this.#seenUs;
    const limit = nowUs - windowUs;
    let free = -1;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === value) {
        const repeat = seen[i]! > limit;
        seen[i] = nowUs;
        return !repeat;
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
    return true;
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

  /** The values seen within the window (at most `cap`; made once, when an alert starts). */
  valuesIn(nowUs: number, windowUs: number): TableKey[] {
    const limit = nowUs - windowUs;
    return this.#values.filter((_, i) => this.#seenUs[i]! > limit);
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
