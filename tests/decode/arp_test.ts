import assert from "node:assert/strict";
import {
  arp,
  arpFrame,
  be16,
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  outcome,
  SLL,
  sll,
  sweepTruncations,
} from "../support/frames.ts";
import {
  F_ADDRESSES,
  W_ARP_OP,
  W_ARP_SENDER_MAC,
  W_FLAGS,
  W_INNER_DST_ADDR,
} from "../../core/packet_batch.ts";

const FRAME = ethernet(0x0806, arp("192.168.1.10", "192.168.1.1"));

Deno.test("decodeArp() puts the sender and target IPv4 addresses in the address words", () => {
  const r = decodeFrame(EN10MB, FRAME);
  assert.deepEqual(r.flags, ["ARP"]);
  assert.equal(r.ethertype, 0x0806);
  assert.equal(r.src, "192.168.1.10");
  assert.equal(r.dst, "192.168.1.1");
  assert.equal(r.ipProto, -1);
  assert.equal(r.srcPort, -1);
  assert.equal(r.ttl, -1);
  assert.equal(r.payloadLen, -1);
  assert.equal(r.event, "");
});

Deno.test("decodeArp() handles every truncation length", () => {
  sweepTruncations(EN10MB, FRAME, [
    { end: 14, cut: "ethernet.truncated", whole: "ethernet.truncated" },
    { end: 42, cut: "arp.truncated", whole: "arp.truncated" },
  ]);
});

Deno.test("decodeArp() records arp.unknown_format for a non-IPv4 protocol as unsupported", () => {
  const r = decodeFrame(EN10MB, ethernet(0x0806, cat(be16(1), be16(0x86dd), [6, 16], be16(1))));
  assert.deepEqual(r.flags, ["ARP", "UNSUPPORTED"]);
  assert.deepEqual(outcome(r), { event: "arp.unknown_format", flags: ["UNSUPPORTED"] });
});

Deno.test("decodeArp() accepts another hardware address length", () => {
  const body = cat(
    be16(32),
    be16(0x0800),
    [20, 4],
    be16(2),
    new Uint8Array(20),
    [10, 0, 0, 1],
    new Uint8Array(20),
    [10, 0, 0, 2],
  );
  const r = decodeFrame(EN10MB, ethernet(0x0806, body));
  assert.deepEqual([r.src, r.dst, r.event], ["10.0.0.1", "10.0.0.2", ""]);
});

Deno.test("decodeArp() puts the operation and the sender MAC in W_ARP_OP and W_ARP_SENDER_MAC", () => {
  const reply = decodeFrame(
    EN10MB,
    arpFrame({
      op: 2,
      senderMac: "f0:e1:d2:c3:b4:a5",
      senderIp: "10.0.0.1",
      targetMac: "02:00:00:00:00:0b",
      targetIp: "10.0.0.2",
    }),
  );
  assert.deepEqual([reply.flags, reply.src, reply.dst, reply.event], [
    ["ARP"],
    "10.0.0.1",
    "10.0.0.2",
    "",
  ]);
  assert.equal(reply.words[W_ARP_OP], 2);
  assert.equal(reply.words[W_ARP_SENDER_MAC], 0xf0e1);
  assert.equal(reply.words[W_ARP_SENDER_MAC + 1]! >>> 0, 0xd2c3b4a5);
  assert.equal(reply.words[W_INNER_DST_ADDR + 3], 0, "the fourth quoted word stays 0");
  assert.equal(reply.innerDst, "", "no ICMP error");
  assert.equal(reply.words[W_FLAGS]! & F_ADDRESSES, 0, "not IP: summary and tracker skip it");
  const request = decodeFrame(EN10MB, ethernet(0x0806, arp("192.168.1.10", "192.168.1.1")));
  assert.equal(request.words[W_ARP_OP], 1);
  assert.deepEqual(request.words.slice(W_ARP_SENDER_MAC, W_ARP_SENDER_MAC + 2), [0x0200, 0x0a]);
});

Deno.test("decodeArp() fills the ARP words behind a Linux cooked header too", () => {
  const r = decodeFrame(SLL, sll(0x0806, arp("10.1.1.1", "10.1.1.2", 2)));
  assert.deepEqual([r.src, r.dst, r.words[W_ARP_OP]], ["10.1.1.1", "10.1.1.2", 2]);
});

Deno.test("decodeArp() leaves the ARP words 0 when cut short or not a 6-byte MAC", () => {
  const frame = ethernet(0x0806, arp("192.168.1.10", "192.168.1.1"));
  const cut = decodeFrame(EN10MB, frame, { capLen: frame.length - 1 });
  assert.deepEqual(outcome(cut), { event: "arp.truncated", flags: ["TRUNCATED"] });
  assert.deepEqual(cut.words.slice(W_INNER_DST_ADDR, W_INNER_DST_ADDR + 4), [0, 0, 0, 0]);
  const body = cat(
    be16(32),
    be16(0x0800),
    [20, 4],
    be16(2),
    new Uint8Array(20).fill(7),
    [
      10,
      0,
      0,
      1,
    ],
    new Uint8Array(20),
    [10, 0, 0, 2],
  );
  const other = decodeFrame(EN10MB, ethernet(0x0806, body));
  assert.equal(other.words[W_ARP_OP], 2);
  assert.deepEqual(other.words.slice(W_ARP_SENDER_MAC, W_ARP_SENDER_MAC + 2), [0, 0]);
});
