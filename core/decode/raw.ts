/**
 * @module raw
 * Raw IP link types: DLT_RAW (12, and 14 on OpenBSD) and LINKTYPE_RAW (101) pick IPv4 or IPv6
 * from the first nibble; LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) name the version.
 */
import { W_ETHERTYPE } from "../packet/packet_batch.ts";
import { E_RAW_TRUNCATED, E_RAW_WRONG_VERSION } from "./events.ts";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "./ethernet.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import type { DecodeState } from "./state.ts";

/** Decodes the raw IP packet at `off`, IPv4 or IPv6 by its version nibble. */
export function decodeRaw(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + 1, end, E_RAW_TRUNCATED, E_RAW_TRUNCATED)) return;
  const version = s.bytes[off] >> 4;
  if (version === 4) decodeRawIpv4(s, off, end);
  else if (version === 6) decodeRawIpv6(s, off, end);
  else s.invalid(E_RAW_WRONG_VERSION);
}

/** Decodes the IPv4 packet at `off` (LINKTYPE_IPV4). */
export function decodeRawIpv4(s: DecodeState, off: number, end: number): void {
  s.put(W_ETHERTYPE, ETHERTYPE_IPV4);
  decodeIpv4(s, off, end);
}

/** Decodes the IPv6 packet at `off` (LINKTYPE_IPV6). */
export function decodeRawIpv6(s: DecodeState, off: number, end: number): void {
  s.put(W_ETHERTYPE, ETHERTYPE_IPV6);
  decodeIpv6(s, off, end);
}
