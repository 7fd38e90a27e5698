/**
 * @module fuzz_lib
 * The decoder fuzzer behind `deno task fuzz` (tools/fuzz.ts) and tests/core/decode/fuzz_test.ts.
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
import { type Frame, PacketDecoder } from "../core/decode/decoder.ts";
import { DECODE_EVENTS, EVENT_COUNT } from "../core/decode/events.ts";
import {
  F_INVALID,
  F_TRUNCATED,
  F_UNSUPPORTED,
  PacketBatch,
  RECORD_WORDS,
  W_EVENT,
  W_FLAGS,
  W_NOTE_EVENT,
} from "../core/packet/packet_batch.ts";
import { FUZZ_LINK_TYPES } from "./fuzz/link_types.ts";
import { Rng } from "./fuzz/rng.ts";
import { makeSeeds, wrap } from "./fuzz/seeds.ts";
import { ipv6Chain, MAX_FRAME, mutate, vlanStack } from "./fuzz/mutations.ts";
import { checkRecord } from "./fuzz/check_record.ts";

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
