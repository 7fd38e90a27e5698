/**
 * @module packet_ring
 * The recent packets, raw: a bounded ring of frame bytes and, per packet, its time, lengths and
 * addresses, fed from each batch on the engine's thread just before the batch is analysed, so
 * when an alert starts the ring holds exactly the packets detection has seen (and the rest of
 * that batch), also when a `--read` worker runs far ahead.
 *
 * Per batch, the frame bytes go in with one or two `set` calls; per packet, twelve numbers are
 * stored in preallocated typed arrays: nothing is made per packet. The ring holds at most
 * `slots` packets and `bytes` bytes; the oldest go first, so under a heavy rate it spans less
 * time than `pcap.before_s`.
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

/** Address words stored per packet: source (4) then destination (4), as in packet records. */
const ADDRESS_WORDS = 8;

/** One or two addresses an alert is about, as packet-record words (see `parseAddress`). */
export interface RingKey {
  v6: boolean;
  /** Four words per address; `b` null matches any packet with `a` on either side. */
  a: readonly number[];
  b: readonly number[] | null;
}

/** The ring of recent packets. */
export class PacketRing {
  readonly #bytes: Uint8Array;
  readonly #timestamps: Float64Array;
  /** Absolute byte position of each packet's frame (bytes appended before it). */
  readonly #positions: Float64Array;
  readonly #lengths: Int32Array;
  readonly #wireLengths: Int32Array;
  readonly #flags: Int32Array;
  readonly #addresses: Int32Array;
  /** Packets appended so far: packet n lives in slot n % slots while n >= head - slots. */
  #head = 0;
  /** Bytes appended so far. */
  #written = 0;

  constructor(readonly slots: number, readonly byteCapacity: number) {
    this.#bytes = new Uint8Array(byteCapacity);
    this.#timestamps = new Float64Array(slots);
    this.#positions = new Float64Array(slots);
    this.#lengths = new Int32Array(slots);
    this.#wireLengths = new Int32Array(slots);
    this.#flags = new Int32Array(slots);
    this.#addresses = new Int32Array(slots * ADDRESS_WORDS);
  }

  /** Sequence number the next packet will get. */
  get head(): number {
    return this.#head;
  }

  /** Appends the packets of `batch` (a batch without frames adds nothing). */
  add(batch: PacketBatch): void {
    const frames = batch.frames, starts = batch.frameStarts;
    if (frames === null || starts === null || batch.count === 0) return;
    const base = this.#written;
    this.#copyIn(frames, batch.framesLength);
    const { fields, timestampsUs, count } = batch;
    const slots = this.slots, addresses = this.#addresses;
    let seq = this.#head;
    for (let i = 0, at = 0; i < count; i++, at += RECORD_WORDS, seq++) {
      const slot = seq % slots;
      this.#timestamps[slot] = timestampsUs[i]!;
      this.#positions[slot] = base + starts[i]!;
      const capLen = fields[at + W_CAP_LEN]!;
      this.#lengths[slot] = capLen < FRAME_KEEP_MAX ? capLen : FRAME_KEEP_MAX;
      this.#wireLengths[slot] = fields[at + W_WIRE_LEN]!;
      this.#flags[slot] = fields[at + W_FLAGS]!;
      const to = slot * ADDRESS_WORDS, from = at + W_SRC_ADDR;
      for (let w = 0; w < ADDRESS_WORDS; w++) addresses[to + w] = fields[from + w]!;
    }
    this.#head = seq;
  }

  /** The oldest packet still whole in the ring. */
  get oldest(): number {
    // Positions grow with the sequence: the first one still within the bytes, by bisection.
    let low = Math.max(0, this.#head - this.slots), high = this.#head;
    const limit = this.#written - this.byteCapacity;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#positions[mid % this.slots]! >= limit) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Packet time of packet `seq` (µs). */
  timeOf(seq: number): number {
    return this.#timestamps[seq % this.slots]!;
  }

  /** True when packet `seq` is between the key's addresses (either way), or has its one. */
  matches(seq: number, key: RingKey): boolean {
    const slot = seq % this.slots, flags = this.#flags[slot]!;
    const at = slot * ADDRESS_WORDS, addresses = this.#addresses;
    if (key.v6) {
      if ((flags & (F_IPV6 | F_ADDRESSES)) !== (F_IPV6 | F_ADDRESSES)) return false;
      const srcA = sameWords(addresses, at, key.a), dstA = sameWords(addresses, at + 4, key.a);
      if (key.b === null) return srcA || dstA;
      return (srcA && sameWords(addresses, at + 4, key.b)) ||
        (dstA && sameWords(addresses, at, key.b));
    }
    if ((flags & F_IPV6) !== 0 || (flags & (F_ADDRESSES | F_ARP)) === 0) return false;
    const src = addresses[at]!, dst = addresses[at + 4]!, a = key.a[0]! | 0;
    if (key.b === null) return src === a || dst === a;
    const b = key.b[0]! | 0;
    return (src === a && dst === b) || (src === b && dst === a);
  }

  /** Captured bytes kept of packet `seq`, and its length on the wire. */
  lengthOf(seq: number): number {
    return this.#lengths[seq % this.slots]!;
  }

  wireLengthOf(seq: number): number {
    return this.#wireLengths[seq % this.slots]!;
  }

  /** Copies packet `seq`'s frame into `out` at `offset` (its `lengthOf` bytes). */
  copyFrame(seq: number, out: Uint8Array, offset: number): void {
    const slot = seq % this.slots, length = this.#lengths[slot]!, cap = this.byteCapacity;
    const from = this.#positions[slot]! % cap;
    const first = Math.min(length, cap - from);
    out.set(this.#bytes.subarray(from, from + first), offset);
    if (first < length) out.set(this.#bytes.subarray(0, length - first), offset + first);
  }

  /** Appends `length` bytes of `frames` at the ring's write position (wrapping). */
  #copyIn(frames: Uint8Array, length: number): void {
    const cap = this.byteCapacity;
    let from = 0;
    if (length > cap) from = length - cap; // never with the config's bounds; kept safe anyway
    const at = (this.#written + from) % cap, n = length - from;
    const first = Math.min(n, cap - at);
    this.#bytes.set(frames.subarray(from, from + first), at);
    if (first < n) this.#bytes.set(frames.subarray(from + first, length), 0);
    this.#written += length;
  }
}

function sameWords(words: Int32Array, at: number, address: readonly number[]): boolean {
  return words[at] === (address[0]! | 0) && words[at + 1] === (address[1]! | 0) &&
    words[at + 2] === (address[2]! | 0) && words[at + 3] === (address[3]! | 0);
}
