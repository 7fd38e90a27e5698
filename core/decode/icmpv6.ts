/**
 * @module icmpv6
 * ICMPv6: type and code; errors (1 unreachable, 2 packet too big, 3 time exceeded, 4 parameter
 * problem) also yield the quoted IPv6 packet's upper protocol and ports.
 */
import {
  F_ICMP6,
  F_ICMP_ERROR,
  W_ICMP_CODE,
  W_ICMP_TYPE,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_PAYLOAD_LEN,
} from "../packet/packet_batch.ts";
import { u16 } from "./bytes.ts";
import {
  E_ICMPV6_HEADER_TOO_SMALL,
  E_ICMPV6_QUOTED_INVALID,
  E_ICMPV6_QUOTED_TRUNCATED,
  E_ICMPV6_TRUNCATED,
} from "./events.ts";
import { walkIpv6Chain } from "./ipv6_ext.ts";
import type { DecodeState } from "./state.ts";

/** Type, code, checksum and the 4-byte message body start every message has. */
export const ICMPV6_HEADER_LEN = 8;

/** Decodes the ICMPv6 message at `off` ending at `end` (per the IPv6 length). */
export function decodeIcmpv6(s: DecodeState, off: number, end: number): void {
  s.flags |= F_ICMP6;
  if (s.lacks(off + ICMPV6_HEADER_LEN, end, E_ICMPV6_TRUNCATED, E_ICMPV6_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  const type = b[off];
  s.put(W_ICMP_TYPE, type);
  s.put(W_ICMP_CODE, b[off + 1]);
  s.put(W_PAYLOAD_LEN, end - off - ICMPV6_HEADER_LEN);
  if (type >= 1 && type <= 4) decodeQuotedIpv6(s, off + ICMPV6_HEADER_LEN, end);
}

/** The IPv6 packet an error quotes at `off`: its chain, then ports of a first TCP/UDP fragment. */
function decodeQuotedIpv6(s: DecodeState, off: number, end: number): void {
  const qt = E_ICMPV6_QUOTED_TRUNCATED;
  if (s.lacks(off + 40, end, qt, qt)) return;
  const b = s.bytes;
  if (b[off] >> 4 !== 6) {
    s.invalid(E_ICMPV6_QUOTED_INVALID);
    return;
  }
  s.nextHeader = b[off + 6];
  const up = walkIpv6Chain(s, off + 40, end, true);
  if (up < 0) return;
  const proto = s.nextHeader;
  s.put(W_INNER_PROTO, proto);
  s.putAddr6(W_INNER_DST_ADDR, off + 24); // only with F_ICMP_ERROR: zeros otherwise
  s.flags |= F_ICMP_ERROR;
  if (s.fragOffset > 0 || (proto !== 6 && proto !== 17)) return;
  if (s.lacks(up + 4, end, qt, qt)) return;
  s.put(W_INNER_SRC_PORT, u16(b, up));
  s.put(W_INNER_DST_PORT, u16(b, up + 2));
}
