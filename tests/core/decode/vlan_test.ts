import assert from "node:assert/strict";
import {
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  ipv4,
  outcome,
  sweepTruncations,
  tcp,
  vlanTag,
} from "../../support/frames.ts";

const IP = ipv4({ proto: 6, payload: tcp() });
const QINQ = ethernet(0x88a8, cat(vlanTag(100, 0x8100), vlanTag(200, 0x0800), IP));

Deno.test("skipVlanTags() decodes an 802.1Q tag", () => {
  const r = decodeFrame(EN10MB, ethernet(0x8100, cat(vlanTag(0x2064, 0x0800), IP)));
  assert.deepEqual(r.flags, ["VLAN", "IPV4", "TCP"]);
  assert.equal(r.vlanId, 100); // priority bits dropped
  assert.equal(r.ethertype, 0x0800);
  assert.equal(r.dstPort, 80);
});

Deno.test("skipVlanTags() keeps the outermost id of a QinQ stack", () => {
  const r = decodeFrame(EN10MB, QINQ);
  assert.deepEqual(r.flags, ["VLAN", "IPV4", "TCP"]);
  assert.equal(r.vlanId, 100);
  assert.equal(r.ethertype, 0x0800);
  assert.equal(r.src, "10.0.0.1");
});

Deno.test("skipVlanTags() accepts the 0x9100 TPID", () => {
  const r = decodeFrame(EN10MB, ethernet(0x9100, cat(vlanTag(7, 0x8100), vlanTag(8, 0x0800), IP)));
  assert.equal(r.vlanId, 7);
  assert.deepEqual(outcome(r), { event: "", flags: [] });
});

Deno.test("skipVlanTags() handles every truncation length of a QinQ frame", () => {
  sweepTruncations(EN10MB, QINQ, [
    { end: 14, cut: "ethernet.truncated", whole: "ethernet.truncated" },
    { end: 22, cut: "vlan.truncated", whole: "vlan.truncated" },
    { end: 42, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 62, cut: "tcp.truncated", whole: "ipv4.truncated" },
  ]);
});

Deno.test("skipVlanTags() records vlan.too_many_layers for a fifth tag", () => {
  const tags = (n: number) =>
    cat(...Array.from({ length: n }, (_, i) => vlanTag(i + 1, i === n - 1 ? 0x0800 : 0x8100)));
  const four = decodeFrame(EN10MB, ethernet(0x8100, cat(tags(4), IP)));
  assert.deepEqual(outcome(four), { event: "", flags: [] });
  const five = decodeFrame(EN10MB, ethernet(0x8100, cat(tags(5), IP)));
  assert.deepEqual(outcome(five), { event: "vlan.too_many_layers", flags: ["INVALID"] });
  assert.deepEqual(five.flags, ["VLAN", "INVALID"]);
  assert.equal(five.vlanId, 1);
});

Deno.test("skipVlanTags() records an LLC frame inside a tag as ethernet.llc", () => {
  const r = decodeFrame(EN10MB, ethernet(0x8100, cat(vlanTag(5, 40), new Uint8Array(40))));
  assert.deepEqual(outcome(r), { event: "ethernet.llc", flags: ["UNSUPPORTED"] });
  assert.equal(r.vlanId, 5);
});
