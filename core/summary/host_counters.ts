/**
 * @module host_counters
 * Packets and bytes per host for the summary's top talkers, with a hard cap: when full, it
 * keeps the heaviest hosts by packets and by bytes (half the cap between them) and counts the
 * rest as evicted. Heavy hosts survive pruning because they rank high; a flood of spoofed
 * one-packet sources costs a prune every `capacity / 2` new hosts, in linear time.
 *
 * Counters live in typed arrays indexed by insertion order (no object per host), found through
 * a KeyIndex: packets, bytes, and packets per protocol (TCP, UDP, ICMP; other is the rest), so a
 * host opened in the UI shows its protocol mix without anything counted per host elsewhere.
 */
import type { TableKey } from "../packet/host_key.ts";
import { KeyIndex } from "../packet/numeric_index.ts";

/** Rankings of `top` and of pruning. */
export type HostRanking = "packets" | "bytes";

/** Protocol counters kept per host (packets), in this order. */
export const HOST_PROTOCOLS = ["tcp", "udp", "icmp"] as const;
const PROTOCOLS = HOST_PROTOCOLS.length;

/** One host's counters (`HostCounterTable.lookup`). */
export interface HostCounts {
  packets: number;
  bytes: number;
  /** TCP, UDP and ICMP packets (HOST_PROTOCOLS order). */
  protocols: [number, number, number];
}

/** One row of a top list. */
export interface HostRow {
  key: TableKey;
  packets: number;
  bytes: number;
}

const INITIAL_ROWS = 256;

/** Per-host counters, capped, ranked by packets and by bytes. */
export class HostCounterTable {
  #keys: TableKey[] = [];
  #packets = new Float64Array(0);
  #bytes = new Float64Array(0);
  /** PROTOCOLS packet counters per row. */
  #protocols = new Float64Array(0);
  readonly #index = new KeyIndex();
  #size = 0;
  #evictions = 0;

  constructor(readonly capacity: number) {
    this.#resize(Math.min(capacity, INITIAL_ROWS));
  }

  get size(): number {
    return this.#size;
  }

  /** Hosts dropped to stay under the cap since the start. */
  get evictions(): number {
    return this.#evictions;
  }

  /**
   * Counts `packets` of `bytes` in all for `key`, of which `protocols[from..from + 3)` TCP, UDP
   * and ICMP packets; true when the host was not in the table.
   */
  count(
    key: TableKey,
    packets: number,
    bytes: number,
    protocols?: ArrayLike<number>,
    from = 0,
  ): boolean {
    let row = this.#index.get(key);
    const isNew = row < 0;
    if (isNew) row = this.#insert(key);
    this.#packets[row]! += packets;
    this.#bytes[row]! += bytes;
    if (protocols !== undefined) {
      const at = row * PROTOCOLS;
      for (let p = 0; p < PROTOCOLS; p++) this.#protocols[at + p]! += protocols[from + p]!;
    }
    return isNew;
  }

  /** A zeroed row for `key`, pruning first when full. */
  #insert(key: TableKey): number {
    if (this.#size >= this.capacity) this.#prune();
    if (this.#size >= this.#packets.length) {
      this.#resize(Math.min(this.capacity, this.#packets.length * 2));
    }
    const at = this.#size++;
    this.#keys[at] = key;
    this.#packets[at] = 0;
    this.#bytes[at] = 0;
    this.#protocols.fill(0, at * PROTOCOLS, (at + 1) * PROTOCOLS);
    this.#index.set(key, at);
    return at;
  }

  /** The counters of `key`, or null when it is not in the table. */
  lookup(key: TableKey): HostCounts | null {
    const row = this.#index.get(key);
    if (row < 0) return null;
    const p = this.#protocols, at = row * PROTOCOLS;
    return {
      packets: this.#packets[row]!,
      bytes: this.#bytes[row]!,
      protocols: [p[at]!, p[at + 1]!, p[at + 2]!],
    };
  }

  /** The `n` hosts ranked highest (ties: the host counted first). */
  top(n: number, by: HostRanking): HostRow[] {
    const ranks = by === "packets" ? this.#packets : this.#bytes;
    const rows = Array.from({ length: this.#size }, (_, i) => i);
    rows.sort((a, b) => ranks[b]! - ranks[a]! || a - b);
    return rows.slice(0, n).map((i) => ({
      key: this.#keys[i]!,
      packets: this.#packets[i]!,
      bytes: this.#bytes[i]!,
    }));
  }

  /**
   * Keeps the `quota` best of each ranking (ties go to the host counted first, as in `top`),
   * compacting the rows in their order. The cut-off comes from selection, not sorting.
   */
  #prune(): void {
    const size = this.#size;
    const quota = Math.min(size, Math.max(1, Math.floor(this.capacity / 4)));
    const keep = new Uint8Array(size);
    const scratch = new Float64Array(size);
    for (const ranks of [this.#packets, this.#bytes]) {
      scratch.set(ranks.subarray(0, size));
      const cutoff = selectKth(scratch, size - quota);
      let tiesKept = quota;
      for (let i = 0; i < size; i++) if (ranks[i]! > cutoff) tiesKept--;
      for (let i = 0; i < size; i++) {
        if (ranks[i]! > cutoff) keep[i] = 1;
        else if (ranks[i] === cutoff && tiesKept > 0) {
          keep[i] = 1;
          tiesKept--;
        }
      }
    }
    this.#index.clear();
    let kept = 0;
    for (let i = 0; i < size; i++) {
      if (keep[i] === 0) continue;
      this.#keys[kept] = this.#keys[i]!;
      this.#packets[kept] = this.#packets[i]!;
      this.#bytes[kept] = this.#bytes[i]!;
      this.#protocols.copyWithin(kept * PROTOCOLS, i * PROTOCOLS, (i + 1) * PROTOCOLS);
      this.#index.set(this.#keys[kept]!, kept);
      kept++;
    }
    this.#keys.length = kept;
    this.#evictions += size - kept;
    this.#size = kept;
  }

  #resize(rows: number): void {
    const packets = new Float64Array(rows), bytes = new Float64Array(rows);
    packets.set(this.#packets.subarray(0, this.#size));
    bytes.set(this.#bytes.subarray(0, this.#size));
    const protocols = new Float64Array(rows * PROTOCOLS);
    protocols.set(this.#protocols.subarray(0, this.#size * PROTOCOLS));
    this.#packets = packets;
    this.#bytes = bytes;
    this.#protocols = protocols;
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
