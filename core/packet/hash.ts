/**
 * @module hash
 * Small integer hashing shared by the hot paths (table keys, distinct-count sketches).
 */

/**
 * murmur3's finaliser: spreads the bits of a 32-bit value. Returns an int32 (callers that need
 * the unsigned value use `>>> 0`; shifts and xors see the same bits either way).
 */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
