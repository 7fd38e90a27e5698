import assert from "node:assert/strict";
import {
  arp,
  be16,
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  outcome,
  sweepTruncations,
} from "../support/frames.ts";

const FRAME = ethernet(0x0806, arp("192.168.1.10", "192.168.1.1"));

Deno.test("decodeArp() puts the sender and target IPv4 addresses in the address words", () => {
  const r = decodeFrame(EN10MB, FRAME);
  assert.deepEqual(r.flags, ["ARP"]);
  assert.equal(r.ethertype, 0x0806);
  assert.equal(r.src, "192.168.1.10");
  assert.equal(r.dst, "192.168.1.1");
  assert.equal(r.ipProto, -1);
  assert.equal(r.srcPort, -1);
  assert.equal(r.ttl, -1);
  assert.equal(r.payloadLen, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeArp() handles every truncation length", () => {
  sweepTruncations(EN10MB, FRAME, [
    { end: 14, cut: "ethernet.truncated", whole: "ethernet.truncated" },
    { end: 42, cut: "arp.truncated", whole: "arp.truncated" },
  ]);
});

Deno.test("decodeArp() records arp.unknown_format for a non-IPv4 protocol as unsupported", () => {
  const r = decodeFrame(EN10MB, ethernet(0x0806, cat(be16(1), be16(0x86dd), [6, 16], be16(1))));
  assert.deepEqual(r.flags, ["ARP", "UNSUPPORTED"]);
  assert.deepEqual(outcome(r), { event: "arp.unknown_format", flags: ["UNSUPPORTED"] });
});

Deno.test("decodeArp() accepts another hardware address length", () => {
  const body = cat(
    be16(32),
    be16(0x0800),
    [20, 4],
    be16(2),
    new Uint8Array(20),
    [10, 0, 0, 1],
    new Uint8Array(20),
    [10, 0, 0, 2],
  );
  const r = decodeFrame(EN10MB, ethernet(0x0806, body));
  assert.deepEqual([r.src, r.dst, r.event], ["10.0.0.1", "10.0.0.2", ""]);
});
