/**
 * @module mutations
 * How the fuzzer mutates a frame: bit flips, interesting bytes, length fields at their edges,
 * cuts, insertions, splices; IPv6 extension chains and VLAN stacks.
 */
import {
  ahHeader,
  cat,
  ethernet,
  extHeader,
  fragmentHeader,
  ipv6,
  sll,
  sll2,
  tcp,
  vlanTag,
} from "../../testing/frames.ts";

import { EN10MB, SLL, SLL2 } from "./link_types.ts";
import type { Field } from "./fields.ts";
import { ETHERTYPE, type NetPacket, netPackets, type Seed } from "./seeds.ts";
import { Rng } from "./rng.ts";

const INTERESTING = [
  0,
  1,
  2,
  4,
  5,
  6,
  0x0f,
  17,
  0x20,
  41,
  43,
  44,
  47,
  50,
  51,
  58,
  59,
  60,
  0x7f,
  0x80,
  0x81,
  0x86,
  0x88,
  0x91,
  0xa8,
  0xdd,
  0xfe,
  0xff,
];

/** Sets `f` in `b` to an edge value: 0, 1, its maximum, past the frame, or random. */
function mutateField(r: Rng, b: Uint8Array, len: number, f: Field): void {
  const past = len - f.at + r.int(64); // a length reaching past the frame
  const pick = r.int(6);
  switch (f.width) {
    case "u8": {
      const v = [
        0,
        1,
        0xff,
        past & 0xff,
        r.int(256),
        (b[f.at]! + 1) & 0xff,
      ][pick]!;
      b[f.at] = v;
      break;
    }
    case "u16": {
      const v = [0, 1, 0xffff, past & 0xffff, r.int(65536), len][pick]!;
      b[f.at] = v >> 8;
      b[f.at + 1] = v & 0xff;
      break;
    }
    case "hi":
    case "lo": {
      const v = [0, 1, 15, (past >> 2) & 15, r.int(16), 5][pick]!;
      b[f.at] = f.width === "hi" ? (b[f.at]! & 0x0f) | (v << 4) : (b[f.at]! & 0xf0) | v;
      break;
    }
  }
}

/** A synthetic IPv6 packet with a long extension chain, or a loop of one header type. */
export function ipv6Chain(r: Rng): Uint8Array {
  const loop = r.chance(0.5);
  const types = [0, 43, 44, 51, 60];
  const n = 1 + r.int(loop ? 40 : 14);
  const first = r.pick(types);
  const parts: number[] = [];
  let nh = first;
  for (let i = 0; i < n; i++) {
    const next = i === n - 1 ? r.pick([6, 17, 58, 59, 44]) : loop ? first : r.pick(types);
    if (nh === 44) {
      parts.push(
        ...fragmentHeader(
          next,
          r.chance(0.8) ? 0 : 8 * r.int(8192),
          r.chance(0.5),
          i,
        ),
      );
    } else if (nh === 51) parts.push(...ahHeader(next, r.int(3)));
    else parts.push(...extHeader(next, r.chance(0.9) ? 0 : r.int(4), r.int(5)));
    nh = next;
  }
  parts.push(...tcp());
  return ipv6({ nextHeader: first, payload: parts });
}

let NET_PACKETS: NetPacket[] | undefined;

/** A frame whose VLAN stack may go past the cap of 4 tags. */
export function vlanStack(r: Rng): [number, Uint8Array] {
  const depth = 1 + r.int(12);
  const tpids = [0x8100, 0x88a8, 0x9100];
  const inner = r.pick(NET_PACKETS ??= netPackets());
  const parts: number[] = [];
  for (let i = 0; i < depth; i++) {
    parts.push(
      ...vlanTag(
        r.int(4096),
        i === depth - 1 ? ETHERTYPE[inner.kind] : r.pick(tpids),
      ),
    );
  }
  const first = r.pick(tpids);
  const body = cat(parts, inner.bytes);
  const link = r.int(3);
  if (link === 0) return [EN10MB, ethernet(first, body)];
  if (link === 1) return [SLL, sll(first, body)];
  return [SLL2, sll2(first, body)];
}

/** Largest frame the fuzzer builds. */
export const MAX_FRAME = 1024;

/** Applies one mutation to `b[0, len)`; returns the new length. */
export function mutate(
  r: Rng,
  b: Uint8Array,
  len: number,
  seed: Seed | null,
  seeds: Seed[],
): number {
  const m = r.int(100);
  if (m < 25 && len > 0) { // bit flips
    for (let k = 1 + r.int(8); k > 0; k--) b[r.int(len)]! ^= 1 << r.int(8);
  } else if (m < 40 && len > 0) { // interesting bytes
    for (let k = 1 + r.int(3); k > 0; k--) b[r.int(len)] = r.pick(INTERESTING);
  } else if (m < 65 && seed !== null && seed.fields.length > 0) { // length fields at edges
    for (let k = 1 + r.int(2); k > 0; k--) {
      const field = r.pick(seed.fields);
      if (field.at + (field.width === "u16" ? 2 : 1) <= len) {
        mutateField(r, b, len, field);
      }
    }
  } else if (m < 75) { // truncate
    return r.int(len + 1);
  } else if (m < 82 && len < MAX_FRAME - 64) { // insert bytes
    const at = r.int(len + 1), n = 1 + r.int(32);
    b.copyWithin(at + n, at, len);
    for (let i = 0; i < n; i++) b[at + i] = r.chance(0.5) ? 0 : r.u32() & 0xff;
    return len + n;
  } else if (m < 89 && len > 0) { // delete bytes
    const at = r.int(len), n = 1 + r.int(Math.min(16, len - at));
    b.copyWithin(at, at + n, len);
    return len - n;
  } else if (m < 95) { // splice: our head, another seed's tail
    const other = r.pick(seeds).bytes;
    const at = r.int(len + 1), from = r.int(other.length + 1);
    const n = Math.min(other.length - from, MAX_FRAME - at);
    b.set(other.subarray(from, from + n), at);
    return at + n;
  } else if (len < MAX_FRAME - 64) { // junk appended (Ethernet padding, trailers)
    const n = 1 + r.int(64);
    for (let i = 0; i < n; i++) b[len + i] = r.u32() & 0xff;
    return len + n;
  }
  return len;
}
