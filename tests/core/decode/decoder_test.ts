import assert from "node:assert/strict";
import { type Frame, linkTypeName, PacketDecoder } from "../../../core/decode/decoder.ts";
import { PacketBatch, RECORD_WORDS } from "../../../core/packet/packet_batch.ts";
import {
  arp,
  decodeFrame,
  EN10MB,
  ethernet,
  extHeader,
  fragmentHeader,
  icmp,
  ipv4,
  ipv6,
  LOOP,
  NULL,
  nullHeader,
  RAW,
  readRecord,
  SLL,
  sll,
  SLL2,
  sll2,
  tcp,
  udp,
  vlanTag,
} from "../../support/frames.ts";

Deno.test("linkTypeName() gives libpcap names", () => {
  assert.equal(linkTypeName(1), "EN10MB");
  assert.equal(linkTypeName(113), "LINUX_SLL");
  assert.equal(linkTypeName(276), "LINUX_SLL2");
  assert.equal(linkTypeName(12), "RAW");
  assert.equal(linkTypeName(101), "RAW");
  assert.equal(linkTypeName(0), "NULL");
  assert.equal(linkTypeName(108), "LOOP");
  assert.equal(linkTypeName(228), "IPV4");
  assert.equal(linkTypeName(229), "IPV6");
  assert.equal(linkTypeName(147), "LINKTYPE_147");
});

Deno.test("PacketDecoder.supports() knows the decoded link types", () => {
  for (const t of [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]) {
    assert.ok(PacketDecoder.supports(t));
  }
  for (const t of [105, 127, 147, 9]) assert.ok(!PacketDecoder.supports(t));
});

Deno.test("decode() writes every word of a link.unsupported record", () => {
  const r = decodeFrame(127, new Uint8Array([1, 2, 3, 4]), { wireLen: 9 });
  const expected = new Array(RECORD_WORDS).fill(-1);
  expected[0] = 9; // wire length
  expected[1] = 4; // caplen
  expected[2] = 1 << 10; // F_UNSUPPORTED
  expected[6] = 0; // TCP flags
  expected.fill(0, 9, 17); // addresses
  expected[17] = 1; // link.unsupported
  expected[26] = 0; // note
  expected.fill(0, 28, 32); // quoted destination address
  assert.deepEqual(r.words, expected);
  assert.equal(r.event, "link.unsupported");
});

Deno.test("decode() appends records and keeps their timestamps", () => {
  const decoder = new PacketDecoder(EN10MB);
  const batch = new PacketBatch(4);
  const bytes = ethernet(0x0806, arp("10.1.1.1", "10.1.1.2"));
  const frame: Frame = { bytes, start: 0, capLen: bytes.length, wireLen: 60, timestampUs: 5 };
  decoder.decode(frame, batch);
  frame.timestampUs = 6;
  decoder.decode(frame, batch);
  assert.equal(batch.count, 2);
  assert.deepEqual(Array.from(batch.timestampsUs.subarray(0, 2)), [5, 6]);
  assert.equal(readRecord(batch, 1).src, "10.1.1.1");
  assert.equal(readRecord(batch, 1).wireLen, 60);
  assert.equal(decoder.linkType, EN10MB);
});

Deno.test("decode() never reads past a region shorter than capLen claims", () => {
  const bytes = ethernet(0x0800, ipv4({ proto: 6, payload: tcp() }));
  const batch = new PacketBatch(1);
  const frame: Frame = {
    bytes: bytes.subarray(0, 30),
    start: 0,
    capLen: 54,
    wireLen: 54,
    timestampUs: 0,
  };
  new PacketDecoder(EN10MB).decode(frame, batch);
  assert.equal(readRecord(batch, 0).event, "ipv4.truncated");
  assert.deepEqual(readRecord(batch, 0).flags, ["IPV4", "TRUNCATED"]);
});

Deno.test("decode() takes a caplen above the wire length (a broken file) as the frame", () => {
  const bytes = ethernet(0x0800, ipv4({ proto: 17, payload: udp() }));
  const r = decodeFrame(EN10MB, bytes, { wireLen: 20 });
  assert.deepEqual(r.flags, ["IPV4", "UDP"]);
  assert.equal(r.wireLen, 20);
});

/** Valid frames of every link type, the seeds of the fuzz test. */
const SEEDS: [number, Uint8Array][] = [
  [
    EN10MB,
    ethernet(0x8100, [
      ...vlanTag(3, 0x0800),
      ...ipv4({ proto: 6, options: [1, 1, 1, 0], payload: tcp() }),
    ]),
  ],
  [
    EN10MB,
    ethernet(0x0800, ipv4({ proto: 1, payload: icmp(3, 3, ipv4({ proto: 17, payload: udp() })) })),
  ],
  [EN10MB, ethernet(0x0806, arp("10.0.0.1", "10.0.0.2"))],
  [
    SLL,
    sll(
      0x86dd,
      ipv6({
        nextHeader: 0,
        payload: [...extHeader(44), ...fragmentHeader(17, 0, true, 1), ...udp()],
      }),
    ),
  ],
  [
    SLL2,
    sll2(
      0x86dd,
      ipv6({ nextHeader: 58, payload: icmp(1, 4, ipv6({ nextHeader: 6, payload: tcp() })) }),
    ),
  ],
  [NULL, nullHeader(2, true, ipv4({ proto: 17, payload: udp() }))],
  [
    LOOP,
    nullHeader(
      30,
      false,
      ipv6({ nextHeader: 51, payload: [6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...tcp()] }),
    ),
  ],
  [RAW, ipv4({ proto: 6, fragOffset: 8, payload: tcp() })],
];

Deno.test("decode() never throws or reads outside its frame on mutated frames", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 3000; round++) {
    const [linkType, base] = SEEDS[round % SEEDS.length]!;
    const frame = base.slice();
    for (let k = 1 + rand(4); k > 0; k--) {
      frame[rand(frame.length)] = rand(4) === 0
        ? rand(256)
        : [0, 255, 4, 6, 44, 60, 0x81][rand(7)]!;
    }
    const capLen = rand(frame.length + 1);
    decodeFrame(linkType, frame, { capLen }); // asserts both placements agree
    decodeFrame(linkType, frame.slice(0, capLen));
  }
});
