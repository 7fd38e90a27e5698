/**
 * @module frames
 * The frame builders of testing/frames.ts (re-exported), and `decodeFrame`, which decodes a frame
 * twice (alone in an exact buffer, and at an odd offset inside a larger buffer full of plausible
 * junk), asserts both records match and returns it.
 */
import assert from "node:assert/strict";
import {
  F_ARP,
  F_FRAGMENT,
  F_ICMP4,
  F_ICMP6,
  F_ICMP_ERROR,
  F_INVALID,
  F_IPV4,
  F_IPV6,
  F_LATER_FRAGMENT,
  F_TCP,
  F_TRUNCATED,
  F_UDP,
  F_UNSUPPORTED,
  F_VLAN,
  formatAddress,
  PacketBatch,
  RECORD_WORDS,
  W_CAP_LEN,
  W_DST_ADDR,
  W_DST_PORT,
  W_ETHERTYPE,
  W_EVENT,
  W_FLAGS,
  W_FRAG_OFFSET,
  W_ICMP_CODE,
  W_ICMP_TYPE,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_IP_ID,
  W_IP_PROTO,
  W_NOTE_EVENT,
  W_PAYLOAD_LEN,
  W_SRC_ADDR,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_TTL,
  W_VLAN_ID,
  W_WIRE_LEN,
} from "../../core/packet/packet_batch.ts";
import { type Frame, PacketDecoder } from "../../core/decode/decoder.ts";
import { eventName } from "../../core/decode/events.ts";

export * from "../../testing/frames.ts";

/** The fields of one decoded record, by name (events by name, addresses as text). */
export interface Rec {
  wireLen: number;
  capLen: number;
  flags: string[];
  event: string;
  note: string;
  ethertype: number;
  vlanId: number;
  ipProto: number;
  src: string;
  dst: string;
  ttl: number;
  ipId: number;
  fragOffset: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  innerProto: number;
  innerSrcPort: number;
  innerDstPort: number;
  /** Quoted destination address of an ICMP error, or "". */
  innerDst: string;
  payloadLen: number;
  words: number[];
}

const FLAG_NAMES: [number, string][] = [
  [F_VLAN, "VLAN"],
  [F_IPV4, "IPV4"],
  [F_IPV6, "IPV6"],
  [F_ARP, "ARP"],
  [F_TCP, "TCP"],
  [F_UDP, "UDP"],
  [F_ICMP4, "ICMP4"],
  [F_ICMP6, "ICMP6"],
  [F_INVALID, "INVALID"],
  [F_TRUNCATED, "TRUNCATED"],
  [F_UNSUPPORTED, "UNSUPPORTED"],
  [F_FRAGMENT, "FRAGMENT"],
  [F_LATER_FRAGMENT, "LATER_FRAGMENT"],
  [F_ICMP_ERROR, "ICMP_ERROR"],
];

/** Names of the flags set in `flags`, in bit order. */
export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
}

/** Reads record `i` of `batch` by name. */
export function readRecord(batch: PacketBatch, i: number): Rec {
  const f = batch.fields, b = i * RECORD_WORDS;
  const flags = f[b + W_FLAGS]!;
  const hasAddr = flags & (F_IPV4 | F_IPV6 | F_ARP);
  return {
    wireLen: f[b + W_WIRE_LEN]!,
    capLen: f[b + W_CAP_LEN]!,
    flags: flagNames(flags),
    event: eventName(f[b + W_EVENT]!),
    note: eventName(f[b + W_NOTE_EVENT]!),
    ethertype: f[b + W_ETHERTYPE]!,
    vlanId: f[b + W_VLAN_ID]!,
    ipProto: f[b + W_IP_PROTO]!,
    src: hasAddr ? formatAddress(f, b + W_SRC_ADDR, flags) : "",
    dst: hasAddr ? formatAddress(f, b + W_DST_ADDR, flags) : "",
    ttl: f[b + W_TTL]!,
    ipId: f[b + W_IP_ID]!,
    fragOffset: f[b + W_FRAG_OFFSET]!,
    srcPort: f[b + W_SRC_PORT]!,
    dstPort: f[b + W_DST_PORT]!,
    tcpFlags: f[b + W_TCP_FLAGS]!,
    icmpType: f[b + W_ICMP_TYPE]!,
    icmpCode: f[b + W_ICMP_CODE]!,
    innerProto: f[b + W_INNER_PROTO]!,
    innerSrcPort: f[b + W_INNER_SRC_PORT]!,
    innerDstPort: f[b + W_INNER_DST_PORT]!,
    innerDst: flags & F_ICMP_ERROR ? formatAddress(f, b + W_INNER_DST_ADDR, flags) : "",
    payloadLen: f[b + W_PAYLOAD_LEN]!,
    words: Array.from(f.subarray(b, b + RECORD_WORDS)),
  };
}

export interface DecodeOptions {
  /** Bytes captured; defaults to the whole frame. */
  capLen?: number;
  /** Bytes on the wire; defaults to the whole frame. */
  wireLen?: number;
}

/** Junk that decodes as plausible headers if a decoder ever reads past its frame. */
function junk(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = [0x45, 0x00, 0x08, 0x06, 0xff][i % 5]!;
  return out;
}

/**
 * Decodes `frame` (its first `capLen` bytes captured of `wireLen` on the wire) with a decoder
 * for `linkType`, at start 0 of an exact buffer and at start 37 of a junk-filled one; asserts
 * the two records are the same and returns it.
 */
export function decodeFrame(linkType: number, frame: Uint8Array, o: DecodeOptions = {}): Rec {
  const capLen = o.capLen ?? frame.length;
  const wireLen = o.wireLen ?? frame.length;
  const captured = frame.subarray(0, capLen);
  const decoder = new PacketDecoder(linkType);
  const batch = new PacketBatch(2);
  batch.fields.fill(0x5a5a5a5a); // every word must be written
  const f: Frame = { bytes: captured.slice(), start: 0, capLen, wireLen, timestampUs: 1e15 };
  decoder.decode(f, batch);
  const region = junk(37 + capLen + 41);
  region.set(captured, 37);
  f.bytes = region;
  f.start = 37;
  f.timestampUs = 2e15;
  decoder.decode(f, batch);
  assert.equal(batch.count, 2);
  assert.deepEqual(Array.from(batch.timestampsUs), [1e15, 2e15]);
  const rec = readRecord(batch, 0);
  assert.deepEqual(readRecord(batch, 1), rec, "same record at start 37 inside junk");
  return rec;
}

/** What a record's outcome words say: event name and the outcome flags. */
export function outcome(r: Rec): { event: string; flags: string[] } {
  const flags = r.flags.filter((n) => n === "INVALID" || n === "TRUNCATED" || n === "UNSUPPORTED");
  return { event: r.event, flags };
}

/** A header boundary for the truncation sweeps. */
export interface Cut {
  /** The first `end` bytes of the frame complete this header. */
  end: number;
  /** Event when the snaplen cuts the frame before `end` (wireLen = whole frame). */
  cut: string;
  /** Event when the frame itself ends before `end` (caplen = wireLen). */
  whole: string;
}

/**
 * Decodes every prefix of `frame` twice: captured from a longer wire frame, then as a whole
 * (shorter) frame, and checks the event of the first boundary not reached: F_TRUNCATED only in
 * the first case, F_INVALID only in the second. Prefixes past the last boundary must decode with
 * no event (payload cut only). `wholeAfter` gives the event of a whole frame that ends after
 * the last boundary, if any (e.g. the IP length now claims more than the frame).
 */
export function sweepTruncations(
  linkType: number,
  frame: Uint8Array,
  cuts: Cut[],
  wholeAfter = "",
): void {
  for (let n = 0; n < frame.length; n++) {
    const at = cuts.find((c) => n < c.end);
    const cut = decodeFrame(linkType, frame, { capLen: n });
    assert.deepEqual(
      outcome(cut),
      at ? { event: at.cut, flags: ["TRUNCATED"] } : { event: "", flags: [] },
      `caplen ${n} < wireLen ${frame.length}`,
    );
    assert.equal(cut.capLen, n);
    assert.equal(cut.wireLen, frame.length);
    const whole = decodeFrame(linkType, frame.slice(0, n));
    const wholeEvent = at ? at.whole : wholeAfter;
    assert.deepEqual(
      outcome(whole),
      wholeEvent ? { event: wholeEvent, flags: ["INVALID"] } : { event: "", flags: [] },
      `caplen = wireLen = ${n}`,
    );
  }
}
