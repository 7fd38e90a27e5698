/**
 * @module host_key
 * Table keys for addresses: the IPv4 word itself, or the IPv6 words as text. IPv6 texts come
 * from a small direct-mapped cache, so the same address yields the same string object packet
 * after packet: no string is built per packet, and V8 hashes a string once and keeps the hash
 * in it, so the Maps keyed by it stay cheap.
 */
import { formatIpv4, formatIpv6 } from "./packet_batch.ts";
import { mix32 } from "./hash.ts";

/** Keys of packet-derived tables: an IPv4 word (number) or an IPv6 text. */
export type TableKey = number | string;

/** Slots of the IPv6 key cache (a power of two); a miss only costs building the text. */
const V6_SLOTS = 4096;
const v6Words = new Int32Array(V6_SLOTS * 4);
const v6Texts: (string | undefined)[] = new Array(V6_SLOTS).fill(undefined);

/** A table key for the address at `fields[at..]`: the IPv4 word, or the IPv6 words as text. */
export function hostKey(fields: Int32Array, at: number, v6: boolean): TableKey {
  if (!v6) return fields[at]!;
  const w0 = fields[at]!, w1 = fields[at + 1]!, w2 = fields[at + 2]!, w3 = fields[at + 3]!;
  const slot = mix32(w0 ^ mix32(w1 ^ mix32(w2 ^ mix32(w3)))) & (V6_SLOTS - 1);
  const words = slot * 4;
  const cached = v6Texts[slot];
  if (
    cached !== undefined && v6Words[words] === w0 && v6Words[words + 1] === w1 &&
    v6Words[words + 2] === w2 && v6Words[words + 3] === w3
  ) {
    return cached;
  }
  const text = `${w0},${w1},${w2},${w3}`;
  v6Words[words] = w0;
  v6Words[words + 1] = w1;
  v6Words[words + 2] = w2;
  v6Words[words + 3] = w3;
  v6Texts[slot] = text;
  return text;
}

/** The address text of a `hostKey`. */
export function keyText(key: TableKey): string {
  if (typeof key === "number") return formatIpv4(key);
  return formatIpv6(Int32Array.from(key.split(",").map(Number)), 0);
}
