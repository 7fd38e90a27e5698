/**
 * @module tuple_key
 * Keys of detector tables made of an address and a few small numbers, always one number: no
 * string is built per packet, and a number hashes without allocating a text. IPv4 endpoints are
 * exact; IPv4 exchanges and everything IPv6 are 52- or 53-bit hashes (a collision merges two
 * keys, about 1 in 10^9 at a full table; IPv6 ones lie in [2^52, 2^53), apart from every exact
 * IPv4 endpoint key).
 */
import { ipv6KeyHash, type TableKey } from "../../packet/host_key.ts";
import { mix32 } from "../../packet/hash.ts";
import { PROTO_UDP } from "../packet_context.ts";

const TWO_POW_32 = 4294967296;
const TWO_POW_52 = 4503599627370496;

/**
 * (address, port, TCP or UDP) as one key: exact for IPv4, in 32 + 16 + 1 bits (< 2^49).
 * Only for TCP and UDP: any protocol other than UDP counts as TCP.
 */
export function endpointKey(address: TableKey, port: number, proto: number): TableKey {
  const udp = proto === PROTO_UDP ? 1 : 0;
  if (typeof address === "number") return (address >>> 0) * 0x20000 + (port & 0xffff) * 2 + udp;
  const rest = Math.imul((port & 0xffff) * 2 + udp + 1, 0x85ebca6b);
  return ipv6Key(ipv6KeyHash(address, 0x51ed27 ^ rest), ipv6KeyHash(address, 0x1b873593 ^ rest));
}

/**
 * A key for the exchange (a:ap -> b:bp, proto). IPv4 tuples hash to a 53-bit number (no string
 * per packet; a collision merges two exchanges, about 1 in 10^9 at a full table); IPv6 ones
 * (or a mix, which no packet has) to a 52-bit one above 2^52.
 */
export function exchangeKey(
  a: TableKey,
  ap: number,
  b: TableKey,
  bp: number,
  proto: number,
): number {
  if (typeof a === "number" && typeof b === "number") {
    // Both halves depend on the ports: a scan keeps both addresses and the source port and
    // varies only the destination port, and with the ports in the low 21 bits alone a 1000-port
    // scan merged two of its exchanges about one time in four (a probe's failure was lost).
    const ports = mix32(ap << 16 | (bp & 0xffff));
    const high = mix32(a ^ mix32(b + proto * 0x9e3779b9 ^ ports));
    const low = mix32(ports ^ mix32(b ^ 0x85ebca6b) ^ mix32(a + proto));
    return (high >>> 0) * 0x200000 + (low >>> 11);
  }
  const ha = typeof a === "number" ? mix32(a) : ipv6KeyHash(a, 0x2545f491);
  const hb = typeof b === "number" ? mix32(b) : ipv6KeyHash(b, 0x6a09e667);
  const ports = mix32((ap << 16 | (bp & 0xffff)) ^ Math.imul(proto + 1, 0x27d4eb2f));
  return ipv6Key(mix32(ha ^ mix32(hb ^ ports)), mix32(ha + Math.imul(hb, 3) ^ mix32(ports + 1)));
}

/** The key of an exchange, the same from either side (endpoints in a fixed order). */
export function pairedKey(a: TableKey, ap: number, b: TableKey, bp: number, proto: number): number {
  const aFirst = a < b || (a === b && ap <= bp);
  return aFirst ? exchangeKey(a, ap, b, bp, proto) : exchangeKey(b, bp, a, ap, proto);
}

/** A fragmented datagram (source, destination, IP ID) as one key: later fragments have no ports. */
export function fragmentKey(src: TableKey, dst: TableKey, ipId: number): TableKey {
  if (typeof src === "number" && typeof dst === "number") {
    return (mix32(src ^ mix32(dst)) >>> 0) * 0x10000 + (ipId & 0xffff);
  }
  return exchangeKey(src, ipId & 0xffff, dst, 0, 0);
}

/**
 * An ordered pair of addresses as one key: an exchange key without ports or protocol (for IPv4
 * a hash, unique for pairs sharing `b`; any two others collide with a chance of 2^-52).
 */
export function pairKey(a: TableKey, b: TableKey): TableKey {
  return exchangeKey(a, 0, b, 0, 0);
}

/** Two 32-bit hashes as a number in [2^52, 2^53): 20 bits of `high`, 32 of `low`. */
function ipv6Key(high: number, low: number): number {
  return TWO_POW_52 + (high & 0xfffff) * TWO_POW_32 + (low >>> 0);
}
