/**
 * @module frame_copy
 * Copies each packet's frame out of libpcap's memory into its batch (`PacketBatch.frames`), for
 * the packets behind an alert (core/pcap/). This runs in the capture worker for every packet, so
 * it makes no object per packet: a subarray-and-set would make one, and a byte loop costs ~1 ns
 * a byte, so bytes go four at a time through Int32Array views of both buffers, the destination
 * placed at the source's alignment (at most 3 bytes of padding a frame).
 */
import type { Frame } from "../core/decode/decoder.ts";
import { FRAME_KEEP_MAX, type PacketBatch } from "../core/packet/packet_batch.ts";

/** Bytes of frames a batch holds; a batch is posted early once a largest frame may not fit. */
export const FRAMES_BYTES = 1 << 20;

/** Copies frames into batches; one per worker. */
export class FrameCopier {
  #source: Uint8Array = new Uint8Array(0);
  #sourceWords: Int32Array = new Int32Array(0);
  #target: Uint8Array = new Uint8Array(0);
  #targetWords: Int32Array = new Int32Array(0);

  /** Fresh frame buffers for a batch of `capacity` packets. */
  static buffers(capacity: number): { frames: Uint8Array; frameStarts: Int32Array } {
    return { frames: new Uint8Array(FRAMES_BYTES), frameStarts: new Int32Array(capacity) };
  }

  /** True while `batch` has room for one more frame of any length. */
  static hasRoom(batch: PacketBatch): boolean {
    return batch.framesLength + FRAME_KEEP_MAX + 4 <= FRAMES_BYTES;
  }

  /** Copies `frame` as the batch's next packet (call before decoding it into the batch). */
  keep(frame: Frame, batch: PacketBatch): void {
    const src = frame.bytes, dst = batch.frames!;
    if (src !== this.#source) {
      this.#source = src;
      this.#sourceWords = new Int32Array(src.buffer, src.byteOffset, src.byteLength >> 2);
    }
    if (dst !== this.#target) {
      this.#target = dst;
      this.#targetWords = new Int32Array(dst.buffer, dst.byteOffset, dst.byteLength >> 2);
    }
    let i = frame.start;
    const end = i + (frame.capLen < FRAME_KEEP_MAX ? frame.capLen : FRAME_KEEP_MAX);
    // The source's byteOffset is 0 (a window over libpcap's memory), so i & 3 is its alignment.
    let j = ((batch.framesLength + 3) & ~3) | (i & 3);
    batch.frameStarts![batch.count] = j;
    while ((i & 3) !== 0 && i < end) dst[j++] = src[i++]!;
    const sw = this.#sourceWords, dw = this.#targetWords;
    let wi = i >> 2, wj = j >> 2;
    const wordsEnd = end >> 2;
    while (wi + 4 <= wordsEnd) {
      dw[wj] = sw[wi]!;
      dw[wj + 1] = sw[wi + 1]!;
      dw[wj + 2] = sw[wi + 2]!;
      dw[wj + 3] = sw[wi + 3]!;
      wi += 4;
      wj += 4;
    }
    while (wi < wordsEnd) dw[wj++] = sw[wi++]!;
    if (wi << 2 > i) {
      i = wi << 2;
      j = wj << 2;
    }
    while (i < end) dst[j++] = src[i++]!;
    batch.framesLength = j;
  }
}
