import assert from "node:assert/strict";
import { Capture } from "../../ffi/capture.ts";
import { writePcap } from "../../testing/pcap_writer.ts";
import { RECORD_WORDS, W_CAP_LEN } from "../../core/packet/packet_batch.ts";

/** Frames of every length from 1 to 300 bytes (all four alignments), each byte telling its place. */
function frames(): Uint8Array[] {
  return Array.from(
    { length: 300 },
    (_, n) => Uint8Array.from({ length: n + 1 }, (_, i) => (i * 7 + n) & 255),
  );
}

Deno.test("Capture keepFrames: each batch carries every frame's bytes unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-frames-" });
  try {
    const sent = frames();
    const path = `${dir}/frames.pcap`;
    await writePcap(path, {
      packets: sent.map((bytes, i) => ({ tsUs: 1_700_000_000_000_000 + i, bytes })),
    });
    const got: Uint8Array[] = [];
    const capture = await Capture.open({ read: path, keepFrames: true, batchSize: 64 });
    await capture.run({
      onBatch(batch) {
        for (let i = 0; i < batch.count; i++) {
          const start = batch.frameStarts![i]!;
          const length = batch.fields[i * RECORD_WORDS + W_CAP_LEN]!;
          assert.ok(start + length <= batch.framesLength);
          got.push(batch.frames!.slice(start, start + length));
        }
      },
    });
    assert.equal(got.length, sent.length);
    sent.forEach((bytes, i) => assert.deepEqual(got[i], bytes, `frame ${i}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
