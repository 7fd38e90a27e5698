import assert from "node:assert/strict";
import {
  decodeFrame,
  ipv4,
  ipv6,
  outcome,
  SLL,
  sll,
  SLL2,
  sll2,
  sweepTruncations,
  tcp,
  udp,
  vlanTag,
} from "../../support/frames.ts";

const IP = ipv4({ proto: 6, payload: tcp({ dport: 25 }) });

Deno.test("decodeSll() decodes IPv4 behind a Linux cooked v1 header", () => {
  const r = decodeFrame(SLL, sll(0x0800, IP));
  assert.deepEqual(r.flags, ["IPV4", "TCP"]);
  assert.equal(r.ethertype, 0x0800);
  assert.equal(r.dstPort, 25);
});

Deno.test("decodeSll2() decodes IPv6 behind a Linux cooked v2 header", () => {
  const r = decodeFrame(SLL2, sll2(0x86dd, ipv6({ nextHeader: 17, payload: udp() })));
  assert.deepEqual(r.flags, ["IPV6", "UDP"]);
  assert.equal(r.ethertype, 0x86dd);
  assert.equal(r.dstPort, 53);
});

Deno.test("decodeSll() decodes a VLAN tag the cooked header announces", () => {
  const r = decodeFrame(SLL, sll(0x8100, [...vlanTag(42, 0x0800), ...IP]));
  assert.deepEqual(r.flags, ["VLAN", "IPV4", "TCP"]);
  assert.equal(r.vlanId, 42);
});

Deno.test("decodeSll() handles every truncation length", () => {
  sweepTruncations(SLL, sll(0x0800, IP), [
    { end: 16, cut: "sll.truncated", whole: "sll.truncated" },
    { end: 36, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 56, cut: "tcp.truncated", whole: "ipv4.truncated" },
  ]);
});

Deno.test("decodeSll2() handles every truncation length", () => {
  sweepTruncations(SLL2, sll2(0x0800, IP), [
    { end: 20, cut: "sll.truncated", whole: "sll.truncated" },
    { end: 40, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 60, cut: "tcp.truncated", whole: "ipv4.truncated" },
  ]);
});

Deno.test("decodeSll() records sll.unknown_protocol below 0x0600, as unsupported", () => {
  for (const r of [decodeFrame(SLL, sll(4, [0x42, 0x42, 3])), decodeFrame(SLL2, sll2(0x0c, [1]))]) {
    assert.deepEqual(outcome(r), { event: "sll.unknown_protocol", flags: ["UNSUPPORTED"] });
    assert.equal(r.ethertype, -1);
  }
});

Deno.test("decodeSll2() records ethernet.unknown_ethertype for an undecoded ethertype", () => {
  const r = decodeFrame(SLL2, sll2(0x88cc, [1, 2]));
  assert.deepEqual(outcome(r), { event: "ethernet.unknown_ethertype", flags: ["UNSUPPORTED"] });
  assert.equal(r.ethertype, 0x88cc);
});
