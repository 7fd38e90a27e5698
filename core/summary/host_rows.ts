/**
 * @module host_rows
 * One segment's hosts of one side (sources or destinations) in the batch summary
 * (core/summary/batch_summary.ts): packets, bytes and packets per protocol class per host, in
 * order of first appearance, written out as host rows (core/summary/batch_rows.ts). Counters sit
 * in one Float64Array, HOST_COUNTERS per host: nothing is made per packet.
 */
import { hostKey } from "../packet/host_key.ts";
import { NumericIndex } from "../packet/numeric_index.ts";
import { F_ICMP4, F_ICMP6, F_TCP, F_UDP, W_FLAGS } from "../packet/packet_batch.ts";
import { HOST_COUNTERS } from "./batch_rows.ts";

/** Where host rows go (the collector's row buffer). */
export interface HostRowSink {
  /** Appends `tag`, the address at `fields[at..]` (1 word, 4 for IPv6), then `counters[from..from + n)`. */
  hostRow(
    tag: number,
    fields: Int32Array,
    at: number,
    addressWords: number,
    counters: Float64Array,
    from: number,
  ): void;
}

/**
 * The protocol counter (0 TCP, 1 UDP, 2 ICMP or ICMPv6, else -1: other, derived from the
 * packets) a packet with layer `flags` adds to.
 */
export function protocolClass(flags: number): number {
  if (flags & F_TCP) return 0;
  if (flags & F_UDP) return 1;
  return flags & (F_ICMP4 | F_ICMP6) ? 2 : -1;
}

/** One segment's hosts of one side, in order of first appearance. */
export class HostRows {
  readonly #ipv4 = new NumericIndex();
  readonly #ipv6 = new Map<string, number>();
  #recordBase = new Int32Array(256);
  #v6 = new Uint8Array(256);
  /** Per host: packets, bytes, TCP, UDP, ICMP packets (HOST_COUNTERS words). */
  #counters = new Float64Array(256 * HOST_COUNTERS);
  #size = 0;

  constructor(readonly tagV4: number, readonly tagV6: number, readonly addressWord: number) {}

  /** Counts the packet whose record starts at `base`. */
  count(fields: Int32Array, base: number, v6: boolean, bytes: number): void {
    let row: number;
    if (v6) {
      const key = hostKey(fields, base + this.addressWord, true) as string;
      const known = this.#ipv6.get(key);
      if (known !== undefined) row = known;
      else this.#ipv6.set(key, row = this.#insert(base, true));
    } else {
      const word = fields[base + this.addressWord]!;
      row = this.#ipv4.get(word);
      if (row < 0) this.#ipv4.set(word, row = this.#insert(base, false));
    }
    const at = row * HOST_COUNTERS, counters = this.#counters;
    counters[at]! += 1;
    counters[at + 1]! += bytes;
    const protocol = protocolClass(fields[base + W_FLAGS]!);
    if (protocol >= 0) counters[at + 2 + protocol]! += 1;
  }

  #insert(base: number, v6: boolean): number {
    if (this.#size === this.#v6.length) this.#grow();
    const at = this.#size++;
    this.#recordBase[at] = base;
    this.#v6[at] = v6 ? 1 : 0;
    this.#counters.fill(0, at * HOST_COUNTERS, (at + 1) * HOST_COUNTERS);
    return at;
  }

  /** Writes the rows (addresses read back from the records) and empties the table. */
  write(out: HostRowSink, fields: Int32Array): void {
    for (let row = 0; row < this.#size; row++) {
      const at = this.#recordBase[row]! + this.addressWord;
      const v6 = this.#v6[row] !== 0;
      out.hostRow(
        v6 ? this.tagV6 : this.tagV4,
        fields,
        at,
        v6 ? 4 : 1,
        this.#counters,
        row * HOST_COUNTERS,
      );
    }
    if (this.#ipv4.size > 0) this.#ipv4.clear();
    if (this.#ipv6.size > 0) this.#ipv6.clear();
    this.#size = 0;
  }

  #grow(): void {
    const rows = this.#v6.length * 2;
    const recordBase = new Int32Array(rows), v6 = new Uint8Array(rows);
    const counters = new Float64Array(rows * HOST_COUNTERS);
    recordBase.set(this.#recordBase);
    v6.set(this.#v6);
    counters.set(this.#counters);
    this.#recordBase = recordBase;
    this.#v6 = v6;
    this.#counters = counters;
  }
}
