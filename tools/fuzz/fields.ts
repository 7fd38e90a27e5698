/**
 * @module fields
 * The length-like fields of a valid seed frame, found by a reference walk of well-formed frames.
 */

import { EN10MB, LOOP, NULL, SLL, SLL2 } from "./link_types.ts";

/** A length-like field of a seed: where it is and how wide. */
export interface Field {
  at: number;
  width: "u8" | "u16" | "hi" | "lo";
}

function u16(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}

/** The length-like fields of a valid frame: header lengths, total lengths, counts, offsets. */
export function findFields(linkType: number, b: Uint8Array): Field[] {
  const fields: Field[] = [];
  let off = 0, type = -1;
  switch (linkType) {
    case EN10MB:
      type = u16(b, 12);
      off = 14;
      fields.push({ at: 12, width: "u16" });
      break;
    case SLL:
      type = u16(b, 14);
      off = 16;
      fields.push({ at: 14, width: "u16" }, { at: 4, width: "u16" }); // protocol, address length
      break;
    case SLL2:
      type = u16(b, 0);
      off = 20;
      fields.push({ at: 0, width: "u16" }, { at: 11, width: "u8" });
      break;
    case NULL:
    case LOOP:
      off = 4;
      fields.push({ at: 0, width: "u8" }, { at: 3, width: "u8" });
      type = b[4]! >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    default:
      type = b[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  }
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    fields.push({ at: off + 2, width: "u16" });
    type = u16(b, off + 2);
    off += 4;
  }
  if (type === 0x0800) walkIpv4(b, off, fields);
  else if (type === 0x86dd) walkIpv6(b, off, fields);
  else if (type === 0x0806) {
    fields.push({ at: off + 4, width: "u8" }, { at: off + 5, width: "u8" });
  }
  return fields.filter((f) => f.at < b.length);
}

function walkIpv4(b: Uint8Array, off: number, fields: Field[]): void {
  const hlen = (b[off]! & 15) << 2;
  fields.push(
    { at: off, width: "lo" },
    { at: off, width: "hi" },
    { at: off + 2, width: "u16" },
    { at: off + 6, width: "u16" },
    { at: off + 9, width: "u8" },
  );
  for (let o = off + 20; o < off + hlen;) { // options
    const t = b[o]!;
    if (t === 0) break;
    if (t === 1) {
      o++;
      continue;
    }
    fields.push({ at: o + 1, width: "u8" });
    o += Math.max(2, b[o + 1]!);
  }
  if ((u16(b, off + 6) & 0x1fff) !== 0) return;
  walkTransport(b, b[off + 9]!, off + hlen, fields, 4);
}

function walkIpv6(b: Uint8Array, off: number, fields: Field[]): void {
  fields.push(
    { at: off, width: "hi" },
    { at: off + 4, width: "u16" },
    { at: off + 6, width: "u8" },
  );
  let nh = b[off + 6]!;
  off += 40;
  for (let n = 0; n < 10 && [0, 43, 44, 51, 60].includes(nh); n++) {
    fields.push({ at: off, width: "u8" });
    if (nh === 44) {
      fields.push({ at: off + 2, width: "u16" });
      if ((u16(b, off + 2) & 0xfff8) !== 0) return;
      nh = b[off]!;
      off += 8;
      continue;
    }
    fields.push({ at: off + 1, width: "u8" });
    const len = nh === 51 ? (b[off + 1]! + 2) << 2 : (b[off + 1]! + 1) << 3;
    nh = b[off]!;
    off += len;
  }
  walkTransport(b, nh, off, fields, 6);
}

function walkTransport(
  b: Uint8Array,
  proto: number,
  off: number,
  fields: Field[],
  v: number,
) {
  if (off >= b.length) return;
  if (proto === 6) fields.push({ at: off + 12, width: "hi" });
  else if (proto === 17) fields.push({ at: off + 4, width: "u16" });
  else if ((proto === 1 && v === 4) || (proto === 58 && v === 6)) {
    fields.push({ at: off, width: "u8" });
    const type = b[off]!;
    const error = v === 4 ? [3, 4, 5, 11, 12].includes(type) : type >= 1 && type <= 4;
    if (error && off + 8 < b.length) {
      if (v === 4) walkIpv4(b, off + 8, fields);
      else walkIpv6(b, off + 8, fields);
    }
  }
}
