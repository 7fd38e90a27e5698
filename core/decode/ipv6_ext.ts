/**
 * @module ipv6_ext
 * The IPv6 extension header chain: hop-by-hop (0), routing (43), fragment (44), destination
 * options (60) and AH (51, whose length counts 4-byte units minus 2). Shared by the IPv6 decoder
 * and the quoted header of ICMPv6 errors.
 */
import { u16, u32 } from "./bytes.ts";
import {
  E_ICMPV6_QUOTED_INVALID,
  E_ICMPV6_QUOTED_TRUNCATED,
  E_IPV6_EXTHDR_TOO_MANY,
  E_IPV6_EXTHDR_TRUNCATED,
  E_IPV6_ROUTING_TYPE_0,
} from "./events.ts";
import type { DecodeState } from "./state.ts";

/** Most extension headers walked in one chain; one more is "ipv6.exthdr_too_many". */
export const MAX_IPV6_EXT_HEADERS = 8;

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AH = 51;
const DEST_OPTIONS = 60;

/**
 * Walks the chain at `off` whose first header is `s.nextHeader`, inside `[off, end)`. Returns the
 * offset of the upper-layer header with its protocol in `s.nextHeader`, or -1 when an event
 * stopped decoding. A fragment header fills `s.fragOffset` (-1 without one), `s.fragMore` and
 * `s.fragId`; a later fragment ends the walk right after its fragment header. `quoted` (an
 * ICMPv6 error's copy) selects the icmpv6.quoted_* events and skips notes.
 */
export function walkIpv6Chain(s: DecodeState, off: number, end: number, quoted: boolean): number {
  const b = s.bytes;
  const trunc = quoted ? E_ICMPV6_QUOTED_TRUNCATED : E_IPV6_EXTHDR_TRUNCATED;
  let nh = s.nextHeader;
  s.fragOffset = -1;
  s.fragMore = 0;
  s.fragId = 0;
  for (let count = 0;; count++) {
    if (
      nh !== HOP_BY_HOP && nh !== ROUTING && nh !== FRAGMENT && nh !== DEST_OPTIONS && nh !== AH
    ) {
      s.nextHeader = nh;
      return off;
    }
    if (count === MAX_IPV6_EXT_HEADERS) {
      s.invalid(quoted ? E_ICMPV6_QUOTED_INVALID : E_IPV6_EXTHDR_TOO_MANY);
      return -1;
    }
    let len = 8;
    if (nh !== FRAGMENT) {
      if (s.lacks(off + 2, end, trunc, trunc)) return -1;
      len = nh === AH ? (b[off + 1] + 2) << 2 : (b[off + 1] + 1) << 3;
    }
    if (s.lacks(off + len, end, trunc, trunc)) return -1;
    if (nh === FRAGMENT) {
      s.fragOffset = u16(b, off + 2) & 0xfff8;
      s.fragMore = b[off + 3] & 1;
      s.fragId = u32(b, off + 4);
      if (s.fragOffset !== 0) {
        s.nextHeader = b[off];
        return off + len;
      }
    } else if (nh === ROUTING && !quoted && b[off + 2] === 0) {
      s.note(E_IPV6_ROUTING_TYPE_0);
    }
    nh = b[off];
    off += len;
  }
}
