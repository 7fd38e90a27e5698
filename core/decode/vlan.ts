/**
 * @module vlan
 * 802.1Q / 802.1ad (QinQ) / 0x9100 VLAN tag stacks: 4 bytes each (TCI, then the next ethertype).
 */
import { F_VLAN, W_VLAN_ID } from "../packet/packet_batch.ts";
import { u16 } from "./bytes.ts";
import { E_VLAN_TOO_MANY_LAYERS, E_VLAN_TRUNCATED } from "./events.ts";
import type { DecodeState } from "./state.ts";

/** Most tags decoded in one stack; one more is "vlan.too_many_layers". */
export const MAX_VLAN_TAGS = 4;

/** True for the ethertypes that announce a VLAN tag. */
export function isVlanTpid(type: number): boolean {
  return type === 0x8100 || type === 0x88a8 || type === 0x9100;
}

/**
 * Skips the tags starting at `off` (the ethertype before them was a TPID). Sets F_VLAN and the
 * outermost W_VLAN_ID. Returns the offset after the last tag (the inner ethertype is the 2 bytes
 * before it), or -1 when an event stopped decoding.
 */
export function skipVlanTags(s: DecodeState, off: number, end: number): number {
  const b = s.bytes;
  s.flags |= F_VLAN;
  for (let depth = 0;; depth++) {
    if (depth === MAX_VLAN_TAGS) {
      s.invalid(E_VLAN_TOO_MANY_LAYERS);
      return -1;
    }
    if (s.lacks(off + 4, end, E_VLAN_TRUNCATED, E_VLAN_TRUNCATED)) return -1;
    if (depth === 0) s.put(W_VLAN_ID, u16(b, off) & 0xfff);
    off += 4;
    if (!isVlanTpid(u16(b, off - 2))) return off;
  }
}
