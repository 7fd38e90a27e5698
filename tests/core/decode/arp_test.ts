import assert from "node:assert/strict";
import {
  arp,
  arpFrame,
  be16,
  be32,
  cat,
  decodeFrame,
  EN10MB,
  ethernet,
  MAC_A,
  MAC_B,
  outcome,
  SLL,
  sll,
  SLL2,
  sll2,
  sweepTruncations,
  vlanTag,
} from "../../support/frames.ts";
import {
  F_ADDRESSES,
  W_ARP_LINK_SRC_MAC,
  W_ARP_OP,
  W_ARP_SENDER_MAC,
  W_FLAGS,
  W_INNER_DST_ADDR,
} from "../../../core/packet/packet_batch.ts";

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

/** The two W_ARP_LINK_SRC_MAC words of a record. */
function linkSource(words: number[]): number[] {
  return words.slice(W_ARP_LINK_SRC_MAC, W_ARP_LINK_SRC_MAC + 2);
}

Deno.test("decodeArp() puts the Ethernet source in W_ARP_LINK_SRC_MAC, VLAN tags or not", () => {
  // A forged reply: the ARP sender MAC is the victim's, the frame comes from the attacker.
  const forged = decodeFrame(
    EN10MB,
    arpFrame({
      op: 2,
      senderMac: "02:00:00:00:00:02",
      ethSrc: "f0:e1:d2:c3:b4:a5",
      senderIp: "10.0.0.2",
      targetMac: "02:00:00:00:00:01",
      targetIp: "10.0.0.1",
    }),
  );
  assert.deepEqual([forged.src, forged.dst, forged.event], ["10.0.0.2", "10.0.0.1", ""]);
  assert.equal(W_ARP_LINK_SRC_MAC, 10, "the source address's word 1, free for ARP");
  assert.equal(forged.words[W_ARP_LINK_SRC_MAC], 0xf0e1);
  assert.equal(forged.words[W_ARP_LINK_SRC_MAC + 1]! >>> 0, 0xd2c3b4a5);
  assert.deepEqual(forged.words.slice(W_ARP_SENDER_MAC, W_ARP_SENDER_MAC + 2), [0x0200, 2]);
  assert.equal(forged.words[W_ARP_LINK_SRC_MAC + 2], 0, "the source address's word 3 stays 0");
  const tagged = decodeFrame(
    EN10MB,
    cat(MAC_B, MAC_A, be16(0x8100), vlanTag(7, 0x0806), arp("10.0.0.1", "10.0.0.2")),
  );
  assert.deepEqual([tagged.vlanId, tagged.src, tagged.event], [7, "10.0.0.1", ""]);
  assert.deepEqual(linkSource(tagged.words), [0x0200, 0x0a]);
});

Deno.test("decodeArp() takes the link source from a Linux cooked header's 6-byte address", () => {
  const v1 = decodeFrame(SLL, sll(0x0806, arp("10.1.1.1", "10.1.1.2", 2)));
  assert.deepEqual(linkSource(v1.words), [0x0200, 0x0a]);
  const v2 = decodeFrame(SLL2, sll2(0x0806, arp("10.1.1.1", "10.1.1.2", 2)));
  assert.deepEqual([v2.src, v2.words[W_ARP_OP]], ["10.1.1.1", 2]);
  assert.deepEqual(linkSource(v2.words), [0x0200, 0x0a]);
  // Another address length (none, or an 8-byte one): unknown, 0.
  const none = decodeFrame(
    SLL,
    cat(be16(0), be16(772), be16(0), new Uint8Array(8), be16(0x0806), arp("10.1.1.1", "10.1.1.2")),
  );
  assert.deepEqual([none.src, none.event, linkSource(none.words)], ["10.1.1.1", "", [0, 0]]);
  const long = decodeFrame(
    SLL2,
    cat(be16(0x0806), [0, 0], be32(3), be16(1), [0, 8], [1, 2, 3, 4, 5, 6, 7, 8], [
      ...arp("10.1.1.1", "10.1.1.2"),
    ]),
  );
  assert.deepEqual([long.src, long.event, linkSource(long.words)], ["10.1.1.1", "", [0, 0]]);
});

Deno.test("decodeArp() leaves the ARP words 0 when cut short or not a 6-byte MAC", () => {
  const frame = ethernet(0x0806, arp("192.168.1.10", "192.168.1.1"));
  const cut = decodeFrame(EN10MB, frame, { capLen: frame.length - 1 });
  assert.deepEqual(outcome(cut), { event: "arp.truncated", flags: ["TRUNCATED"] });
  assert.deepEqual(cut.words.slice(W_INNER_DST_ADDR, W_INNER_DST_ADDR + 4), [0, 0, 0, 0]);
  assert.deepEqual(linkSource(cut.words), [0, 0]);
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
