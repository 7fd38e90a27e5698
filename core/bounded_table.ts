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

  #prune(): void {
    const keep = new Set<TableKey>();
    const quota = Math.max(1, Math.floor(this.capacity / (2 * this.rankings.length)));
    for (const rank of this.rankings) {
      for (const [key] of this.top(quota, rank)) keep.add(key);
    }
    for (const key of this.#entries.keys()) {
      if (!keep.has(key)) {
        this.#entries.delete(key);
        this.#evictions++;
      }
    }
  }
}
