/**
 * @module space_saving
 * Space-saving top-k counters (Metwally et al. 2005) for many small groups at once (one group
 * per watched host): each group has `counters` entries of a fixed-width Int32 key, a count, a
 * weight (bytes, carried along) and an error. A new key takes the smallest entry's place and
 * count, plus one, and records that count as its error: every key counted more than
 * total / counters times is kept, and its true count lies in [count - error, count].
 *
 * Everything is one typed array per field, sized once; counting makes nothing.
 */

/** One entry of a group's top list. */
export interface SpaceSavingEntry {
  key: Int32Array;
  count: number;
  weight: number;
  error: number;
}

/** `groups` groups of `counters` entries keyed by `width` Int32 words. */
export class SpaceSaving {
  readonly #keys: Int32Array;
  readonly #counts: Float64Array;
  readonly #weights: Float64Array;
  readonly #errors: Float64Array;
  readonly #used: Int32Array;

  constructor(groups: number, readonly counters: number, readonly width: number) {
    this.#keys = new Int32Array(groups * counters * width);
    this.#counts = new Float64Array(groups * counters);
    this.#weights = new Float64Array(groups * counters);
    this.#errors = new Float64Array(groups * counters);
    this.#used = new Int32Array(groups);
  }

  /** Empties `group`. */
  clear(group: number): void {
    this.#used[group] = 0;
  }

  /**
   * Counts one occurrence of weight `weight` for the address key at `words[at..]` (1 word for
   * IPv4, 4 for IPv6, `v6` 0 or 1 as the key's last word), in a group of width 5.
   */
  addPeer(group: number, words: Int32Array, at: number, v6: number, weight: number): void {
    const keys = this.#keys, width = this.width, first = group * this.counters;
    const used = this.#used[group]!, n = v6 === 1 ? 4 : 1;
    for (let e = first; e < first + used; e++) {
      const k = e * width;
      if (keys[k + 4] !== v6 || keys[k] !== words[at]) continue;
      if (
        n === 4 && (keys[k + 1] !== words[at + 1] || keys[k + 2] !== words[at + 2] ||
          keys[k + 3] !== words[at + 3])
      ) continue;
      this.#bump(e, weight);
      return;
    }
    const e = this.#place(group, first, used), k = e * width;
    for (let w = 0; w < 4; w++) keys[k + w] = w < n ? words[at + w]! : 0;
    keys[k + 4] = v6;
    this.#bump(e, weight);
  }

  /** Counts one occurrence of weight `weight` for the one-word key `key` (groups of width 1). */
  addOne(group: number, key: number, weight: number): void {
    const keys = this.#keys, first = group * this.counters, used = this.#used[group]!;
    for (let e = first; e < first + used; e++) {
      if (keys[e] === key) {
        this.#bump(e, weight);
        return;
      }
    }
    const e = this.#place(group, first, used);
    keys[e] = key;
    this.#bump(e, weight);
  }

  /** The `n` entries of `group` with the highest counts (ties: lower error first). */
  top(group: number, n: number): SpaceSavingEntry[] {
    const first = group * this.counters, out: SpaceSavingEntry[] = [];
    for (let e = first; e < first + this.#used[group]!; e++) {
      out.push({
        key: this.#keys.slice(e * this.width, (e + 1) * this.width),
        count: this.#counts[e]!,
        weight: this.#weights[e]!,
        error: this.#errors[e]!,
      });
    }
    return out.sort((a, b) => b.count - a.count || a.error - b.error).slice(0, n);
  }

  #bump(entry: number, weight: number): void {
    this.#counts[entry]! += 1;
    this.#weights[entry]! += weight;
  }

  /** The entry a new key goes to: a free one, or the smallest (which it inherits). */
  #place(group: number, first: number, used: number): number {
    if (used < this.counters) {
      const e = first + used;
      this.#used[group] = used + 1;
      this.#counts[e] = this.#weights[e] = this.#errors[e] = 0;
      return e;
    }
    let min = first;
    for (let e = first + 1; e < first + used; e++) {
      if (this.#counts[e]! < this.#counts[min]!) min = e;
    }
    this.#errors[min] = this.#counts[min]!;
    return min;
  }
}
