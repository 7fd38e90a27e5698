/**
 * @module frames
 * Frame builders for the decoder, engine and CLI tests (checksums are left 0: the decoder does not check them),
 * and `decodeFrame`, which decodes a frame twice (alone in an exact buffer, and at an odd offset
 * inside a larger buffer full of plausible junk), asserts both records match and returns it.
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
} from "../../core/packet_batch.ts";
import { type Frame, PacketDecoder } from "../../core/decode/decoder.ts";
import { eventName } from "../../core/decode/events.ts";

export const EN10MB = 1;
export const RAW = 12;
export const NULL = 0;
export const LOOP = 108;
export const SLL = 113;
export const SLL2 = 276;

type Bytes = Uint8Array | readonly number[];

/** Concatenates byte arrays. */
export function cat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** Big-endian uint16 bytes. */
export function be16(v: number): number[] {
  return [(v >> 8) & 255, v & 255];
}

/** Big-endian uint32 bytes. */
export function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Bytes of a dotted IPv4 address. */
export function ip4(text: string): number[] {
  return text.split(".").map(Number);
}

/** Bytes of a full (uncompressed or "::"-compressed) IPv6 address. */
export function ip6(text: string): number[] {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => be16(parseInt(g, 16)));
}

export const MAC_A = [0x02, 0, 0, 0, 0, 0xa];
export const MAC_B = [0x02, 0, 0, 0, 0, 0xb];

/** An Ethernet II frame. */
export function ethernet(type: number, payload: Bytes): Uint8Array {
  return cat(MAC_B, MAC_A, be16(type), payload);
}

/** One 802.1Q-style tag: TCI (priority 0) then the next ethertype. */
export function vlanTag(vid: number, nextType: number): number[] {
  return [...be16(vid), ...be16(nextType)];
}

export interface Ipv4Options {
  proto: number;
  payload?: Bytes;
  src?: string;
  dst?: string;
  ttl?: number;
  id?: number;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  moreFragments?: boolean;
  /** Sets the don't-fragment flag. */
  dontFragment?: boolean;
  /** Option bytes (padded by the caller to a multiple of 4). */
  options?: Bytes;
  totalLength?: number;
  version?: number;
  ihl?: number;
}

/** An IPv4 header + payload. */
export function ipv4(o: Ipv4Options): Uint8Array {
  const options = o.options ?? [];
  const payload = o.payload ?? [];
  const hlen = 20 + options.length;
  const frag = (o.fragOffset ?? 0) / 8 | (o.moreFragments ? 0x2000 : 0) |
    (o.dontFragment ? 0x4000 : 0);
  return cat(
    [((o.version ?? 4) << 4) | (o.ihl ?? hlen / 4), 0],
    be16(o.totalLength ?? hlen + payload.length),
    be16(o.id ?? 0x1234),
    be16(frag),
    [o.ttl ?? 64, o.proto, 0, 0],
    ip4(o.src ?? "10.0.0.1"),
    ip4(o.dst ?? "10.0.0.2"),
    options,
    payload,
  );
}

export interface Ipv6Options {
  nextHeader: number;
  payload?: Bytes;
  src?: string;
  dst?: string;
  hopLimit?: number;
  payloadLength?: number;
  version?: number;
}

/** An IPv6 header + payload (extension headers included by the caller). */
export function ipv6(o: Ipv6Options): Uint8Array {
  const payload = o.payload ?? [];
  return cat(
    [(o.version ?? 6) << 4, 0, 0, 0],
    be16(o.payloadLength ?? payload.length),
    [o.nextHeader, o.hopLimit ?? 64],
    ip6(o.src ?? "2001:db8::1"),
    ip6(o.dst ?? "2001:db8::2"),
    payload,
  );
}

/** A hop-by-hop / routing / destination-options style header of `(extra8 + 1) * 8` bytes. */
export function extHeader(next: number, extra8 = 0, type = 4): number[] {
  const h = new Array((extra8 + 1) * 8).fill(0);
  h[0] = next;
  h[1] = extra8;
  h[2] = type; // routing type for a routing header (4 = segment routing); padding otherwise
  return h;
}

/** An IPv6 fragment header. */
export function fragmentHeader(next: number, offset: number, more: boolean, id: number): number[] {
  return [next, 0, ...be16(offset | (more ? 1 : 0)), ...be32(id)];
}

/** An AH header with `words32` 4-byte words of ICV after the 12 fixed bytes. */
export function ahHeader(next: number, words32 = 1): number[] {
  const h = new Array(12 + words32 * 4).fill(0);
  h[0] = next;
  h[1] = (12 + words32 * 4) / 4 - 2;
  return h;
}

export interface TcpOptions {
  sport?: number;
  dport?: number;
  /** Sequence number (default 1000). */
  seq?: number;
  flags?: number;
  /** Data offset in 32-bit words; defaults to fit `options`. */
  dataOffset?: number;
  options?: Bytes;
  payload?: Bytes;
}

/** A TCP header + payload. */
export function tcp(o: TcpOptions = {}): Uint8Array {
  const options = o.options ?? [];
  return cat(
    be16(o.sport ?? 40000),
    be16(o.dport ?? 80),
    be32(o.seq ?? 1000),
    be32(0),
    [(o.dataOffset ?? (20 + options.length) / 4) << 4, o.flags ?? 0x02],
    be16(65535),
    [0, 0, 0, 0],
    options,
    o.payload ?? [],
  );
}

/** A UDP header + payload. */
export function udp(
  o: { sport?: number; dport?: number; length?: number; payload?: Bytes } = {},
): Uint8Array {
  const payload = o.payload ?? [];
  return cat(
    be16(o.sport ?? 5353),
    be16(o.dport ?? 53),
    be16(o.length ?? 8 + payload.length),
    [0, 0],
    payload,
  );
}

/** An ICMP or ICMPv6 message: type, code, checksum, 4 bytes of rest, then `body`. */
export function icmp(
  type: number,
  code: number,
  body: Bytes = [],
  rest = [0, 1, 0, 1],
): Uint8Array {
  return cat([type, code, 0, 0], rest, body);
}

/** An Ethernet/IPv4 ARP request. */
export function arp(senderIp: string, targetIp: string, op = 1): Uint8Array {
  return cat(
    be16(1),
    be16(0x0800),
    [6, 4],
    be16(op),
    MAC_A,
    ip4(senderIp),
    [0, 0, 0, 0, 0, 0],
    ip4(
      targetIp,
    ),
  );
}

/** Bytes of a colon-separated MAC address. */
export function mac(text: string): number[] {
  return text.split(":").map((h) => parseInt(h, 16));
}

export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";

export interface ArpOptions {
  /** 1 request (default), 2 reply. */
  op?: number;
  senderMac?: string;
  senderIp: string;
  /** Default 00:00:00:00:00:00 for a request, else the Ethernet destination. */
  targetMac?: string;
  targetIp: string;
  /** Ethernet destination: default broadcast for a request, the target MAC for a reply. */
  ethDst?: string;
  /** Ethernet source: default the sender MAC (another makes a forged packet). */
  ethSrc?: string;
}

/** An Ethernet II frame carrying an Ethernet/IPv4 ARP packet, from the sender MAC. */
export function arpFrame(o: ArpOptions): Uint8Array {
  const op = o.op ?? 1;
  const sender = o.senderMac ?? "02:00:00:00:00:0a";
  const ethDst = o.ethDst ?? (op === 1 ? BROADCAST_MAC : o.targetMac ?? BROADCAST_MAC);
  const targetMac = o.targetMac ?? (op === 1 ? "00:00:00:00:00:00" : ethDst);
  return cat(
    mac(ethDst),
    mac(o.ethSrc ?? sender),
    be16(0x0806),
    be16(1),
    be16(0x0800),
    [6, 4],
    be16(op),
    mac(sender),
    ip4(o.senderIp),
    mac(targetMac),
    ip4(o.targetIp),
  );
}

/** A Linux cooked v1 header (packet type 0 = to us, ARPHRD_ETHER) + payload. */
export function sll(protocol: number, payload: Bytes): Uint8Array {
  return cat(be16(0), be16(1), be16(6), MAC_A, [0, 0], be16(protocol), payload);
}

/** A Linux cooked v2 header + payload. */
export function sll2(protocol: number, payload: Bytes): Uint8Array {
  return cat(be16(protocol), [0, 0], be32(3), be16(1), [0, 6], MAC_A, [0, 0], payload);
}

/** A BSD null header: the family as a 4-byte integer in either byte order. */
export function nullHeader(family: number, littleEndian: boolean, payload: Bytes): Uint8Array {
  const b = be32(family);
  return cat(littleEndian ? b.reverse() : b, payload);
}

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
