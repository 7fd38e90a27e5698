/**
 * @module udp
 * UDP: ports and a sane length field (8 up to the IP payload); W_PAYLOAD_LEN from that field.
 */
import { F_UDP, W_DST_PORT, W_PAYLOAD_LEN, W_SRC_PORT } from "../packet/packet_batch.ts";
import { u16 } from "./bytes.ts";
import { E_UDP_HEADER_TOO_SMALL, E_UDP_LEN_INVALID, E_UDP_TRUNCATED } from "./events.ts";
import type { DecodeState } from "./state.ts";

export const UDP_HEADER_LEN = 8;

/** Decodes the UDP header at `off` of the datagram ending at `end` (per the IP length). */
export function decodeUdp(s: DecodeState, off: number, end: number): void {
  s.flags |= F_UDP;
  if (s.lacks(off + UDP_HEADER_LEN, end, E_UDP_TRUNCATED, E_UDP_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  s.put(W_SRC_PORT, u16(b, off));
  s.put(W_DST_PORT, u16(b, off + 2));
  const len = u16(b, off + 4);
  if (len < UDP_HEADER_LEN || off + len > end) {
    s.invalid(E_UDP_LEN_INVALID);
    return;
  }
  s.put(W_PAYLOAD_LEN, len - UDP_HEADER_LEN);
}
