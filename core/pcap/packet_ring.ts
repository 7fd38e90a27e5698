/**
 * @module packet_ring
 * The recent packets, raw: a bounded ring of frame bytes and, per packet, its time, lengths and
 * addresses, fed from each batch on the engine's thread just before the batch is analysed, so
 * when an alert starts the ring holds exactly the packets detection has seen (and the rest of
 * that batch), also when a `--read` worker runs far ahead.
 *
 * Per batch, the frame bytes are taken over or copied in once (frame_chunks.ts); per packet,
 * twelve numbers are stored in its 64-byte record of one preallocated array: nothing is made
 * per packet. The ring holds at most `slots` packets and `bytes` bytes (in chunks of 1 MiB, one
 * per busy batch); the oldest go first, so under a heavy rate it spans less time than
 * `pcap.before_s`.
 */
import {
  F_ADDRESSES,
  F_ARP,
  F_IPV6,
  FRAME_KEEP_MAX,
  type PacketBatch,
  RECORD_WORDS,
  W_CAP_LEN,
  W_FLAGS,
  W_SRC_ADDR,
  W_WIRE_LEN,
} from "../packet/packet_batch.ts";
import { CHUNK_BYTES, FrameChunks } from "./frame_chunks.ts";

/**
 * One record per packet, 16 words (64 bytes: one cache line, so a packet stored touches one
 * line of the metadata instead of one in each of six arrays): its time and frame position as
 * two float64, its captured and wire lengths, its flags, then its source and destination
 * address words as in packet records.
 */
const SLOT_WORDS = 16;
const TIME = 0, POSITION = 1; // float64 indexes within a slot (slot * 8 + i)
const LENGTH = 4, WIRE_LENGTH = 5, FLAGS = 6, SRC = 8, DST = 12;

/** One or two addresses an alert is about, as packet-record words (see `parseAddress`). */
export interface RingKey {
  v6: boolean;
  /** Four words per address; `b` null matches any packet with `a` on either side. */
  a: readonly number[];
  b: readonly number[] | null;
}

/** The ring of recent packets. */
export class PacketRing {
  readonly #bytes: FrameChunks;
  /** The packets' records (SLOT_WORDS each), and the same memory as float64. */
  readonly #words: Int32Array;
  readonly #doubles: Float64Array;
  /** Packets appended so far: packet n lives in slot n % slots while n >= head - slots. */
  #head = 0;

  /** `byteCapacity` is rounded to whole chunks of `chunkBytes`, two at least. */
  constructor(readonly slots: number, byteCapacity: number, chunkBytes = CHUNK_BYTES) {
    this.#bytes = new FrameChunks(Math.max(2, Math.round(byteCapacity / chunkBytes)), chunkBytes);
    this.#words = new Int32Array(slots * SLOT_WORDS);
    this.#doubles = new Float64Array(this.#words.buffer);
  }

  /** Sequence number the next packet will get. */
  get head(): number {
    return this.#head;
  }

  /** Appends the packets of `batch` (a batch without frames adds nothing). */
  add(batch: PacketBatch): void {
    const frames = batch.frames, starts = batch.frameStarts;
    if (frames === null || starts === null || batch.count === 0) return;
    const base = this.#bytes.store(batch, batch.count * this.#bytes.count >= this.slots);
    // Every packet of every batch passes here: locals, the slot wrapped by hand (no division),
    // the addresses unrolled.
    const { fields, timestampsUs, count } = batch;
    const slots = this.slots, words = this.#words, doubles = this.#doubles;
    let slot = this.#head % slots;
    for (let i = 0, at = 0; i < count; i++, at += RECORD_WORDS) {
      const w = slot * SLOT_WORDS, d = w >> 1, from = at + W_SRC_ADDR;
      doubles[d + TIME] = timestampsUs[i]!;
      doubles[d + POSITION] = base + starts[i]!;
      const capLen = fields[at + W_CAP_LEN]!;
      words[w + LENGTH] = capLen < FRAME_KEEP_MAX ? capLen : FRAME_KEEP_MAX;
      words[w + WIRE_LENGTH] = fields[at + W_WIRE_LEN]!;
      words[w + FLAGS] = fields[at + W_FLAGS]!;
      words[w + SRC] = fields[from]!;
      words[w + SRC + 1] = fields[from + 1]!;
      words[w + SRC + 2] = fields[from + 2]!;
      words[w + SRC + 3] = fields[from + 3]!;
      words[w + DST] = fields[from + 4]!;
      words[w + DST + 1] = fields[from + 5]!;
      words[w + DST + 2] = fields[from + 6]!;
      words[w + DST + 3] = fields[from + 7]!;
      if (++slot === slots) slot = 0;
    }
    this.#head += count;
  }

  /** The oldest packet still whole in the ring. */
  get oldest(): number {
    // Positions grow with the sequence: the first one still within the bytes, by bisection.
    let low = Math.max(0, this.#head - this.slots), high = this.#head;
    const limit = this.#bytes.limit;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#positionOf(mid) >= limit) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Packet time of packet `seq` (µs). */
  timeOf(seq: number): number {
    return this.#doubles[(seq % this.slots) * (SLOT_WORDS >> 1) + TIME]!;
  }

  /** True when packet `seq` is between the key's addresses (either way), or has its one. */
  matches(seq: number, key: RingKey): boolean {
    const at = (seq % this.slots) * SLOT_WORDS, words = this.#words, flags = words[at + FLAGS]!;
    if (key.v6) {
      if ((flags & (F_IPV6 | F_ADDRESSES)) !== (F_IPV6 | F_ADDRESSES)) return false;
      const srcA = sameWords(words, at + SRC, key.a), dstA = sameWords(words, at + DST, key.a);
      if (key.b === null) return srcA || dstA;
      return (srcA && sameWords(words, at + DST, key.b)) ||
        (dstA && sameWords(words, at + SRC, key.b));
    }
    if ((flags & F_IPV6) !== 0 || (flags & (F_ADDRESSES | F_ARP)) === 0) return false;
    const src = words[at + SRC]!, dst = words[at + DST]!, a = key.a[0]! | 0;
    if (key.b === null) return src === a || dst === a;
    const b = key.b[0]! | 0;
    return (src === a && dst === b) || (src === b && dst === a);
  }

  /** Captured bytes kept of packet `seq`, and its length on the wire. */
  lengthOf(seq: number): number {
    return this.#words[(seq % this.slots) * SLOT_WORDS + LENGTH]!;
  }

  wireLengthOf(seq: number): number {
    return this.#words[(seq % this.slots) * SLOT_WORDS + WIRE_LENGTH]!;
  }

  /** Copies packet `seq`'s frame into `out` at `offset` (its `lengthOf` bytes). */
  copyFrame(seq: number, out: Uint8Array, offset: number): void {
    this.#bytes.copy(this.#positionOf(seq), this.lengthOf(seq), out, offset);
  }

  #positionOf(seq: number): number {
    return this.#doubles[(seq % this.slots) * (SLOT_WORDS >> 1) + POSITION]!;
  }
}

function sameWords(words: Int32Array, at: number, address: readonly number[]): boolean {
  return words[at] === (address[0]! | 0) && words[at + 1] === (address[1]! | 0) &&
    words[at + 2] === (address[2]! | 0) && words[at + 3] === (address[3]! | 0);
}
