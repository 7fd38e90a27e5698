import assert from "node:assert/strict";
import type { Frame } from "../../core/decode/decoder.ts";
import { CaptureError } from "../../ffi/errors.ts";
import { PcapHandle, READ_EOF, READ_PACKET } from "../../ffi/pcap_handle.ts";
import { makeTempDir, writePcap } from "../support/pcap_writer.ts";

function frame(): Frame {
  return { bytes: new Uint8Array(0), start: 0, capLen: 0, wireLen: 0, timestampUs: 0 };
}

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 255);
}

Deno.test("PcapHandle.next() gives each frame's bytes, lengths and time in place", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/h.pcap`;
  const sizes = [60, 1514, 0, 200_000, 42];
  const packets = sizes.map((n, i) => ({
    tsUs: 1_700_000_000_000_000 + i * 1_000_001,
    bytes: pattern(n, i),
    wireLen: n + i,
  }));
  await writePcap(path, { linkType: 1, snaplen: 262144, packets });
  using handle = PcapHandle.openOffline(path);
  assert.equal(handle.linkType, 1);
  assert.equal(handle.linkTypeName, "EN10MB");
  assert.equal(handle.snaplen, 262144);
  assert.equal(handle.live, false);
  const f = frame();
  for (const p of packets) {
    assert.equal(handle.next(f), READ_PACKET);
    assert.equal(f.capLen, p.bytes.length);
    assert.equal(f.wireLen, p.wireLen);
    assert.equal(f.timestampUs, p.tsUs);
    assert.deepEqual(f.bytes.subarray(f.start, f.start + f.capLen), p.bytes);
  }
  assert.equal(handle.next(f), READ_EOF);
  assert.equal(handle.next(f), READ_EOF);
});

Deno.test("PcapHandle.close() is idempotent and later calls fail cleanly", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/c.pcap`;
  await writePcap(path, { packets: [{ tsUs: 1, bytes: pattern(60, 0) }] });
  const handle = PcapHandle.openOffline(path);
  assert.throws(() => handle.stats(), CaptureError); // files have no kernel counters
  handle.setFilter("");
  handle.close();
  handle.close();
  assert.equal(handle.open, false);
  assert.equal(handle.next(frame()), READ_EOF);
  assert.throws(() => handle.linkType, /closed/);
  assert.throws(() => handle.setFilter("tcp"), /closed/);
});

if (Deno.uid() !== 0) console.log("skip: PcapHandle.openLive() test: live capture needs root");

Deno.test("PcapHandle.openLive() on loopback: snaplen, filter, stats, non-blocking", {
  ignore: Deno.uid() !== 0,
}, () => {
  using handle = PcapHandle.openLive({
    device: "lo",
    snaplen: 128,
    promiscuous: true,
    bufferSize: 1 << 20,
  });
  assert.equal(handle.live, true);
  assert.equal(handle.snaplen, 128);
  assert.equal(handle.linkType, 1);
  handle.setFilter("udp port 9 and host 127.0.0.77");
  handle.setNonblocking(true);
  assert.equal(handle.next(frame()), 0);
  assert.deepEqual(handle.stats(), { received: 0, dropped: 0, ifDropped: 0 });
  assert.throws(() => handle.setFilter("port"), /^CaptureError: Bad filter "port": /);
});
