/**
 * @module sll
 * Linux cooked capture, v1 (DLT_LINUX_SLL 113, 16 bytes, protocol at 14) and v2 (DLT_LINUX_SLL2
 * 276, 20 bytes, protocol at 0): what libpcap gives for the `any` device. A protocol below 0x0600
 * (802.3/802.2 frames, CAN, netlink families) is unsupported. The link-layer address (the
 * sender's, for frames in and out) is kept for ARP when it is 6 bytes long.
 */
import { u16 } from "./bytes.ts";
import { E_SLL_TRUNCATED, E_SLL_UNKNOWN_PROTOCOL } from "./events.ts";
import { decodeEthertype, ETHERTYPE_MIN } from "./ethernet.ts";
import type { DecodeState } from "./state.ts";

export const SLL_HEADER_LEN = 16;
export const SLL2_HEADER_LEN = 20;
/** A link-layer address length that is a MAC. */
const MAC_LEN = 6;

/** Decodes the Linux cooked v1 header at `off`. */
export function decodeSll(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + SLL_HEADER_LEN, end, E_SLL_TRUNCATED, E_SLL_TRUNCATED)) return;
  if (u16(s.bytes, off + 4) === MAC_LEN) s.linkSrc = off + 6;
  decodeProtocol(s, u16(s.bytes, off + 14), off + SLL_HEADER_LEN, end);
}

/** Decodes the Linux cooked v2 header at `off`. */
export function decodeSll2(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + SLL2_HEADER_LEN, end, E_SLL_TRUNCATED, E_SLL_TRUNCATED)) return;
  if (s.bytes[off + 11] === MAC_LEN) s.linkSrc = off + 12;
  decodeProtocol(s, u16(s.bytes, off), off + SLL2_HEADER_LEN, end);
}

function decodeProtocol(s: DecodeState, protocol: number, off: number, end: number): void {
  if (protocol < ETHERTYPE_MIN) s.unsupported(E_SLL_UNKNOWN_PROTOCOL);
  else decodeEthertype(s, protocol, off, end);
}
