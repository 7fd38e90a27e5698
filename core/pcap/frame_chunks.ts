/**
 * @module frame_chunks
 * The frame bytes of the ring of recent packets (packet_ring.ts), in a fixed number of chunks
 * the size of a capture batch's frame buffer (ffi/frame_copy.ts FRAMES_BYTES, 1 MiB). A busy
 * batch's frames are not copied: a chunk takes its buffer itself and the batch gets, in
 * exchange, the buffer the chunk held (the oldest frames, now dropped) or a new one, which
 * ffi/capture.ts hands back to the capture worker. At a high rate, where the cost matters, no
 * frame is copied twice. A batch that would waste much of a chunk (a live link's batch of
 * 15 ms) is copied into the current chunk instead, packed (see `store`). A frame's position is its chunk's sequence number times the chunk size
 * plus its offset: a frame never straddles chunks.
 */
import type { PacketBatch } from "../packet/packet_batch.ts";

/** The chunk size: ffi/frame_copy.ts FRAMES_BYTES (tests/core/pcap checks they agree). */
export const CHUNK_BYTES = 1 << 20;
/** Frames up to this many bytes are copied out byte by byte (see `copy`). */
const SHORT_FRAME = 128;

/** The ring's frame bytes. */
export class FrameChunks {
  readonly #chunks: (Uint8Array | null)[];
  /** Chunks begun so far: chunk n lives in slot n % count while n >= begun - count. */
  #begun = 0;
  /** Bytes used in the current chunk (begun - 1). */
  #fill = 0;

  constructor(readonly count: number, readonly chunkBytes = CHUNK_BYTES) {
    this.#chunks = new Array<Uint8Array | null>(count).fill(null);
  }

  /** Positions below this are gone: their chunk holds newer frames. */
  get limit(): number {
    return Math.max(0, this.#begun - this.count) * this.chunkBytes;
  }

  /**
   * Takes the frames of `batch` and returns the position of its byte 0 (packet i's frame lies
   * at that plus `frameStarts[i]`). Keeps the batch's buffer itself, putting another of the same
   * length in `batch.frames`, when it is three quarters full or when `slotsBound` (the chunks
   * would hold more batches like it than the ring has packet slots for, so keeping it whole
   * loses no packet the ring would have held).
   */
  store(batch: PacketBatch, slotsBound: boolean): number {
    const frames = batch.frames!, length = batch.framesLength, size = this.chunkBytes;
    if (length > size) {
      throw new Error(`a batch's frames (${length} bytes) exceed a ring chunk (${size} bytes)`);
    }
    if (frames.length === size && (slotsBound || length * 4 >= size * 3)) {
      const seq = this.#begun++, slot = seq % this.count;
      batch.frames = this.#chunks[slot] ?? new Uint8Array(size);
      this.#chunks[slot] = frames;
      this.#fill = size; // full: a small batch next begins a new chunk
      return seq * size;
    }
    if (this.#begun === 0 || this.#fill + length > size) {
      const slot = this.#begun++ % this.count;
      this.#chunks[slot] ??= new Uint8Array(size);
      this.#fill = 0;
    }
    const seq = this.#begun - 1, at = this.#fill;
    this.#chunks[seq % this.count]!.set(frames.subarray(0, length), at);
    this.#fill += length;
    return seq * size + at;
  }

  /**
   * Copies `length` bytes at `position` into `out` at `offset`. A short frame goes byte by byte:
   * `subarray` would make an object per packet written (140,000 for the floods of
   * bench/data/small-1000000.pcap).
   */
  copy(position: number, length: number, out: Uint8Array, offset: number): void {
    const seq = Math.floor(position / this.chunkBytes);
    const chunk = this.#chunks[seq % this.count]!, from = position - seq * this.chunkBytes;
    if (length <= SHORT_FRAME) {
      for (let i = 0; i < length; i++) out[offset + i] = chunk[from + i]!;
    } else {
      out.set(chunk.subarray(from, from + length), offset);
    }
  }
}
