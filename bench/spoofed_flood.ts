/**
 * @module spoofed_flood
 * A spoofed SYN flood against Anomaly's memory caps:
 *
 *   deno run -A bench/spoofed_flood.ts [--packets 1000000] [--seconds 4] [--runs 1]
 *
 * Writes a pcap of --packets TCP SYNs to port 80 of one victim, each from a source address of
 * its own (all distinct), spread evenly over --seconds of packet time, then runs
 * `main.ts --no-ui --read` on it under `/usr/bin/time -f %M` and prints, as a markdown table:
 * packets/s (whole process wall time), peak RSS, whether flood was reported with dest_ip = the
 * victim, and the eviction counters of the final stats record (`summary.trackers[]` entries
 * that evicted, and `summary.tracking`). Figures only, no timing assertions; it exits 1 if the
 * flood was not reported toward the victim.
 */
import { parseArgs } from "node:util";
import {
  anomalyCommand,
  DATA_DIR,
  finalStats,
  fmt,
  machine,
  median as medianOf,
  readRecords,
  table,
  timed,
  type TrackerStats,
} from "./common.ts";

const VICTIM = "192.0.2.80";
const VICTIM_PORT = 80;
/** Packet time of the first SYN: 2023-11-14T22:13:20Z. */
const T0_US = 1_700_000_000 * 1e6;
const FRAME_BYTES = 14 + 20 + 20;
const RECORD_BYTES = 16 + FRAME_BYTES;
const PACKETS_PER_CHUNK = 65_536;

interface Outcome {
  seconds: number;
  peakRssMiB: number;
  floodSignature: string | null;
  alertStarts: Record<string, number>;
  trackers: TrackerStats[];
  tracking: Record<string, number>;
}

export interface FloodOptions {
  packets: number;
  /** Packet time the flood is spread over. */
  seconds: number;
  runs: number;
}

/** The flood table as markdown, and whether the flood was reported toward the victim. */
export async function floodBenchmark(
  options: FloodOptions,
): Promise<{ markdown: string; reported: boolean }> {
  const { packets, seconds, runs } = options;
  if (!(packets >= 1 && packets <= 1 << 24 && seconds > 0 && runs >= 1)) {
    throw new RangeError("Cannot run: --packets must be 1..16777216, --seconds > 0, --runs >= 1");
  }
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const file = `${DATA_DIR}/spoofed-flood-${packets}.pcap`;
  await writeSpoofedFlood(file, packets, seconds);
  const median = await medianOf(runs, () => analyse(file));

  const rows: [string, string][] = [
    [
      "capture",
      `${fmt(packets)} SYNs to ${VICTIM}:${VICTIM_PORT} from ${fmt(packets)} distinct ` +
      `sources in ${seconds} s of packet time (${fmt(packets / seconds)}/s)`,
    ],
    [
      "anomaly --read",
      `${fmt(Math.round(packets / median.seconds))} packets/s (${median.seconds.toFixed(2)} s)`,
    ],
    ["peak RSS", `${median.peakRssMiB.toFixed(0)} MiB`],
    [
      `flood, dest_ip ${VICTIM}`,
      median.floodSignature === null ? "**NOT reported**" : `yes: "${median.floodSignature}"`,
    ],
    [
      "alert starts",
      Object.entries(median.alertStarts).map(([name, n]) => `${name} ${n}`).join(", ") || "none",
    ],
  ];
  const evicting = median.trackers.filter((t) => t.evictions > 0);
  for (const t of evicting) {
    rows.push([
      `evictions: ${t.name}`,
      `${fmt(t.evictions)} (cap ${fmt(t.cap)}, ${fmt(t.size)} kept at the end)`,
    ]);
  }
  if (evicting.length === 0) rows.push(["evictions", "none"]);
  rows.push([
    "summary.tracking",
    Object.entries(median.tracking).map(([key, n]) => `${key} ${fmt(n)}`).join(", "),
  ]);
  const markdown = `Spoofed SYN flood: ${runs > 1 ? `median of ${runs} runs, ` : ""}` +
    "whole-process wall time\n\n" + table(["spoofed SYN flood", ""], rows);
  return { markdown, reported: median.floodSignature !== null };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "1000000" },
      seconds: { type: "string", default: "4" },
      runs: { type: "string", default: "1" },
    },
  });
  const { markdown, reported } = await floodBenchmark({
    packets: Number(values.packets),
    seconds: Number(values.seconds),
    runs: Number(values.runs),
  });
  console.log(`\nmachine: ${await machine()}\n\n${markdown}`);
  return reported ? 0 : 1;
}

/** Writes the flood as a pcap (µs, Ethernet), one chunk of records at a time. */
async function writeSpoofedFlood(path: string, packets: number, seconds: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b2c3d4, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 262144, true);
  header.setUint32(20, 1, true); // Ethernet
  await writeAll(file, new Uint8Array(header.buffer));

  const template = synTemplate();
  const stepUs = (seconds * 1e6) / packets;
  const victim = ipv4Word(VICTIM);
  for (let first = 0; first < packets; first += PACKETS_PER_CHUNK) {
    const count = Math.min(PACKETS_PER_CHUNK, packets - first);
    const chunk = new Uint8Array(count * RECORD_BYTES);
    const view = new DataView(chunk.buffer);
    for (let k = 0; k < count; k++) {
      const i = first + k, at = k * RECORD_BYTES, frame = at + 16;
      const tsUs = T0_US + Math.floor(i * stepUs);
      view.setUint32(at, Math.floor(tsUs / 1e6), true);
      view.setUint32(at + 4, tsUs % 1e6, true);
      view.setUint32(at + 8, FRAME_BYTES, true);
      view.setUint32(at + 12, FRAME_BYTES, true);
      chunk.set(template, frame);
      const source = spoofedSource(i);
      const sport = 1024 + (Math.imul(i, 40503) >>> 0) % 64000;
      const seq = Math.imul(i ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
      view.setUint16(frame + 18, i & 0xffff); // IP id
      view.setUint32(frame + 26, source);
      view.setUint16(frame + 34, sport);
      view.setUint32(frame + 38, seq);
      view.setUint16(frame + 24, checksum(view, frame + 14, 20, 0));
      const pseudo = sum32(source) + sum32(victim) + 6 + 20;
      view.setUint16(frame + 50, checksum(view, frame + 34, 20, pseudo));
    }
    await writeAll(file, chunk);
  }
}

/**
 * Source i: 45.0.0.0/8 (ordinary public space, as random spoofed sources mostly are) plus i
 * scrambled over 24 bits. i -> i * odd mod 2^24 is a bijection: every i < 2^24 gets its own.
 */
function spoofedSource(i: number): number {
  const low = Math.imul(i, 0x9e3779b1) & 0xffffff;
  return ((45 << 24) | low) >>> 0;
}

/** Ethernet + IPv4 (DF, TTL 64, proto 6) + TCP SYN to the victim; per-packet fields left 0. */
function synTemplate(): Uint8Array {
  const frame = new Uint8Array(FRAME_BYTES);
  const view = new DataView(frame.buffer);
  frame.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  view.setUint16(12, 0x0800);
  view.setUint8(14, 0x45);
  view.setUint16(16, 40);
  view.setUint16(20, 0x4000);
  view.setUint8(22, 64);
  view.setUint8(23, 6);
  view.setUint32(30, ipv4Word(VICTIM));
  view.setUint16(36, VICTIM_PORT);
  view.setUint8(46, 5 << 4);
  view.setUint8(47, 0x02); // SYN
  view.setUint16(48, 64240);
  return frame;
}

/** The Internet checksum of `length` bytes at `offset` (its checksum field must be 0). */
function checksum(view: DataView, offset: number, length: number, initial: number): number {
  let sum = initial;
  for (let i = 0; i < length; i += 2) sum += view.getUint16(offset + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function sum32(word: number): number {
  return (word >>> 16) + (word & 0xffff);
}

function ipv4Word(text: string): number {
  return text.split(".").reduce((word, octet) => word * 256 + Number(octet), 0);
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/** Runs `main.ts --read` under /usr/bin/time and reads what it wrote. */
async function analyse(file: string): Promise<Outcome> {
  const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-flood-" });
  try {
    const { seconds, peakRssMiB } = await timed(
      anomalyCommand(["--read", file, "--log-dir", logDir]),
    );
    const records = await readRecords(logDir);
    const starts = records.filter((r) => r.event_type === "alert" && r.detection.state === "start");
    const alertStarts: Record<string, number> = {};
    for (const r of starts) {
      alertStarts[r.detection.detector] = (alertStarts[r.detection.detector] ?? 0) + 1;
    }
    const flood = starts.find((r) => r.detection.detector === "flood" && r.dest_ip === VICTIM);
    const final = finalStats(records);
    return {
      seconds,
      peakRssMiB,
      floodSignature: flood?.detection.message ?? null,
      alertStarts,
      trackers: final.summary.trackers ?? [],
      tracking: final.summary.tracking ?? {},
    };
  } finally {
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main());
