/**
 * @module random_flood
 * The random-everything flood against Anomaly's memory caps:
 *
 *   deno run -A bench/random_flood.ts [--packets 2000000] [--seconds 20] [--v6-share 0.5]
 *
 * Writes (once, into bench/data/) a pcap of --packets packets, each from a random source to a
 * random destination on random ports, IPv4 or IPv6, TCP SYN, UDP or ICMP echo
 * (bench/random_capture.ts), then runs `main.ts --no-ui --read` on it twice: once with V8's
 * --trace-gc (packets/s, peak RSS, the JavaScript heap left after each full collection) and once
 * under `--max-old-space-size=128` (does it complete). Prints a markdown table with every
 * table's size, cap, evictions and expiries from the final stats record.
 */
import { parseArgs } from "node:util";
import {
  anomalyCommand,
  DATA_DIR,
  finalStats,
  fmt,
  machine,
  readRecords,
  table,
  timed,
  type TrackerStats,
} from "./common.ts";
import { mainIsolateGcs } from "./long_run.ts";
import { type RandomFloodShape, writeRandomFlood } from "./random_capture.ts";

/** The old-space limit the README suggests for small machines. */
const SMALL_HEAP_MIB = 128;

/** The random flood's table as markdown, and whether it completed under the small heap. */
export async function randomFloodBenchmark(
  shape: RandomFloodShape,
): Promise<{ markdown: string; ok: boolean }> {
  if (!(shape.packets >= 1 && shape.seconds > 0 && shape.v6Share >= 0 && shape.v6Share <= 1)) {
    throw new RangeError("Cannot run: --packets >= 1, --seconds > 0, --v6-share 0..1");
  }
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const file =
    `${DATA_DIR}/random-flood-${shape.packets}-${shape.seconds}s-v6-${shape.v6Share}.pcap`;
  const exists = await Deno.stat(file).then(() => true, () => false);
  if (!exists) await writeRandomFlood(file, shape);

  const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-random-" });
  try {
    const run = await timed(
      anomalyCommand(["--read", file, "--log-dir", logDir], ["--v8-flags=--trace-gc"]),
      { stdout: true },
    );
    const records = await readRecords(logDir);
    const final = finalStats(records);
    const small = await completesWithSmallHeap(file);
    const gcs = mainIsolateGcs(run.stdout) ?? [];
    const heapAfter = gcs.length === 0
      ? "no full GC"
      : `${Math.max(...gcs.map((g) => g.after)).toFixed(0)} MB at most, ${
        gcs.at(-1)!.after.toFixed(0)
      } MB at the last (${gcs.length} full GCs)`;
    const starts: Record<string, number> = {};
    for (const r of records) {
      if (r.event_type === "alert" && r.detection.state === "start") {
        starts[r.detection.detector] = (starts[r.detection.detector] ?? 0) + 1;
      }
    }
    const rows: [string, string][] = [
      [
        "capture",
        `${fmt(shape.packets)} packets in ${shape.seconds} s of packet time ` +
        `(${fmt(shape.packets / shape.seconds)}/s), random sources, destinations and ports, ` +
        `${Math.round(shape.v6Share * 100)} % IPv6; TCP SYN 40 %, UDP 40 %, ICMP echo 20 %`,
      ],
      [
        "anomaly --read",
        `${fmt(shape.packets / run.seconds)} packets/s (${run.seconds.toFixed(2)} s)`,
      ],
      ["peak RSS", `${run.peakRssMiB.toFixed(0)} MiB`],
      ["JS heap after full GC (main isolate)", heapAfter],
      [`completes with --max-old-space-size=${SMALL_HEAP_MIB}`, small],
      [
        "alert starts",
        Object.entries(starts).map(([name, n]) => `${name} ${n}`).join(", ") || "none",
      ],
    ];
    for (const t of (final.summary.trackers ?? []) as TrackerStats[]) {
      rows.push([
        `table ${t.name}`,
        `${fmt(t.size)} / cap ${fmt(t.cap)}, evicted ${fmt(t.evictions)}, expired ${
          fmt(t.expired)
        }`,
      ]);
    }
    const tracking: Record<string, number> = final.summary.tracking ?? {};
    rows.push([
      "summary.tracking",
      Object.entries(tracking).map(([key, n]) => `${key} ${fmt(n)}`).join(", "),
    ]);
    const markdown = "Random-everything flood: whole-process wall time\n\n" +
      table(["random flood", ""], rows);
    return { markdown, ok: small.startsWith("yes") };
  } finally {
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

/** "yes (peak RSS N MiB)" or "**no**: why", from a run under the small old space. */
async function completesWithSmallHeap(file: string): Promise<string> {
  const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-random-small-" });
  try {
    const run = await timed(anomalyCommand(
      ["--read", file, "--log-dir", logDir],
      [`--v8-flags=--max-old-space-size=${SMALL_HEAP_MIB}`],
    ));
    return `yes (${run.seconds.toFixed(2)} s, peak RSS ${run.peakRssMiB.toFixed(0)} MiB)`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = /out of memory|heap limit/i.test(message)
      ? "out of memory"
      : message.slice(0, 200);
    return `**no**: ${reason}`;
  } finally {
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "2000000" },
      seconds: { type: "string", default: "20" },
      "v6-share": { type: "string", default: "0.5" },
    },
  });
  const { markdown, ok } = await randomFloodBenchmark({
    packets: Number(values.packets),
    seconds: Number(values.seconds),
    v6Share: Number(values["v6-share"]),
  });
  console.log(`\nmachine: ${await machine()}\n\n${markdown}`);
  Deno.exit(ok ? 0 : 1);
}
