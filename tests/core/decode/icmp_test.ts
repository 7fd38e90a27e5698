import assert from "node:assert/strict";
import {
  decodeFrame,
  EN10MB,
  ethernet,
  icmp,
  ipv4,
  outcome,
  RAW,
  sweepTruncations,
  tcp,
  udp,
} from "../../support/frames.ts";

/** The first 28 bytes of the UDP datagram a port-unreachable quotes. */
const QUOTED_UDP = ipv4({
  proto: 17,
  src: "10.0.0.2",
  dst: "10.0.0.9",
  payload: udp({ sport: 33000, dport: 161, payload: new Uint8Array(40) }),
}).slice(0, 28);
const PORT_UNREACHABLE = ipv4({
  proto: 1,
  src: "10.0.0.9",
  dst: "10.0.0.2",
  payload: icmp(3, 3, QUOTED_UDP, [0, 0, 0, 0]),
});

Deno.test("decodeIcmp() records type, code and payload length of an echo request", () => {
  const r = decodeFrame(EN10MB, ethernet(0x0800, ipv4({ proto: 1, payload: icmp(8, 0, [1, 2]) })));
  assert.deepEqual(r.flags, ["IPV4", "ICMP4"]);
  assert.equal(r.icmpType, 8);
  assert.equal(r.icmpCode, 0);
  assert.equal(r.payloadLen, 2);
  assert.equal(r.srcPort, -1);
  assert.equal(r.innerProto, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeIcmp() reads the UDP ports a port-unreachable quotes", () => {
  const r = decodeFrame(RAW, PORT_UNREACHABLE);
  assert.deepEqual(r.flags, ["IPV4", "ICMP4", "ICMP_ERROR"]);
  assert.equal(r.icmpType, 3);
  assert.equal(r.icmpCode, 3);
  assert.equal(r.innerProto, 17);
  assert.equal(r.innerSrcPort, 33000);
  assert.equal(r.innerDstPort, 161);
  assert.equal(r.innerDst, "10.0.0.9");
  assert.equal(r.srcPort, -1);
  assert.equal(r.ipProto, 1);
  assert.equal(r.payloadLen, 28);
  assert.equal(r.event, "");
});

Deno.test("decodeIcmp() handles every truncation length of a port-unreachable", () => {
  sweepTruncations(RAW, PORT_UNREACHABLE, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 20, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 28, cut: "icmp.truncated", whole: "ipv4.truncated" },
    { end: 52, cut: "icmp.quoted_truncated", whole: "ipv4.truncated" },
  ], "ipv4.truncated");
});

Deno.test("decodeIcmp() sets F_ICMP4 only for a time-exceeded quoting TCP", () => {
  const quoted = ipv4({ proto: 6, payload: tcp({ sport: 1234, dport: 443 }) }).slice(0, 28);
  const r = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(11, 0, quoted, [0, 0, 0, 0]) }));
  assert.deepEqual(r.flags, ["IPV4", "ICMP4", "ICMP_ERROR"]);
  assert.equal(r.innerProto, 6);
  assert.equal(r.innerSrcPort, 1234);
  assert.equal(r.innerDstPort, 443);
  assert.equal(r.tcpFlags, 0);
});

Deno.test("decodeIcmp() gives no inner ports for a quoted later fragment or quoted ICMP", () => {
  const frag = ipv4({ proto: 17, fragOffset: 8, payload: udp() });
  const a = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(3, 1, frag) }));
  assert.deepEqual([a.innerProto, a.innerSrcPort, a.event], [17, -1, ""]);
  const echo = ipv4({ proto: 1, payload: icmp(8, 0) });
  const b = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(3, 1, echo) }));
  assert.deepEqual([b.innerProto, b.innerSrcPort, b.flags], [1, -1, [
    "IPV4",
    "ICMP4",
    "ICMP_ERROR",
  ]]);
});

Deno.test("decodeIcmp() records icmp.header_too_small when the IP length leaves 7 bytes", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(8, 0).slice(0, 7) }));
  assert.deepEqual(outcome(r), { event: "icmp.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "ICMP4", "INVALID"]);
});

Deno.test("decodeIcmp() records icmp.truncated, not invalid, for a header cut by the snaplen", () => {
  const r = decodeFrame(RAW, PORT_UNREACHABLE, { capLen: 25 });
  assert.deepEqual(r.flags, ["IPV4", "ICMP4", "TRUNCATED"]);
  assert.equal(r.event, "icmp.truncated");
});

Deno.test("decodeIcmp() records icmp.quoted_invalid for a quoted header that is not IPv4", () => {
  for (const quoted of [ipv4({ proto: 17, version: 6 }), ipv4({ proto: 17, ihl: 4 })]) {
    const r = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(3, 3, quoted) }));
    assert.deepEqual(outcome(r), { event: "icmp.quoted_invalid", flags: ["INVALID"] });
    assert.equal(r.icmpType, 3);
    assert.equal(r.innerProto, -1);
  }
});

Deno.test("decodeIcmp() records icmp.quoted_truncated as invalid when the message ends early", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(3, 3, QUOTED_UDP.slice(0, 22)) }));
  assert.deepEqual(outcome(r), { event: "icmp.quoted_truncated", flags: ["INVALID"] });
  const ports = decodeFrame(RAW, ipv4({ proto: 1, payload: icmp(3, 3, QUOTED_UDP.slice(0, 23)) }));
  assert.deepEqual(outcome(ports), { event: "icmp.quoted_truncated", flags: ["INVALID"] });
  assert.equal(ports.innerProto, 17);
});
