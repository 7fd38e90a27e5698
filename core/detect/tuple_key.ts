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
 * A key for the exchange (a:ap -> b:bp, proto). IPv4 tuples hash to a 53-bit number (no string
 * per packet; a collision merges two exchanges, about 1 in 10^9 at a full table); IPv6 ones
 * use text.
 */
export function exchangeKey(
  a: TableKey,
  ap: number,
  b: TableKey,
  bp: number,
  proto: number,
): TableKey {
  if (typeof a === "number" && typeof b === "number") {
    const high = mix32(a ^ mix32(b + proto * 0x9e3779b9));
    const low = mix32((ap << 16 | bp) ^ mix32(b ^ 0x85ebca6b) ^ proto);
    return (high >>> 0) * 0x200000 + (low >>> 11);
  }
  return `${a}|${ap}|${b}|${bp}|${proto}`;
}

/**
 * An ordered pair of addresses as one key: an exchange key without ports or protocol (for IPv4
 * a hash, unique for pairs sharing `b`; any two others collide with a chance of 2^-53).
 */
export function pairKey(a: TableKey, b: TableKey): TableKey {
  return exchangeKey(a, 0, b, 0, 0);
}
