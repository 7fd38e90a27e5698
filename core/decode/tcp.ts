/**
 * @module tcp
 * TCP: ports, flags, data offset. Options are not parsed; W_PAYLOAD_LEN follows the IP length.
 */
import {
  F_TCP,
  W_DST_PORT,
  W_PAYLOAD_LEN,
  W_SRC_PORT,
  W_TCP_FLAGS,
} from "../packet/packet_batch.ts";
import { u16 } from "./bytes.ts";
import {
  E_TCP_HEADER_TOO_SMALL,
  E_TCP_HLEN_TOO_LARGE,
  E_TCP_HLEN_TOO_SMALL,
  E_TCP_TRUNCATED,
} from "./events.ts";
import type { DecodeState } from "./state.ts";

export const TCP_HEADER_LEN = 20;

/** Decodes the TCP header at `off` of the segment ending at `end` (per the IP length). */
export function decodeTcp(s: DecodeState, off: number, end: number): void {
  s.flags |= F_TCP;
  if (s.lacks(off + TCP_HEADER_LEN, end, E_TCP_TRUNCATED, E_TCP_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  s.put(W_SRC_PORT, u16(b, off));
  s.put(W_DST_PORT, u16(b, off + 2));
  s.put(W_TCP_FLAGS, b[off + 13]);
  const hlen = (b[off + 12] >> 4) << 2;
  if (hlen < TCP_HEADER_LEN) {
    s.invalid(E_TCP_HLEN_TOO_SMALL);
    return;
  }
  if (s.lacks(off + hlen, end, E_TCP_TRUNCATED, E_TCP_HLEN_TOO_LARGE)) return;
  s.put(W_PAYLOAD_LEN, end - off - hlen);
}
