import assert from "node:assert/strict";
import { PacketRing } from "../../../core/pcap/packet_ring.ts";
import { CHUNK_BYTES } from "../../../core/pcap/frame_chunks.ts";
import { FRAMES_BYTES } from "../../../ffi/frame_copy.ts";
import { ringKey } from "../../../core/pcap/alert_pcaps.ts";
import { tcpFrame, type Timed, udpFrame } from "../../support/detection_run.ts";
import { framedBatch } from "../../support/framed_batch.ts";

const T0 = 1_700_000_000_000_000;

/** The frame of ring packet `seq`, copied out. */
function frameOf(ring: PacketRing, seq: number): Uint8Array {
  const out = new Uint8Array(ring.lengthOf(seq));
  ring.copyFrame(seq, out, 0);
  return out;
}

/** `n` UDP packets from 10.0.0.1 port 1000+i, each `size` bytes of payload, 1 ms apart. */
function udpPackets(n: number, size: number, from = 0): Timed[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { tsUs: T0 + i * 1000, frame: udpFrame("10.0.0.1", "10.0.0.2", 1000 + i, 53, size) };
  });
}

Deno.test("PacketRing keeps the last `slots` packets whole, their times and bytes unchanged", () => {
  const ring = new PacketRing(8, 1 << 20);
  const sent = udpPackets(20, 10);
  for (let i = 0; i < 20; i += 5) ring.add(framedBatch(sent.slice(i, i + 5)));
  assert.equal(ring.head, 20);
  assert.equal(ring.oldest, 12); // 8 slots
  for (let seq = 12; seq < 20; seq++) {
    assert.equal(ring.timeOf(seq), sent[seq]!.tsUs);
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
    assert.equal(ring.wireLengthOf(seq), sent[seq]!.frame.length);
  }
});

Deno.test("PacketRing packs small batches into chunks and drops the oldest chunk whole", () => {
  // Frames of 76 bytes (42 + 34 payload), one per batch: three fill a 250-byte chunk, and four
  // chunks hold the last 12 packets (chunks 10 to 13 of 40 packets: from packet 30 on).
  const ring = new PacketRing(1024, 1000, 250);
  const sent = udpPackets(40, 34);
  for (let i = 0; i < 40; i++) ring.add(framedBatch(sent.slice(i, i + 1)));
  assert.equal(ring.oldest, 30);
  for (let seq = 30; seq < 40; seq++) {
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
  }
});

Deno.test("PacketRing keeps a busy batch's frame buffer and hands back the one it drops", () => {
  assert.equal(CHUNK_BYTES, FRAMES_BYTES, "a chunk is a capture batch's frame buffer");
  const size = 4096, ring = new PacketRing(1024, 4 * size, size);
  const sent = udpPackets(6 * 20, 150); // 20 frames of 192 bytes a batch: 3860 bytes
  const kept: Uint8Array[] = [], returned: Uint8Array[] = [];
  for (let b = 0; b < 6; b++) {
    const batch = framedBatch(sent.slice(b * 20, b * 20 + 20));
    const full = new Uint8Array(size); // as the capture worker's buffer: the chunk's length
    full.set(batch.frames!.subarray(0, batch.framesLength));
    batch.frames = full;
    ring.add(batch);
    kept.push(full);
    returned.push(batch.frames);
  }
  // The first four got new buffers; then the oldest chunks' buffers came back, uncopied.
  assert.ok(returned.every((buffer, b) => buffer !== kept[b] && buffer.length === size));
  assert.equal(returned[4], kept[0]);
  assert.equal(returned[5], kept[1]);
  assert.equal(ring.oldest, 40);
  for (let seq = 40; seq < 120; seq++) {
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
  }
  // A quarter-full batch would waste most of a chunk: copied, its buffer left to it.
  const small = framedBatch(udpPackets(5, 150, 120)), buffer = new Uint8Array(size);
  buffer.set(small.frames!.subarray(0, small.framesLength));
  small.frames = buffer;
  ring.add(small);
  assert.equal(small.frames, buffer);
  assert.deepEqual(frameOf(ring, 124), udpPackets(5, 150, 120)[4]!.frame);
});

Deno.test("PacketRing matches an alert's pair both ways, or its one address, IPv4 and IPv6", () => {
  const ring = new PacketRing(64, 1 << 16);
  const packets = [
    tcpFrame("10.0.0.5", "10.0.0.9", 40000, 22), // 0: attacker -> victim
    tcpFrame("10.0.0.9", "10.0.0.5", 22, 40000), // 1: victim -> attacker
    tcpFrame("10.0.0.5", "10.0.0.7", 40000, 22), // 2: attacker -> another host
    tcpFrame("10.0.0.8", "10.0.0.9", 40000, 22), // 3: another source -> victim
    tcpFrame("fd00::5", "fd00::9", 40000, 22), // 4
    tcpFrame("fd00::9", "fd00::5", 22, 40000), // 5
    tcpFrame("fd00::5", "fd00::7", 40000, 22), // 6
  ].map((frame, i) => ({ tsUs: T0 + i, frame }));
  ring.add(framedBatch(packets));
  const matching = (key: ReturnType<typeof ringKey>) =>
    [0, 1, 2, 3, 4, 5, 6].filter((seq) => ring.matches(seq, key!));
  assert.deepEqual(matching(ringKey("10.0.0.5", "10.0.0.9")), [0, 1]);
  assert.deepEqual(matching(ringKey("10.0.0.9", "10.0.0.5")), [0, 1]);
  assert.deepEqual(matching(ringKey("10.0.0.5")), [0, 1, 2]);
  assert.deepEqual(matching(ringKey(undefined, "10.0.0.9")), [0, 1, 3]);
  assert.deepEqual(matching(ringKey("fd00::5", "fd00::9")), [4, 5]);
  assert.deepEqual(matching(ringKey("fd00::5")), [4, 5, 6]);
  assert.equal(ringKey("not an address"), null);
  // `scan` (address folds first) finds what `matches` finds, in order, and stops at the first
  // packet past its time limit.
  const scanned = (key: ReturnType<typeof ringKey>, untilUs = T0 + 100) => {
    const found: number[] = [];
    for (let seq = 0; (seq = ring.scan(seq, ring.head, key!, untilUs)) < ring.head; seq++) {
      if (ring.timeOf(seq) > untilUs) break;
      found.push(seq);
    }
    return found;
  };
  for (const ips of [["10.0.0.5", "10.0.0.9"], ["10.0.0.5"], [undefined, "10.0.0.9"]]) {
    assert.deepEqual(scanned(ringKey(...ips)), matching(ringKey(...ips)), String(ips));
  }
  assert.deepEqual(scanned(ringKey("fd00::9", "fd00::5")), [4, 5]);
  assert.deepEqual(scanned(ringKey("fd00::5")), [4, 5, 6]);
  assert.deepEqual(scanned(ringKey("10.0.0.5"), T0 + 1), [0, 1], "stops past T0 + 1");
  assert.equal(ring.firstSince(T0 + 4), 4);
  assert.equal(ring.firstSince(T0 + 7), 7, "nothing since: the head");
});

Deno.test("PacketRing ignores batches without frames", () => {
  const ring = new PacketRing(8, 4096);
  const batch = framedBatch(udpPackets(3, 10));
  batch.frames = null;
  ring.add(batch);
  assert.equal(ring.head, 0);
});

Deno.test("PacketRing copies long frames out whole", () => {
  const ring = new PacketRing(64, 4000, 1000);
  const sent = udpPackets(30, 300); // 342-byte frames, two a batch: one chunk each
  for (let i = 0; i < 30; i += 2) ring.add(framedBatch(sent.slice(i, i + 2)));
  assert.equal(ring.oldest, 22);
  for (let seq = 22; seq < 30; seq++) {
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
  }
});
