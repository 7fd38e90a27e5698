/**
 * @module ipv6
 * IPv6: the fixed header, the extension header chain (ipv6_ext.ts), fragments, then the
 * transport header. No Next Header (59) ends the packet quietly; ESP (50) and other protocols are
 * unsupported.
 */
import {
  F_ADDRESSES,
  F_IPV6,
  W_DST_ADDR,
  W_IP_ID,
  W_IP_PROTO,
  W_SRC_ADDR,
  W_TTL,
} from "../packet/packet_batch.ts";
import { u16 } from "./bytes.ts";
import {
  E_IPV6_ATOMIC_FRAGMENT,
  E_IPV6_FRAG_TOO_LARGE,
  E_IPV6_HEADER_TOO_SMALL,
  E_IPV6_TRUNCATED,
  E_IPV6_UNKNOWN_PROTOCOL,
  E_IPV6_WRONG_VERSION,
} from "./events.ts";
import { decodeIcmpv6 } from "./icmpv6.ts";
import { walkIpv6Chain } from "./ipv6_ext.ts";
import type { DecodeState } from "./state.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp } from "./udp.ts";

export const IPV6_HEADER_LEN = 40;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * Decodes the outermost IPv6 header at `off`. Addresses and hop limit are recorded once the
 * 40-byte header is there with version 6; W_IP_PROTO ends as the upper-layer protocol.
 */
export function decodeIpv6(s: DecodeState, off: number, end: number): void {
  s.flags |= F_IPV6;
  if (s.lacks(off + IPV6_HEADER_LEN, end, E_IPV6_TRUNCATED, E_IPV6_HEADER_TOO_SMALL)) return;
  const b = s.bytes;
  if (b[off] >> 4 !== 6) {
    s.invalid(E_IPV6_WRONG_VERSION);
    return;
  }
  const nh = b[off + 6];
  s.put(W_IP_PROTO, nh);
  s.put(W_TTL, b[off + 7]);
  s.putAddr6(W_SRC_ADDR, off + 8);
  s.putAddr6(W_DST_ADDR, off + 24);
  s.flags |= F_ADDRESSES;
  const payloadLen = u16(b, off + 4);
  // A jumbogram (payload length 0 + hop-by-hop jumbo option) runs to the end of the frame.
  const ipEnd = payloadLen === 0 && nh === 0 ? end : off + IPV6_HEADER_LEN + payloadLen;
  if (ipEnd > end) { // claims more than the frame holds on the wire
    s.invalid(E_IPV6_TRUNCATED);
    return;
  }
  s.nextHeader = nh;
  const up = walkIpv6Chain(s, off + IPV6_HEADER_LEN, ipEnd, false);
  if (up < 0) return;
  const proto = s.nextHeader;
  s.put(W_IP_PROTO, proto);
  const fragOffset = s.fragOffset;
  if (fragOffset >= 0) {
    s.put(W_IP_ID, s.fragId);
    if (fragOffset === 0 && s.fragMore === 0) s.note(E_IPV6_ATOMIC_FRAGMENT);
    else if (s.fragment(fragOffset, ipEnd - up, E_IPV6_FRAG_TOO_LARGE)) return;
  }
  switch (proto) {
    case IPPROTO_TCP:
      decodeTcp(s, up, ipEnd);
      break;
    case IPPROTO_UDP:
      decodeUdp(s, up, ipEnd);
      break;
    case IPPROTO_ICMPV6:
      decodeIcmpv6(s, up, ipEnd);
      break;
    case IPPROTO_NONE:
      break;
    default:
      s.unsupported(E_IPV6_UNKNOWN_PROTOCOL);
  }
}
