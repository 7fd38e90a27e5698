/**
 * @module ethernet
 * Ethernet II (DLT_EN10MB) and the ethertype dispatch shared with the Linux cooked headers.
 */
import { W_ETHERTYPE } from "../packet/packet_batch.ts";
import { decodeArp } from "./arp.ts";
import { u16 } from "./bytes.ts";
import { E_ETHERNET_LLC, E_ETHERNET_TRUNCATED, E_ETHERNET_UNKNOWN_ETHERTYPE } from "./events.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import type { DecodeState } from "./state.ts";
import { isVlanTpid, skipVlanTags } from "./vlan.ts";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Below this the type/length field is an 802.3 length. */
export const ETHERTYPE_MIN = 0x0600;
/** Destination MAC, source MAC, ethertype. */
export const ETHERNET_HEADER_LEN = 14;

/** Decodes the Ethernet frame at `off`. */
export function decodeEthernet(s: DecodeState, off: number, end: number): void {
  if (s.lacks(off + ETHERNET_HEADER_LEN, end, E_ETHERNET_TRUNCATED, E_ETHERNET_TRUNCATED)) return;
  const type = u16(s.bytes, off + 12);
  s.linkSrc = off + 6;
  if (type < ETHERTYPE_MIN) {
    s.unsupported(E_ETHERNET_LLC);
    return;
  }
  decodeEthertype(s, type, off + ETHERNET_HEADER_LEN, end);
}

/** Decodes what ethertype `type` (>= 0x0600) announces at `off`, VLAN tags first. */
export function decodeEthertype(s: DecodeState, type: number, off: number, end: number): void {
  if (isVlanTpid(type)) {
    off = skipVlanTags(s, off, end);
    if (off < 0) return;
    type = u16(s.bytes, off - 2);
    if (type < ETHERTYPE_MIN) {
      s.unsupported(E_ETHERNET_LLC);
      return;
    }
  }
  s.put(W_ETHERTYPE, type);
  switch (type) {
    case ETHERTYPE_IPV4:
      decodeIpv4(s, off, end);
      break;
    case ETHERTYPE_IPV6:
      decodeIpv6(s, off, end);
      break;
    case ETHERTYPE_ARP:
      decodeArp(s, off, end);
      break;
    default:
      s.unsupported(E_ETHERNET_UNKNOWN_ETHERTYPE);
  }
}
