import assert from "node:assert/strict";
import {
  decodeFrame,
  ipv4,
  ipv6,
  outcome,
  RAW,
  sweepTruncations,
  tcp,
} from "../../support/frames.ts";

const OPTIONS = [2, 4, 5, 0xb4, 1, 1, 4, 2]; // MSS 1460, NOP, NOP, SACK permitted
const SEGMENT = tcp({ sport: 51000, dport: 22, flags: 0x12, options: OPTIONS, payload: [9, 9, 9] });
const DATAGRAM = ipv4({ proto: 6, payload: SEGMENT });

Deno.test("decodeTcp() records ports, flags and payload length of a SYN-ACK with options", () => {
  const r = decodeFrame(RAW, DATAGRAM);
  assert.deepEqual(r.flags, ["IPV4", "TCP"]);
  assert.equal(r.srcPort, 51000);
  assert.equal(r.dstPort, 22);
  assert.equal(r.tcpFlags, 0x12);
  assert.equal(r.payloadLen, 3);
  assert.equal(r.event, "");
});

Deno.test("decodeTcp() handles every truncation length of its header and options", () => {
  sweepTruncations(RAW, DATAGRAM, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 20, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 48, cut: "tcp.truncated", whole: "ipv4.truncated" },
  ], "ipv4.truncated");
});

Deno.test("decodeTcp() records tcp.header_too_small when the IP length leaves 19 bytes", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, payload: tcp().slice(0, 19) }));
  assert.deepEqual(outcome(r), { event: "tcp.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "TCP", "INVALID"]);
  assert.equal(r.srcPort, -1);
});

Deno.test("decodeTcp() records tcp.hlen_too_small for a data offset of 4", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, payload: tcp({ dataOffset: 4 }) }));
  assert.deepEqual(outcome(r), { event: "tcp.hlen_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "TCP", "INVALID"]);
  assert.equal(r.dstPort, 80);
  assert.equal(r.payloadLen, -1);
});

Deno.test("decodeTcp() records tcp.hlen_too_large for a data offset past the segment", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, payload: tcp({ dataOffset: 15 }) }));
  assert.deepEqual(outcome(r), { event: "tcp.hlen_too_large", flags: ["INVALID"] });
  // Invalid even when the snaplen cut the frame: the IP length, not the capture, is short.
  const cut = decodeFrame(RAW, ipv4({ proto: 6, payload: tcp({ dataOffset: 15 }) }), {
    capLen: 45,
  });
  assert.deepEqual(outcome(cut), { event: "tcp.hlen_too_large", flags: ["INVALID"] });
});

Deno.test("decodeTcp() records tcp.truncated, not invalid, for options cut by the snaplen", () => {
  const r = decodeFrame(RAW, DATAGRAM, { capLen: 44 });
  assert.deepEqual(r.flags, ["IPV4", "TCP", "TRUNCATED"]);
  assert.equal(r.event, "tcp.truncated");
  assert.equal(r.srcPort, 51000);
});

Deno.test("decodeTcp() decodes TCP over IPv6", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 6, payload: tcp({ flags: 0x11, payload: [1] }) }));
  assert.deepEqual(r.flags, ["IPV6", "TCP"]);
  assert.equal(r.tcpFlags, 0x11);
  assert.equal(r.payloadLen, 1);
});
