/**
 * @module frames
 * Frame builders: Ethernet, 802.1Q tags, Linux cooked v1/v2, BSD null, IPv4, IPv6 and its
 * extension headers, TCP, UDP, ICMP/ICMPv6 and ARP, as plain bytes (checksums are left 0: the
 * decoder does not check them). Shared by the tests (tests/support/frames.ts re-exports them) and
 * the tools (tools/fuzz_lib.ts seeds its fuzzer with them), so tools never import tests/.
 */

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
