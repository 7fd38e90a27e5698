import assert from "node:assert/strict";
import {
  decodeFrame,
  ipv4,
  ipv6,
  LOOP,
  NULL,
  nullHeader,
  outcome,
  sweepTruncations,
  udp,
} from "../../support/frames.ts";

const IP4 = ipv4({ proto: 17, payload: udp() });
const IP6 = ipv6({ nextHeader: 17, payload: udp() });

Deno.test("decodeNull() reads the family in either byte order", () => {
  for (const little of [true, false]) {
    const r = decodeFrame(NULL, nullHeader(2, little, IP4));
    assert.deepEqual(r.flags, ["IPV4", "UDP"], `little-endian ${little}`);
    assert.equal(r.ethertype, 0x0800);
    for (const family of [24, 28, 30]) {
      const r6 = decodeFrame(NULL, nullHeader(family, little, IP6));
      assert.deepEqual(r6.flags, ["IPV6", "UDP"], `family ${family}`);
      assert.equal(r6.ethertype, 0x86dd);
    }
  }
});

Deno.test("decodeLoop() reads the family in network byte order", () => {
  assert.deepEqual(decodeFrame(LOOP, nullHeader(2, false, IP4)).flags, ["IPV4", "UDP"]);
  assert.deepEqual(decodeFrame(LOOP, nullHeader(30, false, IP6)).flags, ["IPV6", "UDP"]);
  const r = decodeFrame(LOOP, nullHeader(2, true, IP4));
  assert.deepEqual(outcome(r), { event: "null.unknown_family", flags: ["UNSUPPORTED"] });
});

Deno.test("decodeNull() records null.unknown_family as unsupported", () => {
  const r = decodeFrame(NULL, nullHeader(7, true, IP4));
  assert.deepEqual(outcome(r), { event: "null.unknown_family", flags: ["UNSUPPORTED"] });
  assert.equal(r.ethertype, -1);
});

Deno.test("decodeNull() handles every truncation length", () => {
  sweepTruncations(NULL, nullHeader(2, true, IP4), [
    { end: 4, cut: "null.truncated", whole: "null.truncated" },
    { end: 24, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 32, cut: "udp.truncated", whole: "ipv4.truncated" },
  ]);
});

Deno.test("decodeLoop() handles every truncation length of its header", () => {
  sweepTruncations(LOOP, nullHeader(30, false, []), [
    { end: 4, cut: "null.truncated", whole: "null.truncated" },
  ], "ipv6.header_too_small");
});
