/**
 * @module tuple_key
 * Keys of detector tables made of an address and a few small numbers. IPv4 tuples become one
 * number (no string is built per packet, and a number hashes without allocating a text);
 * IPv6 ones use text built from the interned address key.
 */
import type { TableKey } from "../host_key.ts";
import { mix32 } from "../hash.ts";
import { PROTO_UDP } from "./packet_context.ts";

/**
 * (address, port, TCP or UDP) as one key: exact for IPv4, in 32 + 16 + 1 bits (< 2^53).
 * Only for TCP and UDP: any protocol other than UDP counts as TCP.
 */
export function endpointKey(address: TableKey, port: number, proto: number): TableKey {
  const udp = proto === PROTO_UDP ? 1 : 0;
  if (typeof address === "number") return (address >>> 0) * 0x20000 + (port & 0xffff) * 2 + udp;
  return `${address}|${port}|${udp}`;
}

/**
 * An ordered pair of addresses as one key. Two IPv4 words do not fit in 53 bits, so they hash
 * to one: a collision merges the state of two pairs, about once in 10^5 tables of a million
 * pairs, the same trade as the connection tracker's exchange keys.
 */
export function pairKey(a: TableKey, b: TableKey): TableKey {
  if (typeof a === "number" && typeof b === "number") {
    const high = mix32(a ^ mix32(b ^ 0x27d4eb2f));
    const low = mix32(b ^ mix32(a + 0x165667b1));
    return (high >>> 0) * 0x200000 + (low >>> 11);
  }
  return `${a}>${b}`;
}
