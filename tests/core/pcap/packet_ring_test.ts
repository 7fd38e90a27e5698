import assert from "node:assert/strict";
import { PacketRing } from "../../../core/pcap/packet_ring.ts";
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

Deno.test("PacketRing drops the oldest packets by bytes, frames wrapping the end come out whole", () => {
  // Frames of 76 bytes (42 + 34 payload) in a 1000-byte ring: 13 fit; the rest wrap around.
  const ring = new PacketRing(1024, 1000);
  const sent = udpPackets(40, 34);
  for (let i = 0; i < 40; i += 3) ring.add(framedBatch(sent.slice(i, i + 3)));
  const oldest = ring.oldest;
  assert.ok(oldest >= 40 - 13 && oldest < 40 - 10, `oldest ${oldest}`);
  for (let seq = oldest; seq < 40; seq++) {
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
  }
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
});

Deno.test("PacketRing ignores batches without frames", () => {
  const ring = new PacketRing(8, 4096);
  const batch = framedBatch(udpPackets(3, 10));
  batch.frames = null;
  ring.add(batch);
  assert.equal(ring.head, 0);
});

Deno.test("PacketRing copies long frames out whole, wrapping or not", () => {
  const ring = new PacketRing(64, 2000);
  const sent = udpPackets(30, 300); // 342-byte frames: five fit
  for (let i = 0; i < 30; i += 2) ring.add(framedBatch(sent.slice(i, i + 2)));
  assert.ok(ring.oldest >= 24, `oldest ${ring.oldest}`);
  for (let seq = ring.oldest; seq < 30; seq++) {
    assert.deepEqual(frameOf(ring, seq), sent[seq]!.frame, `packet ${seq}`);
  }
});
