import assert from "node:assert/strict";
import {
  decodeFrame,
  fragmentHeader,
  icmp,
  ipv4,
  ipv6,
  outcome,
  RAW,
  sweepTruncations,
  tcp,
  udp,
} from "../../support/frames.ts";

const QUOTED_UDP = ipv6({ nextHeader: 17, payload: udp({ sport: 40001, dport: 123 }) });
const UNREACHABLE = ipv6({ nextHeader: 58, payload: icmp(1, 4, QUOTED_UDP, [0, 0, 0, 0]) });

Deno.test("decodeIcmpv6() records type, code and payload length of an echo request", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(128, 0, [1, 2, 3]) }));
  assert.deepEqual(r.flags, ["IPV6", "ICMP6"]);
  assert.equal(r.icmpType, 128);
  assert.equal(r.icmpCode, 0);
  assert.equal(r.payloadLen, 3);
  assert.equal(r.ipProto, 58);
  assert.equal(r.innerProto, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeIcmpv6() reads the UDP ports a port-unreachable quotes", () => {
  const r = decodeFrame(RAW, UNREACHABLE);
  assert.deepEqual(r.flags, ["IPV6", "ICMP6", "ICMP_ERROR"]);
  assert.equal(r.icmpType, 1);
  assert.equal(r.icmpCode, 4);
  assert.equal(r.innerProto, 17);
  assert.equal(r.innerSrcPort, 40001);
  assert.equal(r.innerDstPort, 123);
  assert.equal(r.innerDst, "2001:db8::2");
  assert.equal(r.srcPort, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeIcmpv6() handles every truncation length of a port-unreachable", () => {
  sweepTruncations(RAW, UNREACHABLE, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 40, cut: "ipv6.truncated", whole: "ipv6.header_too_small" },
    { end: 48, cut: "icmpv6.truncated", whole: "ipv6.truncated" },
    { end: 92, cut: "icmpv6.quoted_truncated", whole: "ipv6.truncated" },
  ], "ipv6.truncated");
});

Deno.test("decodeIcmpv6() walks the quoted chain of a packet-too-big quoting TCP", () => {
  const quoted = ipv6({
    nextHeader: 44,
    payload: [...fragmentHeader(6, 0, true, 9), ...tcp({ sport: 443, dport: 50000 })],
  });
  const r = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(2, 0, quoted, [0, 0, 5, 0]) }));
  assert.deepEqual(r.flags, ["IPV6", "ICMP6", "ICMP_ERROR"]);
  assert.deepEqual([r.innerProto, r.innerSrcPort, r.innerDstPort], [6, 443, 50000]);
  assert.equal(r.fragOffset, -1); // the quoted fragment header is not the packet's own
  assert.equal(r.ipId, -1);
  const later = ipv6({ nextHeader: 44, payload: [...fragmentHeader(6, 8, false, 9), ...tcp()] });
  const l = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(2, 0, later) }));
  assert.deepEqual([l.innerProto, l.innerSrcPort, l.event], [6, -1, ""]);
});

Deno.test("decodeIcmpv6() records icmpv6.header_too_small when the IPv6 length leaves 7 bytes", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(128, 0).slice(0, 7) }));
  assert.deepEqual(outcome(r), { event: "icmpv6.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV6", "ICMP6", "INVALID"]);
});

Deno.test("decodeIcmpv6() records icmpv6.truncated, not invalid, for a header cut by the snaplen", () => {
  const r = decodeFrame(RAW, UNREACHABLE, { capLen: 44 });
  assert.deepEqual(r.flags, ["IPV6", "ICMP6", "TRUNCATED"]);
  assert.equal(r.event, "icmpv6.truncated");
});

Deno.test("decodeIcmpv6() records icmpv6.quoted_invalid for a quoted header that is not IPv6", () => {
  const quoted = ipv4({ proto: 17, payload: [...udp(), ...new Uint8Array(20)] });
  const r = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(3, 0, quoted) }));
  assert.deepEqual(outcome(r), { event: "icmpv6.quoted_invalid", flags: ["INVALID"] });
  assert.equal(r.innerProto, -1);
});

Deno.test("decodeIcmpv6() records icmpv6.quoted_truncated as invalid when the message ends early", () => {
  const r = decodeFrame(
    RAW,
    ipv6({ nextHeader: 58, payload: icmp(1, 0, QUOTED_UDP.slice(0, 39)) }),
  );
  assert.deepEqual(outcome(r), { event: "icmpv6.quoted_truncated", flags: ["INVALID"] });
  const chain = ipv6({ nextHeader: 60, payload: [60, 0, 0, 0] });
  const c = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(1, 0, chain) }));
  assert.deepEqual(outcome(c), { event: "icmpv6.quoted_truncated", flags: ["INVALID"] });
});
