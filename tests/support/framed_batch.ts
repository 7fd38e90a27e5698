/**
 * @module framed_batch
 * Batches that carry their frames, as a capture with `keepFrames` makes them (ffi/frame_copy.ts),
 * for the tests of the alert pcaps (core/pcap/): each frame decoded into the batch and its bytes
 * copied into `frames`, `frameStarts` pointing at them.
 */
import type { PacketBatch } from "../../core/packet/packet_batch.ts";
import { batchOf, type Timed } from "./detection_run.ts";

/** One batch of `packets`, frames kept back to back (with one byte between, to be unaligned). */
export function framedBatch(packets: Timed[]): PacketBatch {
  const batch = batchOf(packets);
  const total = packets.reduce((sum, p) => sum + p.frame.length + 1, 0);
  batch.frames = new Uint8Array(total);
  batch.frameStarts = new Int32Array(batch.capacity);
  let at = 0;
  packets.forEach(({ frame }, i) => {
    at++;
    batch.frameStarts![i] = at;
    batch.frames!.set(frame, at);
    at += frame.length;
  });
  batch.framesLength = at;
  return batch;
}
