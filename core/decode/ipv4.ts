/**
 * @module ipv4
 * IPv4, with Suricata's validation ladder: header_too_small -> wrong_version -> hlen_too_small ->
 * iplen_smaller_than_hlen -> truncated; then options are bounds-checked, the datagram is clipped
 * to its total length (Ethernet padding dropped) and the transport header decoded unless this is
 * a later fragment.
 */
import {
  F_ADDRESSES,
  F_IPV4,
  W_DST_ADDR,
  W_IP_ID,
  W_IP_PROTO,
  W_SRC_ADDR,
  W_TTL,
} from "../packet/packet_batch.ts";
import { u16, u32 } from "./bytes.ts";
import {
  E_IPV4_FRAG_TOO_LARGE,
  E_IPV4_HEADER_TOO_SMALL,
  E_IPV4_HLEN_TOO_SMALL,
  E_IPV4_IPLEN_SMALLER_THAN_HLEN,
  E_IPV4_OPTIONS_INVALID,
  E_IPV4_OPTIONS_PRESENT,
  E_IPV4_TRUNCATED,
  E_IPV4_UNKNOWN_PROTOCOL,
  E_IPV4_WRONG_VERSION,
} from "./events.ts";
import { decodeIcmp } from "./icmp.ts";
import type { DecodeState } from "./state.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp } from "./udp.ts";

export const IPV4_HEADER_LEN = 20;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * Decodes the outermost IPv4 header at `off`. Addresses, TTL, id and protocol are recorded once
 * the 20-byte header is there with version 4, even if a later rung fails.
 */
export function decodeIpv4(s: DecodeState, off: number, end: number): void {
  s.flags |= F_IPV4;
  if (s.lacks(off + IPV4_HEADER_LEN, end, E_IPV4_TRUNCATED, E_IPV4_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  const vhl = b[off];
  if (vhl >> 4 !== 4) {
    s.invalid(E_IPV4_WRONG_VERSION);
    return;
  }
  const proto = b[off + 9];
  s.put(W_IP_PROTO, proto);
  s.put(W_TTL, b[off + 8]);
  s.put(W_IP_ID, u16(b, off + 4));
  s.put(W_SRC_ADDR, u32(b, off + 12));
  s.put(W_DST_ADDR, u32(b, off + 16));
  s.flags |= F_ADDRESSES;
  const hlen = (vhl & 15) << 2;
  if (hlen < IPV4_HEADER_LEN) {
    s.invalid(E_IPV4_HLEN_TOO_SMALL);
    return;
  }
  const totalLen = u16(b, off + 2);
  if (totalLen < hlen) {
    s.invalid(E_IPV4_IPLEN_SMALLER_THAN_HLEN);
    return;
  }
  const ipEnd = off + totalLen;
  if (ipEnd > end) { // claims more than the frame holds on the wire
    s.invalid(E_IPV4_TRUNCATED);
    return;
  }
  if (s.lacks(off + hlen, ipEnd, E_IPV4_TRUNCATED, E_IPV4_TRUNCATED)) return;
  if (hlen > IPV4_HEADER_LEN) {
    s.note(E_IPV4_OPTIONS_PRESENT);
    if (!optionsValid(b, off + IPV4_HEADER_LEN, off + hlen)) {
      s.invalid(E_IPV4_OPTIONS_INVALID);
      return;
    }
  }
  const frag = u16(b, off + 6);
  const fragOffset = (frag & 0x1fff) << 3;
  const isFragment = fragOffset !== 0 || (frag & 0x2000) !== 0;
  if (isFragment && s.fragment(fragOffset, totalLen - hlen, E_IPV4_FRAG_TOO_LARGE)) return;
  switch (proto) {
    case IPPROTO_TCP:
      decodeTcp(s, off + hlen, ipEnd);
      break;
    case IPPROTO_UDP:
      decodeUdp(s, off + hlen, ipEnd);
      break;
    case IPPROTO_ICMP:
      decodeIcmp(s, off + hlen, ipEnd);
      break;
    default:
      s.unsupported(E_IPV4_UNKNOWN_PROTOCOL);
  }
}

/** True when every option in `[off, end)` has a length of at least 2 that stays inside. */
function optionsValid(b: Uint8Array, off: number, end: number): boolean {
  while (off < end) {
    const type = b[off];
    if (type === 0) return true; // end of option list
    if (type === 1) { // no-operation
      off++;
      continue;
    }
    if (off + 1 >= end) return false;
    const len = b[off + 1];
    if (len < 2 || off + len > end) return false;
    off += len;
  }
  return true;
}
