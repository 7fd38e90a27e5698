/**
 * @module bytes
 * Big-endian readers over a Uint8Array, with shifts (no DataView per packet). Callers check bounds
 * first; the results are int32, so a uint32 comes back signed (store it in an Int32Array as is,
 * read it back with `>>> 0`).
 */

/** The big-endian uint16 at `i`. */
export function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

/** The big-endian 32-bit word at `i`, as an int32. */
export function u32(b: Uint8Array, i: number): number {
  return (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
}
