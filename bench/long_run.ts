/**
 * @module long_run
 * A long run of mixed traffic: is memory flat once the tables are full?
 *
 *   deno run -A bench/long_run.ts [--packets 10000000] [--base 1000000] [--gap 30]
 *                                 [--same-hosts] [--sample-ms 500]
 *
 * The small-packet capture from real tools (bench/make_capture.ts, --base packets) is written
 * again and again into one file of --packets packets. Each copy starts --gap seconds of packet
 * time after the previous one ended, so packet time moves on (windows roll, idle state expires),
 * and, unless --same-hosts, each copy's addresses are renumbered (the second byte of IPv4
 * addresses and the fourth of IPv6 ones XORed with the copy's number, checksums adjusted), so
 * every copy brings hosts and connections the tables have not seen. `main.ts --no-ui --read`
 * then runs on it while its VmRSS is read from /proc every --sample-ms; the table shows the peak
 * RSS (maxrss), RSS over the run, the growth over its second half, and the trackers' sizes,
 * caps and evictions from the final stats record.
 */
import { parseArgs } from "node:util";
import {
  anomalyCommand,
  DATA_DIR,
  describeRunCpu,
  finalStats,
  fmt,
  machine,
  mpps,
  readRecords,
  type RssSample,
  sparkline,
  table,
  timed,
  type TrackerStats,
} from "./common.ts";
import { benchCapture } from "./speed.ts";

export interface LongRunOptions {
  packets: number;
  /** Packets of the small capture that is repeated. */
  base: number;
  /** Seconds of packet time between the end of one copy and the start of the next. */
  gapS: number;
  /** Renumber each copy's hosts (default) or repeat the same ones. */
  varyHosts: boolean;
  sampleMs: number;
}

/** The long run's table, as markdown. */
export async function longRunBenchmark(options: LongRunOptions): Promise<string> {
  const baseFile = await benchCapture("small", options.base);
  const hosts = options.varyHosts ? "hosts" : "same";
  const file = `${DATA_DIR}/mixed-${options.packets}-from-${options.base}-gap${options.gapS}-` +
    `${hosts}.pcap`;
  const made = await repeatCapture(baseFile, file, options);
  const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-long-" });
  try {
    const run = await timed(
      anomalyCommand(["--read", file, "--log-dir", logDir], ["--v8-flags=--trace-gc"]),
      { sampleMs: options.sampleMs, stdout: true, threadCpu: true },
    );
    const tcpdump = await timed(["tcpdump", "-r", file, "-w", "/dev/null"]);
    const records = await readRecords(logDir);
    const final = finalStats(records);
    const packets: number = final.stats.decoder.pkts;
    const trackers: TrackerStats[] = final.summary.trackers ?? [];
    const tracking: Record<string, number> = final.summary.tracking ?? {};
    const alerts = records.filter((r) => r.event_type === "alert" && r.detection.state === "start");
    const rows: [string, string][] = [
      [
        "capture",
        `${fmt(made.packets)} packets (${(made.bytes / 1e6).toFixed(0)} MB): the ` +
        `${fmt(options.base)}-packet small capture ${made.copies} times, each ` +
        `${options.gapS} s of packet time after the last` +
        (options.varyHosts ? ", hosts renumbered in every copy" : ", same hosts in every copy") +
        ` (${(made.spanS / 60).toFixed(1)} min of packet time)`,
      ],
      ["anomaly --read", `${mpps(packets, run.seconds)} (${run.seconds.toFixed(2)} s)`],
      [
        "tcpdump -r -w /dev/null, time ratio",
        `${mpps(packets, tcpdump.seconds)} (${tcpdump.seconds.toFixed(2)} s), ` +
        `${(run.seconds / tcpdump.seconds).toFixed(2)}x`,
      ],
      ["anomaly CPU (user + system)", describeRunCpu(run.cpu, packets)],
      ["peak RSS (maxrss)", `${run.peakRssMiB.toFixed(0)} MiB`],
      ...rssRows(run.samples, options.sampleMs),
      ["JS heap after each full GC (main isolate, MB)", liveHeap(run.stdout)],
      ["records", `${fmt(records.length)}, ${fmt(alerts.length)} alert starts`],
      ["trackers at the end (size / cap)", describeTrackers(trackers)],
      ["evicted / expired", describeEvictions(trackers)],
      [
        "summary.tracking",
        Object.entries(tracking).map(([key, n]) => `${key} ${fmt(n)}`).join(", "),
      ],
    ];
    return `Long run of mixed traffic: whole-process wall time, VmRSS read every ` +
      `${options.sampleMs} ms\n\n${table(["10M mixed packets", ""], rows)}`;
  } finally {
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

/** RSS over the run: a sparkline, a few points, and the growth over the second half. */
function rssRows(samples: RssSample[], sampleMs: number): [string, string][] {
  if (samples.length < 2) return [["RSS over time", "too short to sample"]];
  const values = samples.map((s) => s.rssMiB);
  const peak = Math.max(...values);
  const points = [0.1, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const sample =
      samples[Math.min(samples.length - 1, Math.round(fraction * samples.length) - 1)]!;
    return `${sample.atS.toFixed(1)} s ${sample.rssMiB.toFixed(0)}`;
  });
  const middle = samples[Math.floor(samples.length / 2)]!;
  const secondHalf = values.slice(Math.floor(samples.length / 2));
  const growth = Math.max(...secondHalf) - middle.rssMiB;
  return [
    [
      `RSS every ${sampleMs} ms (0 to ${peak.toFixed(0)} MiB)`,
      `\`${sparkline(downsample(values, 60), peak)}\``,
    ],
    ["RSS at 10/25/50/75/100 % of the run (MiB)", points.join(", ")],
    [
      "growth over the second half",
      `${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MiB ` +
      `(${((100 * growth) / middle.rssMiB).toFixed(1)} % of ${middle.rssMiB.toFixed(0)} MiB)`,
    ],
  ];
}

/**
 * What V8's --trace-gc says the main isolate holds after each Mark-Compact: the live heap, which
 * stays flat when state is bounded even while RSS rises and falls with garbage not yet collected.
 * The main isolate is the one with the biggest heap (the capture worker's holds a few batches).
 */
export function liveHeap(traceGc: string): string {
  const main = mainIsolateGcs(traceGc);
  if (main === null) return "no full GC during the run";
  return main.map((g) =>
    `${(g.atMs / 1000).toFixed(1)} s: ${g.before.toFixed(0)} -> ` +
    `${g.after.toFixed(1)}`
  ).join(", ");
}

/** The main isolate's full collections (heap before and after, MB), or null if none ran. */
export function mainIsolateGcs(
  traceGc: string,
): { atMs: number; after: number; before: number }[] | null {
  const pattern =
    /\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: (?:Incremental )?Mark-Compact[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/g;
  const byIsolate = new Map<string, { atMs: number; after: number; before: number }[]>();
  for (const m of traceGc.matchAll(pattern)) {
    const list = byIsolate.get(m[1]!) ?? [];
    list.push({ atMs: Number(m[2]), before: Number(m[3]), after: Number(m[5]) });
    byIsolate.set(m[1]!, list);
  }
  const lists = [...byIsolate.values()];
  if (lists.length === 0) return null;
  return lists.reduce((a, b) =>
    Math.max(...a.map((g) => g.before)) >= Math.max(...b.map((g) => g.before)) ? a : b
  );
}

/** At most `count` values: the maximum of each of `count` equal stretches. */
function downsample(values: number[], count: number): number[] {
  if (values.length <= count) return values;
  return Array.from({ length: count }, (_, i) => {
    const from = Math.floor((i * values.length) / count);
    const to = Math.floor(((i + 1) * values.length) / count);
    return Math.max(...values.slice(from, Math.max(to, from + 1)));
  });
}

function describeTrackers(trackers: TrackerStats[]): string {
  const used = trackers.filter((t) => t.size > 0);
  if (used.length === 0) return "none in use";
  return used.map((t) => `${t.name} ${fmt(t.size)} / ${fmt(t.cap)}`).join(", ");
}

function describeEvictions(trackers: TrackerStats[]): string {
  const busy = trackers.filter((t) => t.evictions > 0 || t.expired > 0);
  if (busy.length === 0) return "none";
  return busy.map((t) => `${t.name} ${fmt(t.evictions)} / ${fmt(t.expired)}`).join(", ");
}

export interface Repeated {
  packets: number;
  bytes: number;
  copies: number;
  spanS: number;
}

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
const CHUNK_BYTES = 16 << 20;

/**
 * Writes `options.packets` packets into `out`: copies of `baseFile` with shifted times (and
 * renumbered hosts). An existing `out` is reused: it is renamed into place only when complete.
 */
export async function repeatCapture(
  baseFile: string,
  out: string,
  options: Pick<LongRunOptions, "packets" | "gapS" | "varyHosts">,
): Promise<Repeated> {
  const base = await Deno.readFile(baseFile);
  const view = new DataView(base.buffer, base.byteOffset, base.byteLength);
  if (view.getUint32(0, true) !== 0xa1b2c3d4 && view.getUint32(0, true) !== 0xa1b23c4d) {
    throw new Error(`${baseFile}: not a little-endian pcap file`);
  }
  const perSecond = view.getUint32(0, true) === 0xa1b2c3d4 ? 1e6 : 1e9;
  const ethernet = view.getUint32(20, true) === 1;
  const offsets: number[] = [];
  for (let at = GLOBAL_HEADER; at + RECORD_HEADER <= base.length;) {
    offsets.push(at);
    at += RECORD_HEADER + view.getUint32(at + 8, true);
  }
  if (offsets.length === 0) throw new Error(`${baseFile} holds no packets`);
  const time = (at: number) => view.getUint32(at, true) * perSecond + view.getUint32(at + 4, true);
  const first = time(offsets[0]!), last = time(offsets.at(-1)!);
  const stride = last - first + Math.round(options.gapS * perSecond);
  const copies = Math.ceil(options.packets / offsets.length);
  const result = {
    packets: options.packets,
    bytes: 0,
    copies,
    spanS: (stride * (copies - 1) + last - first) / perSecond,
  };
  try {
    result.bytes = (await Deno.stat(out)).size;
    return result;
  } catch { /* not made yet */ }

  const partial = `${out}.partial`;
  using file = await Deno.open(partial, { write: true, create: true, truncate: true });
  await writeAll(file, base.subarray(0, GLOBAL_HEADER));
  let chunk = new Uint8Array(CHUNK_BYTES);
  let used = 0, written = 0;
  for (let copy = 0; copy < copies; copy++) {
    const shift = copy * stride;
    const renumber = options.varyHosts && ethernet ? copy % 256 : 0;
    const count = Math.min(offsets.length, options.packets - copy * offsets.length);
    for (let i = 0; i < count; i++) {
      const at = offsets[i]!;
      const length = RECORD_HEADER + view.getUint32(at + 8, true);
      if (used + length > chunk.length) {
        await writeAll(file, chunk.subarray(0, used));
        chunk = new Uint8Array(Math.max(CHUNK_BYTES, length));
        used = 0;
      }
      chunk.set(base.subarray(at, at + length), used);
      const record = new DataView(chunk.buffer, used, length);
      const t = time(at) + shift;
      record.setUint32(0, Math.floor(t / perSecond), true);
      record.setUint32(4, t % perSecond, true);
      if (renumber !== 0) renumberFrame(record, RECORD_HEADER, length, renumber);
      used += length;
      written += length;
    }
  }
  await writeAll(file, chunk.subarray(0, used));
  await Deno.rename(partial, out);
  result.bytes = GLOBAL_HEADER + written;
  return result;
}

/**
 * XORs `k` into the second byte of every unicast IPv4 address (ARP included) and the fourth of
 * every unicast IPv6 address of an Ethernet frame, and adjusts the IPv4 header and TCP, UDP and
 * ICMPv6 checksums to match (RFC 1624), so the frame stays valid.
 */
function renumberFrame(v: DataView, frame: number, end: number, k: number): void {
  let at = frame + 12;
  let type = v.getUint16(at);
  while ((type === 0x8100 || type === 0x88a8) && at + 6 <= end) {
    at += 4;
    type = v.getUint16(at);
  }
  const l3 = at + 2;
  if (type === 0x0806 && l3 + 28 <= end) {
    for (const address of [l3 + 14, l3 + 24]) xorIpv4(v, address, k, []);
  } else if (type === 0x0800 && l3 + 20 <= end) {
    const l4 = l3 + (v.getUint8(l3) & 0x0f) * 4;
    const fragmentOffset = v.getUint16(l3 + 6) & 0x1fff;
    const checksums = [l3 + 10];
    const l4Checksum = fragmentOffset === 0
      ? transportChecksum(v, v.getUint8(l3 + 9), l4, end)
      : -1;
    if (l4Checksum >= 0) checksums.push(l4Checksum);
    xorIpv4(v, l3 + 12, k, checksums);
    xorIpv4(v, l3 + 16, k, checksums);
  } else if (type === 0x86dd && l3 + 40 <= end) {
    const l4Checksum = transportChecksum(v, v.getUint8(l3 + 6), l3 + 40, end);
    const checksums = l4Checksum >= 0 ? [l4Checksum] : [];
    for (const address of [l3 + 8, l3 + 24]) {
      if (v.getUint8(address) === 0xff || v.getUint8(address) === 0) continue;
      xorWord(v, address + 2, k, checksums);
    }
  }
}

/** Where the TCP, UDP (when set) or ICMPv6 checksum is, or -1. */
function transportChecksum(v: DataView, protocol: number, l4: number, end: number): number {
  const offset = protocol === 6 ? 16 : protocol === 17 ? 6 : protocol === 58 ? 2 : -1;
  if (offset < 0 || l4 + offset + 2 > end) return -1;
  if (protocol === 17 && v.getUint16(l4 + offset) === 0) return -1;
  return l4 + offset;
}

function xorIpv4(v: DataView, address: number, k: number, checksums: number[]): void {
  const firstOctet = v.getUint8(address);
  if (firstOctet === 0 || firstOctet === 127 || firstOctet >= 224) return;
  xorWord(v, address, k, checksums);
}

/** XORs `k` into the 16-bit word at `word` and updates each checksum at `checksums`. */
function xorWord(v: DataView, word: number, k: number, checksums: number[]): void {
  const before = v.getUint16(word), after = before ^ k;
  v.setUint16(word, after);
  for (const at of checksums) {
    let sum = (~v.getUint16(at) & 0xffff) + (~before & 0xffff) + after;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const value = ~sum & 0xffff;
    v.setUint16(at, value === 0 ? 0xffff : value);
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "10000000" },
      base: { type: "string", default: "1000000" },
      gap: { type: "string", default: "30" },
      "same-hosts": { type: "boolean", default: false },
      "sample-ms": { type: "string", default: "500" },
    },
  });
  const result = await longRunBenchmark({
    packets: Number(values.packets),
    base: Number(values.base),
    gapS: Number(values.gap),
    varyHosts: !values["same-hosts"],
    sampleMs: Number(values["sample-ms"]),
  });
  console.log(`\nmachine: ${await machine()}\n\n${result}`);
}
