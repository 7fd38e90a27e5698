/**
 * @module packet_ring
 * The recent packets, raw: a bounded ring of frame bytes and, per packet, its time, lengths and
 * addresses, fed from each batch on the engine's thread just before the batch is analysed, so
 * when an alert starts the ring holds exactly the packets detection has seen (and the rest of
 * that batch), also when a `--read` worker runs far ahead.
 *
 * Per batch, the frame bytes are taken over or copied in once (frame_chunks.ts); per packet,
 * eleven numbers are stored in its 64-byte record of one preallocated array, and its time and
 * two address folds in compact arrays that an alert's scan reads: nothing is made per packet.
 * The ring holds at most `slots` packets and `bytes` bytes (in chunks of 1 MiB, one per busy
 * batch); the oldest go first, so under a heavy rate it spans less time than `pcap.before_s`.
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
 * line of the metadata instead of one in each of six arrays): an unused float64 (the time lives
 * in the compact array scans read), its frame position as a float64, its captured and wire
 * lengths, its flags, then its source and destination address words as in packet records.
 */
const SLOT_WORDS = 16;
const POSITION = 1; // float64 index within a slot (slot * 8 + i); 0 is unused
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
  /**
   * Each packet's time and a fold of each address (IPv4: its word; IPv6: its four words xored),
   * apart from the records: an alert's scan over the ring reads 16 bytes a packet, not 64.
   */
  readonly #times: Float64Array;
  readonly #srcFolds: Int32Array;
  readonly #dstFolds: Int32Array;
  /** Packets appended so far: packet n lives in slot n % slots while n >= head - slots. */
  #head = 0;

  /** `byteCapacity` is rounded to whole chunks of `chunkBytes`, two at least. */
  constructor(readonly slots: number, byteCapacity: number, chunkBytes = CHUNK_BYTES) {
    this.#bytes = new FrameChunks(Math.max(2, Math.round(byteCapacity / chunkBytes)), chunkBytes);
    this.#words = new Int32Array(slots * SLOT_WORDS);
    this.#doubles = new Float64Array(this.#words.buffer);
    this.#times = new Float64Array(slots);
    this.#srcFolds = new Int32Array(slots);
    this.#dstFolds = new Int32Array(slots);
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
    const times = this.#times, srcFolds = this.#srcFolds, dstFolds = this.#dstFolds;
    let slot = this.#head % slots;
    for (let i = 0, at = 0; i < count; i++, at += RECORD_WORDS) {
      const w = slot * SLOT_WORDS, d = w >> 1, from = at + W_SRC_ADDR;
      times[slot] = timestampsUs[i]!;
      doubles[d + POSITION] = base + starts[i]!;
      const capLen = fields[at + W_CAP_LEN]!, flags = fields[at + W_FLAGS]!;
      words[w + LENGTH] = capLen < FRAME_KEEP_MAX ? capLen : FRAME_KEEP_MAX;
      words[w + WIRE_LENGTH] = fields[at + W_WIRE_LEN]!;
      words[w + FLAGS] = flags;
      const s0 = words[w + SRC] = fields[from]!, s1 = words[w + SRC + 1] = fields[from + 1]!;
      const s2 = words[w + SRC + 2] = fields[from + 2]!,
        s3 = words[w + SRC + 3] = fields[from + 3]!;
      const d0 = words[w + DST] = fields[from + 4]!, d1 = words[w + DST + 1] = fields[from + 5]!;
      const d2 = words[w + DST + 2] = fields[from + 6]!,
        d3 = words[w + DST + 3] = fields[from + 7]!;
      const v6 = (flags & F_IPV6) !== 0;
      srcFolds[slot] = v6 ? s0 ^ s1 ^ s2 ^ s3 : s0;
      dstFolds[slot] = v6 ? d0 ^ d1 ^ d2 ^ d3 : d0;
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
    return this.#times[seq % this.slots]!;
  }

  /**
   * Where the packets since `fromUs` begin: walking back from the head, the first packet of
   * the run at or after `fromUs` (the oldest packet still whole at most).
   */
  firstSince(fromUs: number): number {
    const times = this.#times, slots = this.slots, oldest = this.oldest;
    let first = this.#head;
    while (first > oldest && times[(first - 1) % slots]! >= fromUs) first--;
    return first;
  }

  /**
   * The first packet in [from, to) that is later than `untilUs` or matches `key`, or `to`:
   * a scan of the compact times and address folds, with `matches` only for candidates.
   */
  scan(from: number, to: number, key: RingKey, untilUs: number): number {
    const times = this.#times, srcFolds = this.#srcFolds, dstFolds = this.#dstFolds;
    const slots = this.slots, a = fold(key.a, key.v6), single = key.b === null;
    const b = single ? a : fold(key.b!, key.v6);
    let slot = from % slots;
    for (let seq = from; seq < to; seq++) {
      if (times[slot]! > untilUs) return seq;
      const src = srcFolds[slot]!, dst = dstFolds[slot]!;
      const candidate = single
        ? src === a || dst === a
        : (src === a && dst === b) || (src === b && dst === a);
      if (candidate && this.matches(seq, key)) return seq;
      if (++slot === slots) slot = 0;
    }
    return to;
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

/** An address's fold as `add` stores it. */
function fold(address: readonly number[], v6: boolean): number {
  const w0 = address[0]! | 0;
  return v6 ? w0 ^ (address[1]! | 0) ^ (address[2]! | 0) ^ (address[3]! | 0) : w0;
}

function sameWords(words: Int32Array, at: number, address: readonly number[]): boolean {
  return words[at] === (address[0]! | 0) && words[at + 1] === (address[1]! | 0) &&
    words[at + 2] === (address[2]! | 0) && words[at + 3] === (address[3]! | 0);
}
