import assert from "node:assert/strict";
import {
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  ipv4,
  outcome,
  RAW,
  sweepTruncations,
  tcp,
  udp,
} from "../../support/frames.ts";

const PAYLOAD = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const TCP_SYN = tcp({ sport: 40000, dport: 443, flags: 0x02, payload: PAYLOAD });
const FRAME = ethernet(
  0x0800,
  ipv4({ proto: 6, src: "192.0.2.1", dst: "198.51.100.7", ttl: 63, id: 0xbeef, payload: TCP_SYN }),
);

Deno.test("decodeIpv4() records every field of a TCP SYN", () => {
  const r = decodeFrame(EN10MB, FRAME);
  assert.deepEqual(r.flags, ["IPV4", "TCP"]);
  assert.equal(r.event, "");
  assert.equal(r.note, "");
  assert.equal(r.ethertype, 0x0800);
  assert.equal(r.ipProto, 6);
  assert.equal(r.src, "192.0.2.1");
  assert.equal(r.dst, "198.51.100.7");
  assert.equal(r.ttl, 63);
  assert.equal(r.ipId, 0xbeef);
  assert.equal(r.fragOffset, -1);
  assert.equal(r.srcPort, 40000);
  assert.equal(r.dstPort, 443);
  assert.equal(r.tcpFlags, 0x02);
  assert.equal(r.payloadLen, 10);
  assert.equal(r.vlanId, -1);
  assert.equal(r.icmpType, -1);
  assert.equal(r.icmpCode, -1);
  assert.equal(r.innerProto, -1);
  assert.equal(r.wireLen, 64);
  assert.equal(r.capLen, 64);
});

Deno.test("decodeIpv4() stores a high address as a big-endian int32 word", () => {
  const r = decodeFrame(
    RAW,
    ipv4({ proto: 17, src: "255.1.2.3", dst: "128.0.0.1", payload: udp() }),
  );
  assert.equal(r.words[9]! >>> 0, 0xff010203);
  assert.deepEqual(r.words.slice(10, 13), [0, 0, 0]);
  assert.equal(r.src, "255.1.2.3");
  assert.equal(r.dst, "128.0.0.1");
});

Deno.test("decodeIpv4() handles every truncation length of an Ethernet/IPv4/TCP frame", () => {
  sweepTruncations(EN10MB, FRAME, [
    { end: 14, cut: "ethernet.truncated", whole: "ethernet.truncated" },
    { end: 34, cut: "ipv4.truncated", whole: "ipv4.header_too_small" },
    { end: 54, cut: "tcp.truncated", whole: "ipv4.truncated" },
  ], "ipv4.truncated");
});

Deno.test("decodeIpv4() keeps ports and payload length when the snaplen cuts only the payload", () => {
  const r = decodeFrame(EN10MB, FRAME, { capLen: 54 });
  assert.deepEqual(r.flags, ["IPV4", "TCP"]);
  assert.equal(r.dstPort, 443);
  assert.equal(r.payloadLen, 10);
  assert.equal(r.capLen, 54);
});

Deno.test("decodeIpv4() records ipv4.header_too_small for a 19-byte datagram", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6 }).slice(0, 19));
  assert.deepEqual(outcome(r), { event: "ipv4.header_too_small", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "INVALID"]);
  assert.equal(r.ipProto, -1);
});

Deno.test("decodeIpv4() records ipv4.truncated, not invalid, for a header cut by the snaplen", () => {
  const r = decodeFrame(EN10MB, FRAME, { capLen: 30 });
  assert.deepEqual(r.flags, ["IPV4", "TRUNCATED"]);
  assert.equal(r.event, "ipv4.truncated");
});

Deno.test("decodeIpv4() records ipv4.wrong_version behind an IPv4 ethertype", () => {
  const r = decodeFrame(EN10MB, ethernet(0x0800, ipv4({ proto: 6, version: 5, payload: tcp() })));
  assert.deepEqual(outcome(r), { event: "ipv4.wrong_version", flags: ["INVALID"] });
  assert.equal(r.src, "0.0.0.0");
});

Deno.test("decodeIpv4() records ipv4.hlen_too_small for an IHL of 4", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, ihl: 4, payload: tcp() }));
  assert.deepEqual(outcome(r), { event: "ipv4.hlen_too_small", flags: ["INVALID"] });
  assert.equal(r.src, "10.0.0.1"); // the fixed header was there
  assert.deepEqual(r.flags, ["IPV4", "INVALID"]);
});

Deno.test("decodeIpv4() records ipv4.iplen_smaller_than_hlen for a total length of 19", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, totalLength: 19, payload: tcp() }));
  assert.deepEqual(outcome(r), { event: "ipv4.iplen_smaller_than_hlen", flags: ["INVALID"] });
});

Deno.test("decodeIpv4() records ipv4.truncated as invalid when the total length exceeds the wire frame", () => {
  const datagram = ipv4({ proto: 6, totalLength: 100, payload: tcp() });
  assert.deepEqual(outcome(decodeFrame(RAW, datagram)), {
    event: "ipv4.truncated",
    flags: ["INVALID"],
  });
  // Still invalid when the snaplen also cut the frame: the claim exceeds the wire length.
  assert.deepEqual(outcome(decodeFrame(RAW, datagram, { capLen: 30 })), {
    event: "ipv4.truncated",
    flags: ["INVALID"],
  });
});

Deno.test("decodeIpv4() records ipv4.truncated for options cut by the snaplen", () => {
  const datagram = ipv4({ proto: 6, options: [1, 1, 1, 0], payload: tcp() });
  const r = decodeFrame(RAW, datagram, { capLen: 22 });
  assert.deepEqual(outcome(r), { event: "ipv4.truncated", flags: ["TRUNCATED"] });
});

Deno.test("decodeIpv4() notes ipv4.options_present and decodes on", () => {
  // Router alert (4 bytes), then NOP and end of list.
  const r = decodeFrame(
    RAW,
    ipv4({ proto: 6, options: [148, 4, 0, 0, 1, 0, 0, 0], payload: tcp() }),
  );
  assert.equal(r.note, "ipv4.options_present");
  assert.equal(r.event, "");
  assert.deepEqual(r.flags, ["IPV4", "TCP"]);
  assert.equal(r.dstPort, 80);
  assert.equal(r.payloadLen, 0);
});

Deno.test("decodeIpv4() records ipv4.options_invalid for bad option lengths", () => {
  for (
    const options of [
      [148, 1, 0, 0], // length below 2
      [148, 8, 0, 0], // past the header
      [1, 1, 1, 7], // type with no room for its length byte
      [7, 0, 0, 0], // length 0 (record route)
    ]
  ) {
    const r = decodeFrame(RAW, ipv4({ proto: 6, options, payload: tcp() }));
    assert.deepEqual(
      outcome(r),
      { event: "ipv4.options_invalid", flags: ["INVALID"] },
      `${options}`,
    );
    assert.equal(r.note, "ipv4.options_present");
  }
});

Deno.test("decodeIpv4() decodes a first fragment's transport header", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 17, moreFragments: true, id: 7, payload: udp() }));
  assert.deepEqual(r.flags, ["IPV4", "UDP", "FRAGMENT"]);
  assert.equal(r.fragOffset, 0);
  assert.equal(r.ipId, 7);
  assert.equal(r.dstPort, 53);
});

Deno.test("decodeIpv4() gives a later fragment no transport header and no ports", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 6, fragOffset: 1480, payload: tcp() }));
  assert.deepEqual(r.flags, ["IPV4", "FRAGMENT", "LATER_FRAGMENT"]);
  assert.equal(r.fragOffset, 1480);
  assert.equal(r.ipProto, 6);
  assert.equal(r.srcPort, -1);
  assert.equal(r.payloadLen, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeIpv4() records ipv4.frag_too_large past 65535 bytes", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 1, fragOffset: 65528, payload: new Uint8Array(16) }));
  assert.deepEqual(outcome(r), { event: "ipv4.frag_too_large", flags: ["INVALID"] });
  assert.deepEqual(r.flags, ["IPV4", "INVALID", "FRAGMENT"]);
});

Deno.test("decodeIpv4() records ipv4.unknown_protocol as unsupported, not invalid", () => {
  const r = decodeFrame(RAW, ipv4({ proto: 2, payload: [0x11, 0, 0, 0, 0, 0, 0, 0] })); // IGMP
  assert.deepEqual(r.flags, ["IPV4", "UNSUPPORTED"]);
  assert.equal(r.event, "ipv4.unknown_protocol");
  assert.equal(r.ipProto, 2);
  assert.equal(r.payloadLen, -1);
});

Deno.test("decodeIpv4() clips the datagram to its total length (Ethernet padding)", () => {
  const frame = cat(ethernet(0x0800, ipv4({ proto: 6, payload: tcp() })), new Uint8Array(6));
  const r = decodeFrame(EN10MB, frame);
  assert.equal(r.payloadLen, 0);
  assert.equal(r.event, "");
  assert.equal(r.wireLen, 60);
  // A UDP length reaching into the padding is past the IP datagram.
  const udpDatagram = ipv4({ proto: 17, payload: udp({ length: 12 }) });
  const udpFrame = cat(ethernet(0x0800, udpDatagram), [0, 0, 0, 0]);
  assert.equal(decodeFrame(EN10MB, udpFrame).event, "udp.len_invalid");
});
