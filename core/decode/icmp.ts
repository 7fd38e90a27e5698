/**
 * @module icmp
 * ICMP for IPv4: type and code; errors (3 unreachable, 4 source quench, 5 redirect, 11 time
 * exceeded, 12 parameter problem) also yield the quoted IPv4 header's protocol and ports.
 */
import {
  F_ICMP4,
  F_ICMP_ERROR,
  W_ICMP_CODE,
  W_ICMP_TYPE,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_PAYLOAD_LEN,
} from "../packet/packet_batch.ts";
import { u16, u32 } from "./bytes.ts";
import {
  E_ICMP_HEADER_TOO_SMALL,
  E_ICMP_QUOTED_INVALID,
  E_ICMP_QUOTED_TRUNCATED,
  E_ICMP_TRUNCATED,
} from "./events.ts";
import type { DecodeState } from "./state.ts";

/** Type, code, checksum and the 4-byte rest of header. */
export const ICMP_HEADER_LEN = 8;

/** Decodes the ICMP message at `off` ending at `end` (per the IP length). */
export function decodeIcmp(s: DecodeState, off: number, end: number): void {
  s.flags |= F_ICMP4;
  if (s.lacks(off + ICMP_HEADER_LEN, end, E_ICMP_TRUNCATED, E_ICMP_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  const type = b[off];
  s.put(W_ICMP_TYPE, type);
  s.put(W_ICMP_CODE, b[off + 1]);
  s.put(W_PAYLOAD_LEN, end - off - ICMP_HEADER_LEN);
  if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
    decodeQuotedIpv4(s, off + ICMP_HEADER_LEN, end);
  }
}

/** The IPv4 header an error quotes at `off`, then the ports of a quoted first TCP/UDP fragment. */
function decodeQuotedIpv4(s: DecodeState, off: number, end: number): void {
  const qt = E_ICMP_QUOTED_TRUNCATED;
  if (s.lacks(off + 20, end, qt, qt)) return;
  const b = s.bytes;
  const hlen = (b[off] & 15) << 2;
  if (b[off] >> 4 !== 4 || hlen < 20) {
    s.invalid(E_ICMP_QUOTED_INVALID);
    return;
  }
  if (s.lacks(off + hlen, end, qt, qt)) return;
  const proto = b[off + 9];
  s.put(W_INNER_PROTO, proto);
  s.put(W_INNER_DST_ADDR, u32(b, off + 16));
  s.flags |= F_ICMP_ERROR;
  if ((u16(b, off + 6) & 0x1fff) !== 0 || (proto !== 6 && proto !== 17)) return;
  off += hlen;
  if (s.lacks(off + 4, end, qt, qt)) return;
  s.put(W_INNER_SRC_PORT, u16(b, off));
  s.put(W_INNER_DST_PORT, u16(b, off + 2));
}
