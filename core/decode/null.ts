/**
 * @module null
 * BSD loopback: DLT_NULL (0), a 4-byte address family in the capturing host's byte order (both
 * orders accepted), and DLT_LOOP (108), the same in network byte order. IPv4 is family 2; IPv6 is
 * 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
 */
import { W_ETHERTYPE } from "../packet/packet_batch.ts";
import { u32 } from "./bytes.ts";
import { E_NULL_TRUNCATED, E_NULL_UNKNOWN_FAMILY } from "./events.ts";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./ethernet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import type { DecodeState } from "./state.ts";

export const NULL_HEADER_LEN = 4;

/** Decodes the DLT_NULL header at `off`. */
export function decodeNull(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + NULL_HEADER_LEN, end, E_NULL_TRUNCATED, E_NULL_TRUNCATED)) return;
  const b = s.bytes;
  const little = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  // A family fits in 16 bits; read little-endian it overflows them only if stored big-endian.
  const family = (little >>> 0) < 0x10000 ? little : u32(b, off);
  decodeFamily(s, family, off + NULL_HEADER_LEN, end);
}

/** Decodes the DLT_LOOP header at `off`. */
export function decodeLoop(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + NULL_HEADER_LEN, end, E_NULL_TRUNCATED, E_NULL_TRUNCATED)) return;
  decodeFamily(s, u32(s.bytes, off), off + NULL_HEADER_LEN, end);
}

function decodeFamily(s: DecodeState, family: number, off: number, end: number): void {
  if (family === 2) {
    s.put(W_ETHERTYPE, ETHERTYPE_IPV4);
    decodeIpv4(s, off, end);
  } else if (family === 24 || family === 28 || family === 30) {
    s.put(W_ETHERTYPE, ETHERTYPE_IPV6);
    decodeIpv6(s, off, end);
  } else {
    s.unsupported(E_NULL_UNKNOWN_FAMILY);
  }
}
