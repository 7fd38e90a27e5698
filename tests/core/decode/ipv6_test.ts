import assert from "node:assert/strict";
import {
  ahHeader,
  decodeFrame,
  EN10MB,
  ethernet,
  extHeader,
  fragmentHeader,
  ipv6,
  outcome,
  RAW,
  sweepTruncations,
  tcp,
  udp,
} from "../../support/frames.ts";

const UDP = udp({ sport: 546, dport: 547, payload: [1, 2, 3, 4] });
/** Hop-by-hop -> routing (segment routing) -> fragment (first, more) -> UDP. */
const CHAIN = ipv6({
  nextHeader: 0,
  src: "2001:db8::10",
  dst: "ff02::1:2",
  hopLimit: 1,
  payload: [
    ...extHeader(43),
    ...extHeader(44, 0, 4),
    ...fragmentHeader(17, 0, true, 0xdeadbeef),
    ...UDP,
  ],
});

Deno.test("decodeIpv6() records every field of a plain TCP packet", () => {
  const r = decodeFrame(
    EN10MB,
    ethernet(0x86dd, ipv6({ nextHeader: 6, hopLimit: 255, payload: tcp({ dport: 8080 }) })),
  );
  assert.deepEqual(r.flags, ["IPV6", "TCP"]);
  assert.equal(r.ethertype, 0x86dd);
  assert.equal(r.src, "2001:db8::1");
  assert.equal(r.dst, "2001:db8::2");
  assert.equal(r.ttl, 255);
  assert.equal(r.ipProto, 6);
  assert.equal(r.ipId, -1);
  assert.equal(r.fragOffset, -1);
  assert.equal(r.dstPort, 8080);
  assert.equal(r.payloadLen, 0);
  assert.equal(r.event, "");
});

Deno.test("decodeIpv6() walks hop-by-hop, routing and fragment headers to UDP", () => {
  const r = decodeFrame(RAW, CHAIN);
  assert.deepEqual(r.flags, ["IPV6", "UDP", "FRAGMENT"]);
  assert.equal(r.ipProto, 17);
  assert.equal(r.ipId, 0xdeadbeef | 0);
  assert.equal(r.fragOffset, 0);
  assert.equal(r.src, "2001:db8::10");
  assert.equal(r.dst, "ff02::1:2");
  assert.equal(r.ttl, 1);
  assert.equal(r.srcPort, 546);
  assert.equal(r.dstPort, 547);
  assert.equal(r.payloadLen, 4);
  assert.equal(r.event, "");
  assert.equal(r.note, "");
});

Deno.test("decodeIpv6() handles every truncation length of an extension header chain", () => {
  sweepTruncations(RAW, CHAIN, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 40, cut: "ipv6.truncated", whole: "ipv6.header_too_small" },
    { end: 64, cut: "ipv6.exthdr_truncated", whole: "ipv6.truncated" },
    { end: 72, cut: "udp.truncated", whole: "ipv6.truncated" },
  ], "ipv6.truncated");
});

Deno.test("decodeIpv6() records ipv6.header_too_small for a 39-byte packet", () => {
  const r = decodeFrame(EN10MB, ethernet(0x86dd, ipv6({ nextHeader: 59 }).slice(0, 39)));
  assert.deepEqual(outcome(r), { event: "ipv6.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV6", "INVALID"]);
});

Deno.test("decodeIpv6() records ipv6.wrong_version behind an IPv6 ethertype", () => {
  const r = decodeFrame(EN10MB, ethernet(0x86dd, ipv6({ nextHeader: 59, version: 4 })));
  assert.deepEqual(outcome(r), { event: "ipv6.wrong_version", flags: ["INVALID"] });
});

Deno.test("decodeIpv6() records ipv6.truncated as invalid when the payload length exceeds the frame", () => {
  const packet = ipv6({ nextHeader: 17, payloadLength: 100, payload: udp() });
  assert.deepEqual(outcome(decodeFrame(RAW, packet)), {
    event: "ipv6.truncated",
    flags: ["INVALID"],
  });
  const r = decodeFrame(RAW, packet, { capLen: 20 });
  assert.deepEqual(outcome(r), { event: "ipv6.truncated", flags: ["TRUNCATED"] });
});

Deno.test("decodeIpv6() records ipv6.exthdr_truncated as invalid past the payload length", () => {
  const packet = ipv6({ nextHeader: 0, payloadLength: 8, payload: extHeader(59, 1) });
  const r = decodeFrame(RAW, packet);
  assert.deepEqual(outcome(r), { event: "ipv6.exthdr_truncated", flags: ["INVALID"] });
});

Deno.test("decodeIpv6() records ipv6.exthdr_too_many for 9 extension headers", () => {
  const nine = Array.from({ length: 9 }, (_, i) => extHeader(i === 8 ? 59 : 60)).flat();
  const r = decodeFrame(RAW, ipv6({ nextHeader: 60, payload: nine }));
  assert.deepEqual(outcome(r), { event: "ipv6.exthdr_too_many", flags: ["INVALID"] });
  const eight = nine.slice(8);
  const ok = decodeFrame(RAW, ipv6({ nextHeader: 60, payload: eight }));
  assert.deepEqual(outcome(ok), { event: "", flags: [] });
  assert.equal(ok.ipProto, 59);
});

Deno.test("decodeIpv6() gives a later fragment no transport header and no ports", () => {
  const payload = [...fragmentHeader(6, 1448, false, 77), ...tcp()];
  const r = decodeFrame(RAW, ipv6({ nextHeader: 44, payload }));
  assert.deepEqual(r.flags, ["IPV6", "FRAGMENT", "LATER_FRAGMENT"]);
  assert.equal(r.fragOffset, 1448);
  assert.equal(r.ipId, 77);
  assert.equal(r.ipProto, 6);
  assert.equal(r.srcPort, -1);
  assert.equal(r.payloadLen, -1);
});

Deno.test("decodeIpv6() records ipv6.frag_too_large past 65535 bytes", () => {
  const payload = [...fragmentHeader(17, 65528, false, 1), ...new Uint8Array(16)];
  const r = decodeFrame(RAW, ipv6({ nextHeader: 44, payload }));
  assert.deepEqual(outcome(r), { event: "ipv6.frag_too_large", flags: ["INVALID"] });
});

Deno.test("decodeIpv6() notes ipv6.atomic_fragment and decodes on", () => {
  const payload = [...fragmentHeader(17, 0, false, 5), ...udp()];
  const r = decodeFrame(RAW, ipv6({ nextHeader: 44, payload }));
  assert.equal(r.note, "ipv6.atomic_fragment");
  assert.deepEqual(r.flags, ["IPV6", "UDP"]);
  assert.equal(r.ipId, 5);
  assert.equal(r.fragOffset, -1);
});

Deno.test("decodeIpv6() notes ipv6.routing_type_0 and decodes on", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 43, payload: [...extHeader(17, 2, 0), ...udp()] }));
  assert.equal(r.note, "ipv6.routing_type_0");
  assert.deepEqual(outcome(r), { event: "", flags: [] });
  assert.equal(r.dstPort, 53);
});

Deno.test("decodeIpv6() skips AH by its own length rule", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 51, payload: [...ahHeader(6, 3), ...tcp()] }));
  assert.deepEqual(r.flags, ["IPV6", "TCP"]);
  assert.equal(r.dstPort, 80);
});

Deno.test("decodeIpv6() ends quietly at No Next Header", () => {
  const r = decodeFrame(RAW, ipv6({ nextHeader: 60, payload: extHeader(59) }));
  assert.deepEqual(r.flags, ["IPV6"]);
  assert.equal(r.ipProto, 59);
  assert.equal(r.event, "");
  assert.equal(r.payloadLen, -1);
});

Deno.test("decodeIpv6() records ESP and other protocols as ipv6.unknown_protocol, not invalid", () => {
  for (const proto of [50, 1, 132]) {
    const r = decodeFrame(RAW, ipv6({ nextHeader: proto, payload: new Uint8Array(16) }));
    assert.deepEqual(r.flags, ["IPV6", "UNSUPPORTED"]);
    assert.equal(r.event, "ipv6.unknown_protocol");
    assert.equal(r.ipProto, proto);
  }
});

Deno.test("decodeIpv6() runs a jumbogram to the end of the frame", () => {
  const r = decodeFrame(
    RAW,
    ipv6({ nextHeader: 0, payloadLength: 0, payload: [...extHeader(6), ...tcp({ payload: [1] })] }),
  );
  assert.deepEqual(r.flags, ["IPV6", "TCP"]);
  assert.equal(r.payloadLen, 1);
});
