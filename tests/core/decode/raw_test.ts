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

const IP4 = ipv4({ proto: 17, payload: udp() });
const IP6 = ipv6({ nextHeader: 17, payload: udp() });

Deno.test("decodeRaw() picks IPv4 or IPv6 from the version nibble on every raw link type", () => {
  for (const linkType of [RAW, 14, 101]) {
    const r4 = decodeFrame(linkType, IP4);
    assert.deepEqual([r4.flags, r4.ethertype], [["IPV4", "UDP"], 0x0800], `${linkType}`);
    const r6 = decodeFrame(linkType, IP6);
    assert.deepEqual([r6.flags, r6.ethertype], [["IPV6", "UDP"], 0x86dd], `${linkType}`);
  }
});

Deno.test("decodeRawIpv4() and decodeRawIpv6() follow LINKTYPE_IPV4 and LINKTYPE_IPV6", () => {
  assert.deepEqual(decodeFrame(228, IP4).flags, ["IPV4", "UDP"]);
  assert.deepEqual(decodeFrame(229, IP6).flags, ["IPV6", "UDP"]);
  assert.equal(decodeFrame(228, IP6).event, "ipv4.wrong_version");
  const long4 = ipv4({ proto: 17, payload: udp({ payload: new Uint8Array(20) }) });
  assert.equal(decodeFrame(229, long4).event, "ipv6.wrong_version");
});

Deno.test("decodeRaw() records raw.wrong_version for another nibble", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 17, version: 5, payload: udp() }));
  assert.deepEqual(outcome(r), { event: "raw.wrong_version", flags: ["INVALID"] });
  assert.equal(r.ethertype, -1);
  assert.deepEqual(r.flags, ["INVALID"]);
});

Deno.test("decodeRaw() handles every truncation length of an IPv6 packet", () => {
  sweepTruncations(RAW, IP6, [
    { end: 1, cut: "raw.truncated", whole: "raw.truncated" },
    { end: 40, cut: "ipv6.truncated", whole: "ipv6.header_too_small" },
    { end: 48, cut: "udp.truncated", whole: "ipv6.truncated" },
  ]);
});
