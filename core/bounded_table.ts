/**
 * @module bounded_table
 * A Map with a hard cap: when full, it drops the least valuable half in one pass (amortised
 * O(log n) per insert) and counts what it dropped. Used for approximate top-N tables, whose
 * heavy entries survive pruning because they rank high.
 */

/** Keys of packet-derived tables: an IPv4 word (number) or an IPv6 text. */
export type TableKey = number | string;

/** A capped Map that prunes by a ranking function and counts evictions. */
export class BoundedTable<V> {
  readonly #entries = new Map<TableKey, V>();
  #evictions = 0;

  /**
   * @param capacity entries kept at most
   * @param rank higher is kept longer when pruning (several rankings: the best of each survive)
   */
  constructor(readonly capacity: number, readonly rankings: readonly ((v: V) => number)[]) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Entries dropped to stay under the cap since the start. */
  get evictions(): number {
    return this.#evictions;
  }

  get(key: TableKey): V | undefined {
    return this.#entries.get(key);
  }

  /** Inserts a new entry, pruning first when the table is full. */
  insert(key: TableKey, value: V): void {
    if (this.#entries.size >= this.capacity) this.#prune();
    this.#entries.set(key, value);
  }

  delete(key: TableKey): boolean {
    return this.#entries.delete(key);
  }

  entries(): IterableIterator<[TableKey, V]> {
    return this.#entries.entries();
  }

  /** The `n` entries ranked highest by `rank`. */
  top(n: number, rank: (v: V) => number): [TableKey, V][] {
    return [...this.#entries].sort((a, b) => rank(b[1]) - rank(a[1])).slice(0, n);
  }

  /**
   * Keeps the `quota` best of each ranking (ties go to the older entry, as a stable sort would
   * order them). The cut-off is found by selection over plain numbers, in linear time: under a
   * flood of new hosts this runs every `capacity / 2` inserts, and sorting the whole table each
   * time cost more than everything else the summary does.
   */
  #prune(): void {
    const keys = [...this.#entries.keys()];
    const values = [...this.#entries.values()];
    const keep = new Uint8Array(keys.length);
    const quota = Math.min(
      keys.length,
      Math.max(1, Math.floor(this.capacity / (2 * this.rankings.length))),
    );
    const ranks = new Float64Array(keys.length);
    const scratch = new Float64Array(keys.length);
    for (const rank of this.rankings) {
      for (let i = 0; i < values.length; i++) ranks[i] = rank(values[i]!);
      scratch.set(ranks);
      const cutoff = selectKth(scratch, keys.length - quota);
      let tiesKept = quota;
      for (let i = 0; i < ranks.length; i++) if (ranks[i]! > cutoff) tiesKept--;
      for (let i = 0; i < ranks.length; i++) {
        if (ranks[i]! > cutoff) keep[i] = 1;
        else if (ranks[i] === cutoff && tiesKept > 0) {
          keep[i] = 1;
          tiesKept--;
        }
      }
    }
    for (let i = 0; i < keys.length; i++) {
      if (keep[i] === 0) {
        this.#entries.delete(keys[i]!);
        this.#evictions++;
      }
    }
  }
}

/** The value that would sit at index `k` if `a` were sorted ascending (reorders `a`). */
export function selectKth(a: Float64Array, k: number): number {
  let low = 0, high = a.length - 1;
  while (low < high) {
    const pivot = a[(low + high) >>> 1]!;
    let i = low, j = high;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else return a[k]!;
  }
  return a[k]!;
}
