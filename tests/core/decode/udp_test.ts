import assert from "node:assert/strict";
import {
  decodeFrame,
  ipv4,
  ipv6,
  outcome,
  RAW,
  sweepTruncations,
  udp,
} from "../../support/frames.ts";

const DATAGRAM = ipv4({ proto: 17, payload: udp({ sport: 5353, dport: 53, payload: [1, 2, 3] }) });

Deno.test("decodeUdp() records ports and payload length", () => {
  const r = decodeFrame(RAW, DATAGRAM);
  assert.deepEqual(r.flags, ["IPV4", "UDP"]);
  assert.equal(r.srcPort, 5353);
  assert.equal(r.dstPort, 53);
  assert.equal(r.payloadLen, 3);
  assert.equal(r.tcpFlags, 0);
  assert.equal(r.event, "");
});

Deno.test("decodeUdp() handles every truncation length", () => {
  sweepTruncations(RAW, DATAGRAM, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 20, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 28, cut: "udp.truncated", whole: "ipv4.truncated" },
  ], "ipv4.truncated");
});

Deno.test("decodeUdp() records udp.header_too_small when the IP length leaves 7 bytes", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 17, payload: udp().slice(0, 7) }));
  assert.deepEqual(outcome(r), { event: "udp.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "UDP", "INVALID"]);
});

Deno.test("decodeUdp() records udp.len_invalid for a length below 8 or past the IP payload", () => {
  for (const length of [0, 7, 12]) {
    const r = decodeFrame(RAW, ipv4({ proto: 17, payload: udp({ length, payload: [1, 2, 3] }) }));
    assert.deepEqual(outcome(r), { event: "udp.len_invalid", flags: ["INVALID"] }, `${length}`);
    assert.equal(r.dstPort, 53);
    assert.equal(r.payloadLen, -1);
  }
});

Deno.test("decodeUdp() takes the payload length from a UDP length shorter than the IP payload", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 17, payload: udp({ length: 9, payload: [1, 2, 3] }) }));
  assert.equal(r.event, "");
  assert.equal(r.payloadLen, 1);
});

Deno.test("decodeUdp() decodes UDP over IPv6", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 17, payload: udp({ dport: 547 }) }));
  assert.deepEqual(r.flags, ["IPV6", "UDP"]);
  assert.equal(r.dstPort, 547);
  assert.equal(r.payloadLen, 0);
});
