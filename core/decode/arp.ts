/**
 * @module arp
 * ARP for IPv4: the sender and target protocol addresses go to the source and destination
 * address words, the operation and the (6-byte) sender hardware address to W_ARP_OP and
 * W_ARP_SENDER_MAC. Any hardware address length is accepted; only a 6-byte one is kept. The
 * frame's link-layer source (Ethernet, or a Linux cooked header's 6-byte address) goes to
 * W_ARP_LINK_SRC_MAC, so a reply naming another station's MAC can be told from its sender.
 */
import {
  F_ARP,
  W_ARP_LINK_SRC_MAC,
  W_ARP_OP,
  W_ARP_SENDER_MAC,
  W_DST_ADDR,
  W_SRC_ADDR,
} from "../packet/packet_batch.ts";
import { u16, u32 } from "./bytes.ts";
import { E_ARP_TRUNCATED, E_ARP_UNKNOWN_FORMAT } from "./events.ts";
import type { DecodeState } from "./state.ts";

/** Hardware type, protocol type, hlen, plen, operation. */
export const ARP_FIXED_LEN = 8;
/** An Ethernet (MAC) hardware address length. */
const MAC_LEN = 6;

/** Decodes the ARP packet at `off`. */
export function decodeArp(s: DecodeState, off: number, end: number): void {
  s.flags |= F_ARP;
  if (s.lacks(off + ARP_FIXED_LEN, end, E_ARP_TRUNCATED, E_ARP_TRUNCATED)) return;
  const b = s.bytes;
  const hlen = b[off + 4];
  if (u16(b, off + 2) !== 0x0800 || b[off + 5] !== 4) {
    s.unsupported(E_ARP_UNKNOWN_FORMAT);
    return;
  }
  // sender hw, sender IPv4, target hw, target IPv4
  const sha = off + ARP_FIXED_LEN;
  const spa = sha + hlen;
  if (s.lacks(spa + hlen + 8, end, E_ARP_TRUNCATED, E_ARP_TRUNCATED)) return;
  s.put(W_SRC_ADDR, u32(b, spa));
  s.put(W_DST_ADDR, u32(b, spa + 4 + hlen));
  s.put(W_ARP_OP, u16(b, off + 6));
  if (hlen === MAC_LEN) {
    s.put(W_ARP_SENDER_MAC, u16(b, sha));
    s.put(W_ARP_SENDER_MAC + 1, u32(b, sha + 2));
  }
  const link = s.linkSrc;
  if (link >= 0) {
    s.put(W_ARP_LINK_SRC_MAC, u16(b, link));
    s.put(W_ARP_LINK_SRC_MAC + 1, u32(b, link + 2));
  }
}
