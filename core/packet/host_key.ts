/**
 * @module host_key
 * Table keys for addresses: the IPv4 word itself, or the IPv6 address as a string of eight
 * UTF-16 code units (its eight 16-bit groups): 32 bytes, the smallest string that holds 128 bits,
 * where the decimal words took about 64 (a spoofed IPv6 flood makes one key per packet, and
 * every table holds them). IPv6 keys come from a small direct-mapped cache, so the same address
 * yields the same string object packet after packet: no string is built per packet, and V8
 * hashes a string once and keeps the hash in it, so the Maps keyed by it stay cheap.
 */
import { formatIpv4, formatIpv6 } from "./packet_batch.ts";
import { mix32 } from "./hash.ts";

/** Keys of packet-derived tables: an IPv4 word (number) or an IPv6 key (8-unit string). */
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
  const text = String.fromCharCode(
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 & 0xffff,
  );
  v6Words[words] = w0;
  v6Words[words + 1] = w1;
  v6Words[words + 2] = w2;
  v6Words[words + 3] = w3;
  v6Texts[slot] = text;
  return text;
}

/** Writes the four words of an IPv6 `hostKey` to `into[at..at + 3]`. */
export function ipv6KeyWords(key: string, into: Int32Array, at = 0): void {
  for (let i = 0; i < 4; i++) {
    into[at + i] = (key.charCodeAt(2 * i) << 16) | key.charCodeAt(2 * i + 1);
  }
}

/**
 * A 32-bit hash of an IPv6 `hostKey` mixed with `seed` (for numeric tuple keys: no string is
 * built per packet for an IPv6 exchange).
 */
export function ipv6KeyHash(key: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < 8; i++) h = mix32(h ^ Math.imul(key.charCodeAt(i) + 1, 0x9e3779b1));
  return h;
}

const textWords = new Int32Array(4);

/** The address text of a `hostKey`. */
export function keyText(key: TableKey): string {
  if (typeof key === "number") return formatIpv4(key);
  ipv6KeyWords(key, textWords);
  return formatIpv6(textWords, 0);
}
