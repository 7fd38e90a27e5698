import assert from "node:assert/strict";
import {
  be16,
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  ipv4,
  outcome,
  sweepTruncations,
  udp,
} from "../../support/frames.ts";

const FRAME = ethernet(0x0800, ipv4({ proto: 17, payload: udp() }));

Deno.test("decodeEthernet() dispatches on the ethertype", () => {
  const r = decodeFrame(EN10MB, FRAME);
  assert.deepEqual(r.flags, ["IPV4", "UDP"]);
  assert.equal(r.ethertype, 0x0800);
  assert.equal(r.vlanId, -1);
});

Deno.test("decodeEthernet() handles every truncation length of its header", () => {
  sweepTruncations(EN10MB, FRAME.slice(0, 14), [
    { end: 14, cut: "ethernet.truncated", whole: "ethernet.truncated" },
  ], "");
});

Deno.test("decodeEthernet() records ethernet.truncated, not invalid, when the snaplen cuts it", () => {
  const r = decodeFrame(EN10MB, FRAME, { capLen: 13 });
  assert.deepEqual(r.flags, ["TRUNCATED"]);
  assert.equal(r.event, "ethernet.truncated");
  assert.equal(r.ethertype, -1);
});

Deno.test("decodeEthernet() records ethernet.truncated as invalid for a 13-byte frame", () => {
  const r = decodeFrame(EN10MB, FRAME.slice(0, 13));
  assert.deepEqual(outcome(r), { event: "ethernet.truncated", flags: ["INVALID"] });
});

Deno.test("decodeEthernet() records ethernet.unknown_ethertype as unsupported, with the type", () => {
  const r = decodeFrame(EN10MB, ethernet(0x88cc, new Uint8Array(30))); // LLDP
  assert.deepEqual(r.flags, ["UNSUPPORTED"]);
  assert.equal(r.event, "ethernet.unknown_ethertype");
  assert.equal(r.ethertype, 0x88cc);
});

Deno.test("decodeEthernet() records ethernet.llc for an 802.3 length field", () => {
  const r = decodeFrame(EN10MB, ethernet(38, cat([0x42, 0x42, 0x03], new Uint8Array(35)))); // STP
  assert.deepEqual(outcome(r), { event: "ethernet.llc", flags: ["UNSUPPORTED"] });
  assert.equal(r.ethertype, -1);
  assert.deepEqual(be16(38), [0, 38]);
});
