/**
 * @module fuzz_lib
 * The decoder fuzzer behind `deno task fuzz` (tools/fuzz.ts) and tests/decode/fuzz_test.ts.
 *
 * Frames are made from valid seeds of every link type we decode (EN10MB plain and with VLAN/QinQ
 * stacks, LINUX_SLL, LINUX_SLL2, NULL in both byte orders, LOOP, RAW 12/14/101, IPV4, IPV6) times
 * every protocol (IPv4 with options and fragments, IPv6 with extension chains and fragments, ARP,
 * TCP, UDP, ICMP/ICMPv6 echo and errors), then mutated: bit flips, interesting bytes, length
 * fields (found by walking the seed) set to 0, 1, their maximum or past the frame, truncations,
 * insertions, deletions, splices of two seeds; plus wholly random frames, IPv6 extension-header
 * loops and long chains, and VLAN stacks deeper than the cap. Each frame gets a capture shape
 * (whole, cut by a snaplen, a wire length far above the caplen, a caplen above the wire length,
 * a region shorter than the caplen claims) and sits at a random offset inside a larger buffer
 * with junk around it.
 *
 * Every frame is decoded twice, with different junk around it: the two records must be equal
 * (the decoder reads nothing outside its frame). Checks per frame: no exception escapes, exactly
 * one record is appended, and the record's words are sane (see `checkRecord`).
 */
import { type Frame, MAX_WIRE_LEN, PacketDecoder } from "../core/decode/decoder.ts";
import { DECODE_EVENTS, EVENT_COUNT } from "../core/decode/events.ts";
import {
  F_ADDRESSES,
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
  PacketBatch,
  RECORD_WORDS,
  W_ARP_LINK_SRC_MAC,
  W_CAP_LEN,
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
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_TTL,
  W_VLAN_ID,
  W_WIRE_LEN,
} from "../core/packet_batch.ts";
import {
  ahHeader,
  arp,
  cat,
  ethernet,
  extHeader,
  fragmentHeader,
  icmp,
  ipv4,
  ipv6,
  nullHeader,
  sll,
  sll2,
  tcp,
  udp,
  vlanTag,
} from "../testing/frames.ts";

// Link types (pcap LINKTYPE_*/DLT_*).
const NULL = 0,
  EN10MB = 1,
  RAW12 = 12,
  RAW14 = 14,
  RAW = 101,
  LOOP = 108,
  SLL = 113;
const IPV4 = 228, IPV6 = 229, SLL2 = 276;
/** Every link type we decode, and one we do not (LINKTYPE_IEEE802_11_RADIOTAP). */
export const FUZZ_LINK_TYPES = [
  NULL,
  EN10MB,
  RAW12,
  RAW14,
  RAW,
  LOOP,
  SLL,
  IPV4,
  IPV6,
  SLL2,
  127,
];

/** Every flag bit the decoder may set. */
const KNOWN_FLAGS = (1 << 15) - 1;
const OUTCOME = F_INVALID | F_TRUNCATED | F_UNSUPPORTED;

/** A small, fast, seeded PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uint32. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() < p * 4294967296;
  }
}

// ---------------------------------------------------------------------------------------------
// Seeds

/** A network-layer packet: what it is and how a link layer announces it. */
interface NetPacket {
  name: string;
  kind: "ipv4" | "ipv6" | "arp";
  bytes: Uint8Array;
}

/** A valid frame of one link type, and the length fields found in it. */
export interface Seed {
  name: string;
  linkType: number;
  bytes: Uint8Array;
  fields: Field[];
}

/** A length-like field of a seed: where it is and how wide. */
interface Field {
  at: number;
  width: "u8" | "u16" | "hi" | "lo";
}

function netPackets(): NetPacket[] {
  const v4 = (name: string, bytes: Uint8Array): NetPacket => ({
    name,
    kind: "ipv4",
    bytes,
  });
  const v6 = (name: string, bytes: Uint8Array): NetPacket => ({
    name,
    kind: "ipv6",
    bytes,
  });
  const payload = new Array(24).fill(0x61);
  const tcpOpts = [2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1]; // MSS, NOP, WS, SACK-permitted, pad
  return [
    v4("ipv4/tcp", ipv4({ proto: 6, payload: tcp({ payload }) })),
    v4(
      "ipv4+options/tcp+options",
      ipv4({
        proto: 6,
        options: [7, 7, 4, 0, 0, 0, 0, 1, 1, 1, 1, 0], // record route, NOPs, end
        payload: tcp({ options: tcpOpts, flags: 0x12 }),
      }),
    ),
    v4("ipv4/udp", ipv4({ proto: 17, payload: udp({ payload }) })),
    v4("ipv4/icmp echo", ipv4({ proto: 1, payload: icmp(8, 0, payload) })),
    v4(
      "ipv4/icmp unreachable(udp)",
      ipv4({
        proto: 1,
        payload: icmp(3, 3, ipv4({ proto: 17, payload: udp() }), [0, 0, 0, 0]),
      }),
    ),
    v4(
      "ipv4/icmp time exceeded(ipv4+options/tcp)",
      ipv4({
        proto: 1,
        payload: icmp(
          11,
          0,
          ipv4({ proto: 6, options: [1, 1, 1, 0], payload: tcp() }),
          [
            0,
            0,
            0,
            0,
          ],
        ),
      }),
    ),
    v4(
      "ipv4 first fragment/udp",
      ipv4({ proto: 17, moreFragments: true, payload: udp({ payload }) }),
    ),
    v4("ipv4 later fragment", ipv4({ proto: 6, fragOffset: 1480, payload })),
    v4("ipv4/gre", ipv4({ proto: 47, payload })),
    v6("ipv6/tcp", ipv6({ nextHeader: 6, payload: tcp({ payload }) })),
    v6("ipv6/udp", ipv6({ nextHeader: 17, payload: udp({ payload }) })),
    v6(
      "ipv6+hbh+rh0+dst/tcp",
      ipv6({
        nextHeader: 0,
        payload: [
          ...extHeader(43),
          ...extHeader(60, 1, 0),
          ...extHeader(6, 0, 0),
          ...tcp(),
        ],
      }),
    ),
    v6(
      "ipv6+ah/udp",
      ipv6({ nextHeader: 51, payload: [...ahHeader(17, 2), ...udp()] }),
    ),
    v6(
      "ipv6 first fragment/udp",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(17, 0, true, 7), ...udp({ payload })],
      }),
    ),
    v6(
      "ipv6 later fragment",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(17, 1448, false, 7), ...payload],
      }),
    ),
    v6(
      "ipv6 atomic fragment/tcp",
      ipv6({
        nextHeader: 44,
        payload: [...fragmentHeader(6, 0, false, 9), ...tcp()],
      }),
    ),
    v6(
      "ipv6/icmpv6 echo",
      ipv6({ nextHeader: 58, payload: icmp(128, 0, payload) }),
    ),
    v6(
      "ipv6/icmpv6 unreachable(ipv6+hbh+frag/udp)",
      ipv6({
        nextHeader: 58,
        payload: icmp(
          1,
          4,
          ipv6({
            nextHeader: 0,
            payload: [
              ...extHeader(44),
              ...fragmentHeader(17, 0, true, 3),
              ...udp(),
            ],
          }),
          [0, 0, 0, 0],
        ),
      }),
    ),
    v6("ipv6 no next header", ipv6({ nextHeader: 59, payload })),
    v6(
      "ipv6 jumbogram",
      ipv6({
        nextHeader: 0,
        payloadLength: 0,
        payload: [...extHeader(17), ...udp()],
      }),
    ),
    { name: "arp request", kind: "arp", bytes: arp("10.0.0.1", "10.0.0.2") },
    { name: "arp reply", kind: "arp", bytes: arp("10.0.0.2", "10.0.0.1", 2) },
  ];
}

const ETHERTYPE = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806 } as const;

/** The frames of `p` on every link type that can carry it. */
function wrap(p: NetPacket): [string, number, Uint8Array][] {
  const type = ETHERTYPE[p.kind];
  const out: [string, number, Uint8Array][] = [
    ["EN10MB", EN10MB, ethernet(type, p.bytes)],
    ["EN10MB+vlan", EN10MB, ethernet(0x8100, cat(vlanTag(10, type), p.bytes))],
    [
      "EN10MB+qinq",
      EN10MB,
      ethernet(0x88a8, cat(vlanTag(100, 0x8100), vlanTag(20, type), p.bytes)),
    ],
    [
      "EN10MB+4 tags",
      EN10MB,
      ethernet(
        0x9100,
        cat(
          vlanTag(1, 0x88a8),
          vlanTag(2, 0x8100),
          vlanTag(3, 0x8100),
          vlanTag(4, type),
          p.bytes,
        ),
      ),
    ],
    ["LINUX_SLL", SLL, sll(type, p.bytes)],
    ["LINUX_SLL+vlan", SLL, sll(0x8100, cat(vlanTag(5, type), p.bytes))],
    ["LINUX_SLL2", SLL2, sll2(type, p.bytes)],
  ];
  if (p.kind === "arp") return out;
  const v6 = p.kind === "ipv6";
  out.push(
    ["NULL le", NULL, nullHeader(v6 ? 24 : 2, true, p.bytes)],
    ["NULL be", NULL, nullHeader(v6 ? 28 : 2, false, p.bytes)],
    ["LOOP", LOOP, nullHeader(v6 ? 30 : 2, false, p.bytes)],
    ["RAW(12)", RAW12, p.bytes],
    ["RAW(14)", RAW14, p.bytes],
    ["RAW(101)", RAW, p.bytes],
    [v6 ? "IPV6" : "IPV4", v6 ? IPV6 : IPV4, p.bytes],
  );
  return out;
}

/** Every seed: each network packet on each link type that carries it, with its fields. */
export function makeSeeds(): Seed[] {
  return netPackets().flatMap((p) =>
    wrap(p).map(([link, linkType, bytes]) => ({
      name: `${link} ${p.name}`,
      linkType,
      bytes,
      fields: findFields(linkType, bytes),
    }))
  );
}

// ---------------------------------------------------------------------------------------------
// Walking a valid seed for its length fields (a reference walk of well-formed frames only)

function u16(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}

/** The length-like fields of a valid frame: header lengths, total lengths, counts, offsets. */
export function findFields(linkType: number, b: Uint8Array): Field[] {
  const fields: Field[] = [];
  let off = 0, type = -1;
  switch (linkType) {
    case EN10MB:
      type = u16(b, 12);
      off = 14;
      fields.push({ at: 12, width: "u16" });
      break;
    case SLL:
      type = u16(b, 14);
      off = 16;
      fields.push({ at: 14, width: "u16" }, { at: 4, width: "u16" }); // protocol, address length
      break;
    case SLL2:
      type = u16(b, 0);
      off = 20;
      fields.push({ at: 0, width: "u16" }, { at: 11, width: "u8" });
      break;
    case NULL:
    case LOOP:
      off = 4;
      fields.push({ at: 0, width: "u8" }, { at: 3, width: "u8" });
      type = b[4]! >> 4 === 6 ? 0x86dd : 0x0800;
      break;
    default:
      type = b[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  }
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    fields.push({ at: off + 2, width: "u16" });
    type = u16(b, off + 2);
    off += 4;
  }
  if (type === 0x0800) walkIpv4(b, off, fields);
  else if (type === 0x86dd) walkIpv6(b, off, fields);
  else if (type === 0x0806) {
    fields.push({ at: off + 4, width: "u8" }, { at: off + 5, width: "u8" });
  }
  return fields.filter((f) => f.at < b.length);
}

function walkIpv4(b: Uint8Array, off: number, fields: Field[]): void {
  const hlen = (b[off]! & 15) << 2;
  fields.push(
    { at: off, width: "lo" },
    { at: off, width: "hi" },
    { at: off + 2, width: "u16" },
    { at: off + 6, width: "u16" },
    { at: off + 9, width: "u8" },
  );
  for (let o = off + 20; o < off + hlen;) { // options
    const t = b[o]!;
    if (t === 0) break;
    if (t === 1) {
      o++;
      continue;
    }
    fields.push({ at: o + 1, width: "u8" });
    o += Math.max(2, b[o + 1]!);
  }
  if ((u16(b, off + 6) & 0x1fff) !== 0) return;
  walkTransport(b, b[off + 9]!, off + hlen, fields, 4);
}

function walkIpv6(b: Uint8Array, off: number, fields: Field[]): void {
  fields.push(
    { at: off, width: "hi" },
    { at: off + 4, width: "u16" },
    { at: off + 6, width: "u8" },
  );
  let nh = b[off + 6]!;
  off += 40;
  for (let n = 0; n < 10 && [0, 43, 44, 51, 60].includes(nh); n++) {
    fields.push({ at: off, width: "u8" });
    if (nh === 44) {
      fields.push({ at: off + 2, width: "u16" });
      if ((u16(b, off + 2) & 0xfff8) !== 0) return;
      nh = b[off]!;
      off += 8;
      continue;
    }
    fields.push({ at: off + 1, width: "u8" });
    const len = nh === 51 ? (b[off + 1]! + 2) << 2 : (b[off + 1]! + 1) << 3;
    nh = b[off]!;
    off += len;
  }
  walkTransport(b, nh, off, fields, 6);
}

function walkTransport(
  b: Uint8Array,
  proto: number,
  off: number,
  fields: Field[],
  v: number,
) {
  if (off >= b.length) return;
  if (proto === 6) fields.push({ at: off + 12, width: "hi" });
  else if (proto === 17) fields.push({ at: off + 4, width: "u16" });
  else if ((proto === 1 && v === 4) || (proto === 58 && v === 6)) {
    fields.push({ at: off, width: "u8" });
    const type = b[off]!;
    const error = v === 4 ? [3, 4, 5, 11, 12].includes(type) : type >= 1 && type <= 4;
    if (error && off + 8 < b.length) {
      if (v === 4) walkIpv4(b, off + 8, fields);
      else walkIpv6(b, off + 8, fields);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

const INTERESTING = [
  0,
  1,
  2,
  4,
  5,
  6,
  0x0f,
  17,
  0x20,
  41,
  43,
  44,
  47,
  50,
  51,
  58,
  59,
  60,
  0x7f,
  0x80,
  0x81,
  0x86,
  0x88,
  0x91,
  0xa8,
  0xdd,
  0xfe,
  0xff,
];

/** Sets `f` in `b` to an edge value: 0, 1, its maximum, past the frame, or random. */
function mutateField(r: Rng, b: Uint8Array, len: number, f: Field): void {
  const past = len - f.at + r.int(64); // a length reaching past the frame
  const pick = r.int(6);
  switch (f.width) {
    case "u8": {
      const v = [
        0,
        1,
        0xff,
        past & 0xff,
        r.int(256),
        (b[f.at]! + 1) & 0xff,
      ][pick]!;
      b[f.at] = v;
      break;
    }
    case "u16": {
      const v = [0, 1, 0xffff, past & 0xffff, r.int(65536), len][pick]!;
      b[f.at] = v >> 8;
      b[f.at + 1] = v & 0xff;
      break;
    }
    case "hi":
    case "lo": {
      const v = [0, 1, 15, (past >> 2) & 15, r.int(16), 5][pick]!;
      b[f.at] = f.width === "hi" ? (b[f.at]! & 0x0f) | (v << 4) : (b[f.at]! & 0xf0) | v;
      break;
    }
  }
}

/** A synthetic IPv6 packet with a long extension chain, or a loop of one header type. */
function ipv6Chain(r: Rng): Uint8Array {
  const loop = r.chance(0.5);
  const types = [0, 43, 44, 51, 60];
  const n = 1 + r.int(loop ? 40 : 14);
  const first = r.pick(types);
  const parts: number[] = [];
  let nh = first;
  for (let i = 0; i < n; i++) {
    const next = i === n - 1 ? r.pick([6, 17, 58, 59, 44]) : loop ? first : r.pick(types);
    if (nh === 44) {
      parts.push(
        ...fragmentHeader(
          next,
          r.chance(0.8) ? 0 : 8 * r.int(8192),
          r.chance(0.5),
          i,
        ),
      );
    } else if (nh === 51) parts.push(...ahHeader(next, r.int(3)));
    else parts.push(...extHeader(next, r.chance(0.9) ? 0 : r.int(4), r.int(5)));
    nh = next;
  }
  parts.push(...tcp());
  return ipv6({ nextHeader: first, payload: parts });
}

let NET_PACKETS: NetPacket[] | undefined;

/** A frame whose VLAN stack may go past the cap of 4 tags. */
function vlanStack(r: Rng): [number, Uint8Array] {
  const depth = 1 + r.int(12);
  const tpids = [0x8100, 0x88a8, 0x9100];
  const inner = r.pick(NET_PACKETS ??= netPackets());
  const parts: number[] = [];
  for (let i = 0; i < depth; i++) {
    parts.push(
      ...vlanTag(
        r.int(4096),
        i === depth - 1 ? ETHERTYPE[inner.kind] : r.pick(tpids),
      ),
    );
  }
  const first = r.pick(tpids);
  const body = cat(parts, inner.bytes);
  const link = r.int(3);
  if (link === 0) return [EN10MB, ethernet(first, body)];
  if (link === 1) return [SLL, sll(first, body)];
  return [SLL2, sll2(first, body)];
}

// ---------------------------------------------------------------------------------------------
// The run

/** What a fuzz run saw. */
export interface FuzzResult {
  frames: number;
  /** Exceptions that escaped `decode()`. */
  escapes: number;
  /** Records that broke an invariant (words, count, reads outside the frame). */
  violations: number;
  /** The first few problems, one line each. */
  problems: string[];
  /** Decode events (W_EVENT) by name. */
  events: Record<string, number>;
  /** Notes (W_NOTE_EVENT) by name. */
  notes: Record<string, number>;
  /** Records by outcome: ok, invalid, truncated, unsupported. */
  outcomes: Record<string, number>;
  /** Frames by how they were made. */
  sources: Record<string, number>;
  elapsedMs: number;
}

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Receives each full batch (and the last one) after the checks: e.g. an Engine. */
  onBatch?: (batch: PacketBatch) => void;
  /** Records per batch. Default 1024. */
  batchSize?: number;
  /**
   * Packet times as a broken file may give them: mostly increasing, with jumps back, to 0,
   * before 1970, and years ahead. Default false: increasing by up to 2 ms.
   */
  hostileTimes?: boolean;
}

const MAX_FRAME = 1024;
const PAD = 64;

/** Runs the fuzzer; see the module doc. Never throws for a decoder problem: it counts it. */
export function fuzz(options: FuzzOptions): FuzzResult {
  const r = new Rng(options.seed);
  const seeds = makeSeeds();
  const decoders = new Map(
    FUZZ_LINK_TYPES.map((t) => [t, new PacketDecoder(t)]),
  );
  const batchSize = options.batchSize ?? 1024;
  const batch = new PacketBatch(batchSize);
  const work = new Uint8Array(MAX_FRAME);
  const regionA = new Uint8Array(PAD + MAX_FRAME + PAD);
  const regionB = new Uint8Array(PAD + MAX_FRAME + PAD);
  const frame: Frame = {
    bytes: regionA,
    start: 0,
    capLen: 0,
    wireLen: 0,
    timestampUs: 0,
  };
  const eventCounts = new Float64Array(EVENT_COUNT + 1);
  const noteCounts = new Float64Array(EVENT_COUNT + 1);
  const outcomes = { ok: 0, invalid: 0, truncated: 0, unsupported: 0 };
  const sources: Record<string, number> = {};
  const result: FuzzResult = {
    frames: 0,
    escapes: 0,
    violations: 0,
    problems: [],
    events: {},
    notes: {},
    outcomes,
    sources,
    elapsedMs: 0,
  };
  const problem = (
    kind: "escape" | "violation",
    what: string,
    name: string,
    len: number,
  ) => {
    if (kind === "escape") result.escapes++;
    else result.violations++;
    if (result.problems.length < 20) {
      const hex = Array.from(
        work.subarray(0, Math.min(len, 96)),
        (x) => x.toString(16).padStart(2, "0"),
      ).join("");
      result.problems.push(
        `${kind} #${result.frames} (${name}, caplen ${frame.capLen}, wire ${frame.wireLen}): ` +
          `${what}; frame ${hex}`,
      );
    }
  };
  const t0 = performance.now();
  let ts = 1_700_000_000_000_000;

  for (let n = 0; n < options.frames; n++) {
    // 1. Make the frame in `work`.
    let linkType: number, len: number, source: string;
    const how = r.int(100);
    if (how < 8) {
      source = "random bytes";
      linkType = r.pick(FUZZ_LINK_TYPES);
      len = r.int(r.chance(0.5) ? 64 : 300);
      for (let i = 0; i < len; i++) work[i] = r.u32() & 0xff;
      if (len > 0 && r.chance(0.5)) { // a plausible first byte for the raw link types
        work[0] = r.pick([0x45, 0x46, 0x4f, 0x60, 0x6f]);
      }
    } else if (how < 14) {
      source = "ipv6 extension chains";
      const p = ipv6Chain(r);
      const links = wrap({ name: "", kind: "ipv6", bytes: p });
      const [, lt, bytes] = r.pick(links);
      linkType = lt;
      len = Math.min(bytes.length, MAX_FRAME);
      work.set(bytes.subarray(0, len));
    } else if (how < 20) {
      source = "vlan stacks";
      const [lt, bytes] = vlanStack(r);
      linkType = lt;
      len = Math.min(bytes.length, MAX_FRAME);
      work.set(bytes.subarray(0, len));
    } else {
      source = "mutated seeds";
      const s = r.pick(seeds);
      linkType = s.linkType;
      len = s.bytes.length;
      work.set(s.bytes);
      for (let k = r.int(5); k >= 0; k--) len = mutate(r, work, len, s, seeds);
    }
    if (how < 20 && r.chance(0.5)) len = mutate(r, work, len, null, seeds);
    sources[source] = (sources[source] ?? 0) + 1;

    // 2. Its capture shape.
    let capLen = len, wireLen = len;
    const shape = r.int(100);
    if (shape < 20) capLen = r.int(len + 1); // cut by a snaplen
    else if (shape < 28) {
      wireLen = len + 1 + r.int(r.chance(0.5) ? 100 : 262144);
    } else if (shape < 31) {
      wireLen = r.pick([65535, 262144, 0x7fffffff, 0x80000000, 0xffffffff]);
    } else if (shape < 36) wireLen = r.int(len + 1); // caplen above the wire length
    const shortRegion = shape >= 36 && shape < 40 && capLen > 0;
    const pre = r.int(PAD + 1), post = r.int(PAD + 1);

    // 3. Decode it twice, with different junk around it.
    for (let i = 0; i < pre; i++) regionA[i] = r.u32() & 0xff;
    regionA.set(work.subarray(0, capLen), pre);
    for (let i = pre + capLen, e = pre + capLen + post; i < e; i++) {
      regionA[i] = r.u32() & 0xff;
    }
    const regionEnd = shortRegion ? pre + r.int(capLen) : pre + capLen + post;
    for (let i = 0; i < regionEnd; i++) regionB[i] = ~regionA[i]!;
    regionB.set(work.subarray(0, capLen), pre);

    const decoder = decoders.get(linkType)!;
    ts += 1 + r.int(2000);
    if (options.hostileTimes && r.chance(0.01)) {
      ts = r.pick([
        ts - 1e6 * r.int(3600), // back up to an hour
        0,
        -1e6 * r.int(1e6), // before 1970
        ts + 1e6 * r.int(86_400 * 365), // up to a year ahead
        7_258_118_400_000_000, // 2200-01-01
        ts + 1,
      ]);
    }
    frame.start = pre;
    frame.capLen = capLen;
    frame.wireLen = wireLen;
    frame.timestampUs = ts;
    const before = batch.count;
    const name = `${source}, link ${linkType}`;
    scratch.clear();
    try {
      frame.bytes = regionA.subarray(0, regionEnd);
      decoder.decode(frame, batch);
      frame.bytes = regionB.subarray(0, regionEnd);
      decoder.decode(frame, scratch);
    } catch (e) {
      problem("escape", e instanceof Error ? e.message : String(e), name, len);
      batch.count = before;
      result.frames++;
      continue;
    }
    result.frames++;
    if (batch.count !== before + 1 || scratch.count !== 1) {
      problem(
        "violation",
        `${batch.count - before} records appended, not 1`,
        name,
        len,
      );
      batch.count = before + 1;
    }
    const base = before * RECORD_WORDS;
    const f = batch.fields;
    const bad = checkRecord(f, base, capLen, wireLen);
    if (bad !== null) problem("violation", bad, name, len);
    else if (!sameWords(f, base, scratch.fields)) {
      problem(
        "violation",
        "record differs with other junk around the frame",
        name,
        len,
      );
    }
    const flags = f[base + W_FLAGS]!;
    eventCounts[
      f[base + W_EVENT]! >>> 0 <= EVENT_COUNT ? f[base + W_EVENT]! : 0
    ]!++;
    noteCounts[
      f[base + W_NOTE_EVENT]! >>> 0 <= EVENT_COUNT ? f[base + W_NOTE_EVENT]! : 0
    ]!++;
    if (flags & F_INVALID) outcomes.invalid++;
    else if (flags & F_TRUNCATED) outcomes.truncated++;
    else if (flags & F_UNSUPPORTED) outcomes.unsupported++;
    else outcomes.ok++;
    if (batch.count === batch.capacity) {
      options.onBatch?.(batch);
      batch.clear();
    }
  }
  if (batch.count > 0) options.onBatch?.(batch);
  result.elapsedMs = performance.now() - t0;
  DECODE_EVENTS.forEach((e, i) => {
    if (eventCounts[i + 1]! > 0) result.events[e.name] = eventCounts[i + 1]!;
    if (noteCounts[i + 1]! > 0) result.notes[e.name] = noteCounts[i + 1]!;
  });
  return result;
}

const scratch = new PacketBatch(1);

/** True when the record at `base` of `f` equals the first record of `g`. */
function sameWords(f: Int32Array, base: number, g: Int32Array): boolean {
  for (let w = 0; w < RECORD_WORDS; w++) if (g[w] !== f[base + w]) return false;
  return true;
}

/** Applies one mutation to `b[0, len)`; returns the new length. */
function mutate(
  r: Rng,
  b: Uint8Array,
  len: number,
  seed: Seed | null,
  seeds: Seed[],
): number {
  const m = r.int(100);
  if (m < 25 && len > 0) { // bit flips
    for (let k = 1 + r.int(8); k > 0; k--) b[r.int(len)]! ^= 1 << r.int(8);
  } else if (m < 40 && len > 0) { // interesting bytes
    for (let k = 1 + r.int(3); k > 0; k--) b[r.int(len)] = r.pick(INTERESTING);
  } else if (m < 65 && seed !== null && seed.fields.length > 0) { // length fields at edges
    for (let k = 1 + r.int(2); k > 0; k--) {
      const field = r.pick(seed.fields);
      if (field.at + (field.width === "u16" ? 2 : 1) <= len) {
        mutateField(r, b, len, field);
      }
    }
  } else if (m < 75) { // truncate
    return r.int(len + 1);
  } else if (m < 82 && len < MAX_FRAME - 64) { // insert bytes
    const at = r.int(len + 1), n = 1 + r.int(32);
    b.copyWithin(at + n, at, len);
    for (let i = 0; i < n; i++) b[at + i] = r.chance(0.5) ? 0 : r.u32() & 0xff;
    return len + n;
  } else if (m < 89 && len > 0) { // delete bytes
    const at = r.int(len), n = 1 + r.int(Math.min(16, len - at));
    b.copyWithin(at, at + n, len);
    return len - n;
  } else if (m < 95) { // splice: our head, another seed's tail
    const other = r.pick(seeds).bytes;
    const at = r.int(len + 1), from = r.int(other.length + 1);
    const n = Math.min(other.length - from, MAX_FRAME - at);
    b.set(other.subarray(from, from + n), at);
    return at + n;
  } else if (len < MAX_FRAME - 64) { // junk appended (Ethernet padding, trailers)
    const n = 1 + r.int(64);
    for (let i = 0; i < n; i++) b[len + i] = r.u32() & 0xff;
    return len + n;
  }
  return len;
}

/**
 * Null when the record at `base` is sane, else what is wrong: flags only known bits and
 * consistent; one outcome flag exactly when there is an event, of the event's kind; a note only
 * of kind "note"; lengths as given; ports -1 or 0..65535, bytes -1 or 0..255, VLAN id -1 or
 * 0..4095, ethertype -1 or 0..65535, fragment offset -1 or 0..65528 (multiple of 8); payload
 * length -1 or at least 0; words of a layer only with that layer's flag.
 */
export function checkRecord(
  f: Int32Array,
  base: number,
  capLen: number,
  wireLen: number,
): string | null {
  const w = (i: number) => f[base + i]!;
  const flags = w(W_FLAGS);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    return `unknown flag bits 0x${flags.toString(16)}`;
  }
  const wire = Math.min(wireLen, MAX_WIRE_LEN);
  if (w(W_WIRE_LEN) !== wire) {
    return `wire length ${w(W_WIRE_LEN)}, not ${wire}`;
  }
  if (w(W_CAP_LEN) !== capLen) return `caplen ${w(W_CAP_LEN)}, not ${capLen}`;
  const event = w(W_EVENT), note = w(W_NOTE_EVENT);
  if (event < 0 || event > EVENT_COUNT) {
    return `event id ${event} outside the catalogue`;
  }
  if (note < 0 || note > EVENT_COUNT) {
    return `note id ${note} outside the catalogue`;
  }
  const outcome = flags & OUTCOME;
  if ((event === 0) !== (outcome === 0)) {
    return `event ${event} with outcome flags ${outcome}`;
  }
  if (
    outcome !== 0 && outcome !== F_INVALID && outcome !== F_TRUNCATED &&
    outcome !== F_UNSUPPORTED
  ) {
    return `more than one outcome flag: ${outcome}`;
  }
  if (event !== 0) {
    const kind = DECODE_EVENTS[event - 1]!.kind;
    const ok = kind === "invalid"
      ? outcome === F_INVALID
      : kind === "truncation"
      ? outcome === F_INVALID || outcome === F_TRUNCATED
      : kind === "unsupported"
      ? outcome === F_UNSUPPORTED
      : false;
    if (!ok) {
      return `event ${DECODE_EVENTS[event - 1]!.name} (${kind}) with outcome ${outcome}`;
    }
  }
  if (note !== 0 && DECODE_EVENTS[note - 1]!.kind !== "note") {
    return `note ${DECODE_EVENTS[note - 1]!.name} is not of kind note`;
  }
  for (
    const p of [W_SRC_PORT, W_DST_PORT, W_INNER_SRC_PORT, W_INNER_DST_PORT]
  ) {
    if (w(p) < -1 || w(p) > 65535) return `port word ${p} = ${w(p)}`;
  }
  for (
    const p of [W_IP_PROTO, W_ICMP_TYPE, W_ICMP_CODE, W_INNER_PROTO, W_TTL]
  ) {
    if (w(p) < -1 || w(p) > 255) return `byte word ${p} = ${w(p)}`;
  }
  if (w(W_TCP_FLAGS) < 0 || w(W_TCP_FLAGS) > 255) {
    return `TCP flags ${w(W_TCP_FLAGS)}`;
  }
  if (w(W_VLAN_ID) < -1 || w(W_VLAN_ID) > 4095) {
    return `VLAN id ${w(W_VLAN_ID)}`;
  }
  if (w(W_ETHERTYPE) < -1 || w(W_ETHERTYPE) > 65535) {
    return `ethertype ${w(W_ETHERTYPE)}`;
  }
  const frag = w(W_FRAG_OFFSET);
  if (frag < -1 || frag > 65528 || (frag > 0 && frag % 8 !== 0)) {
    return `fragment offset ${frag}`;
  }
  if (w(W_PAYLOAD_LEN) < -1 || w(W_PAYLOAD_LEN) > Math.max(wire, capLen)) {
    return `payload length ${w(W_PAYLOAD_LEN)}`;
  }
  if ((flags & F_IPV4) && w(W_IP_ID) < -1) return `IPv4 id ${w(W_IP_ID)}`;
  // Layer consistency.
  const ip = flags & (F_IPV4 | F_IPV6);
  if (ip === (F_IPV4 | F_IPV6)) return "both IPv4 and IPv6";
  if ((flags & F_ARP) && ip) return "ARP and IP";
  if ((flags & (F_TCP | F_UDP | F_ICMP4 | F_ICMP6)) && !ip) {
    return "transport without IP";
  }
  const transports = [F_TCP, F_UDP, F_ICMP4, F_ICMP6].filter((t) => flags & t).length;
  if (transports > 1) return "more than one transport flag";
  if ((flags & F_ICMP4) && !(flags & F_IPV4)) return "ICMP without IPv4";
  if ((flags & F_ICMP6) && !(flags & F_IPV6)) return "ICMPv6 without IPv6";
  if ((flags & F_ADDRESSES) && !ip) return "addresses without IP";
  if ((flags & F_LATER_FRAGMENT) && !(flags & F_FRAGMENT)) {
    return "later fragment, no fragment";
  }
  if (
    (flags & F_LATER_FRAGMENT) &&
    (w(W_SRC_PORT) !== -1 || (flags & (F_TCP | F_UDP)))
  ) {
    return "a later fragment with a transport header";
  }
  if ((flags & F_ICMP_ERROR) && !(flags & (F_ICMP4 | F_ICMP6))) {
    return "ICMP error without ICMP";
  }
  if (
    !(flags & (F_TCP | F_UDP)) && (w(W_SRC_PORT) !== -1 || w(W_DST_PORT) !== -1)
  ) {
    return "ports without TCP or UDP";
  }
  if (!(flags & F_TCP) && w(W_TCP_FLAGS) !== 0) return "TCP flags without TCP";
  if (!(flags & (F_ICMP4 | F_ICMP6)) && w(W_ICMP_TYPE) !== -1) {
    return "ICMP type without ICMP";
  }
  if (!(flags & F_ICMP_ERROR) && w(W_INNER_PROTO) !== -1) {
    return "quoted protocol without error";
  }
  if (!(flags & F_VLAN) && w(W_VLAN_ID) !== -1) return "VLAN id without F_VLAN";
  if (flags & F_ARP) {
    // ARP reuses the quoted-address words: operation, sender MAC (16 + 32 bits), then zero.
    if (w(W_INNER_DST_ADDR) < 0 || w(W_INNER_DST_ADDR) > 65535) return "ARP operation";
    if (w(W_INNER_DST_ADDR + 1) < 0 || w(W_INNER_DST_ADDR + 1) > 65535) return "ARP sender MAC";
    if (w(W_INNER_DST_ADDR + 3) !== 0) return "ARP record with a fourth quoted word";
    // The link-layer source MAC in the source address's words 1-2 (16 + 32 bits), word 3 zero.
    if (w(W_ARP_LINK_SRC_MAC) < 0 || w(W_ARP_LINK_SRC_MAC) > 65535) return "ARP link source";
    if (w(W_ARP_LINK_SRC_MAC + 2) !== 0) return "ARP record with a fourth source word";
  } else if (!(flags & F_ICMP_ERROR)) {
    for (let i = 0; i < 4; i++) {
      if (w(W_INNER_DST_ADDR + i) !== 0) {
        return "quoted address without F_ICMP_ERROR";
      }
    }
  }
  return null;
}
