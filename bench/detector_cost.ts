/**
 * @module detector_cost
 * What each detector costs the main thread, per packet:
 *
 *   deno run -A bench/detector_cost.ts FILE [FILE...] [--rounds 3] [--runs 6]
 *
 * Runs bench/engine_only.ts (decode first, then time the engine alone) once per configuration:
 * all detectors off (the summary alone), only capture_drops on (it has no per-packet work, so
 * this is the connection tracker, which runs whenever any detector is on), each other detector
 * alone, and the default configuration (all on). A detector's row is its run minus the
 * tracker's; the tracker's row is its run minus the summary's. Each process times --runs passes
 * over the same batches and keeps the fastest after the first two (V8 is still compiling then):
 * other processes on the cores and a badly timed full collection only ever add time, and on a
 * shared 2-core machine single passes of one configuration ranged from 390 to 830 ms. The
 * configurations take turns for --rounds rounds, so drift over time spreads over all of them,
 * and the median of the rounds is kept. Rows within a few hundredths of a µs of 0 are noise.
 */
import { parseArgs } from "node:util";
import { DETECTOR_NAMES } from "../core/detect/catalog.ts";
import { summarizePcap } from "../testing/tcpdump.ts";
import { machine, ROOT, table } from "./common.ts";

/** A detector that does nothing per packet: with it alone on, only the tracker runs. */
const TRACKER_ONLY = "capture_drops";
const NONE = "none";
const ALL = "all";

export interface DetectorCostOptions {
  captures: { label: string; file: string }[];
  rounds: number;
  /** Passes per process; the fastest after the first two is kept. */
  runs: number;
}

/** The per-detector table (a column per capture), as markdown. */
export async function detectorCostBenchmark(options: DetectorCostOptions): Promise<string> {
  const configs = [NONE, TRACKER_ONLY, ...DETECTOR_NAMES.filter((n) => n !== TRACKER_ONLY), ALL];
  const columns: Map<string, number>[] = [];
  for (const { file } of options.captures) {
    const { packets } = await summarizePcap(file);
    const passes = new Map<string, number[]>(configs.map((c) => [c, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const config of configs) {
        passes.get(config)!.push(Math.min(...await engineOnly(file, config, options.runs)));
      }
    }
    // µs per packet of each configuration.
    columns.push(new Map([...passes].map(([c, ms]) => [c, (median(ms) * 1000) / packets])));
  }
  const cell = (us: number, delta: boolean) =>
    `${delta && us >= 0 ? "+" : ""}${us.toFixed(3)}${delta && us > 0.3 ? " ⚠" : ""}`;
  const rows: string[][] = [
    ["summary only (every detector off)", ...columns.map((c) => cell(c.get(NONE)!, false))],
    [
      `connection tracker (${TRACKER_ONLY} alone, minus the summary)`,
      ...columns.map((c) => cell(c.get(TRACKER_ONLY)! - c.get(NONE)!, true)),
    ],
    ...DETECTOR_NAMES.filter((n) => n !== TRACKER_ONLY).map((name) => [
      name,
      ...columns.map((c) => cell(c.get(name)! - c.get(TRACKER_ONLY)!, true)),
    ]),
    [
      "sum of the rows above",
      ...columns.map((c) => {
        const detectors = DETECTOR_NAMES.filter((n) => n !== TRACKER_ONLY);
        const sum = detectors.reduce((s, n) => s + c.get(n)! - c.get(TRACKER_ONLY)!, 0);
        return cell(sum + c.get(TRACKER_ONLY)!, false);
      }),
    ],
    ["all detectors on (default configuration)", ...columns.map((c) => cell(c.get(ALL)!, false))],
  ];
  return `Main thread per packet (bench/engine_only.ts: decoding done first, engine alone), µs; ` +
    `each detector alone minus the tracker alone; median of ${options.rounds} rounds of the ` +
    `fastest of ${Math.max(1, options.runs - 2)} warm passes; ⚠ above 0.3 µs\n\n` +
    table(["µs per packet", ...options.captures.map((c) => c.label)], rows);
}

/** The pass times (ms) of one engine_only process with `config`, the first two left out. */
async function engineOnly(file: string, config: string, runs: number): Promise<number[]> {
  const detectors = config === ALL ? [] : ["--detectors", config];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/engine_only.ts`, file, "--runs", String(runs), ...detectors],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`engine_only ${config} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const ms = [...text.matchAll(/packets in (\d+) ms/g)].map((m) => Number(m[1]));
  if (ms.length !== runs || runs < 1) throw new Error(`engine_only ${config} printed:\n${text}`);
  return ms.slice(Math.min(2, runs - 1));
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "3" },
      runs: { type: "string", default: "6" },
    },
  });
  if (positionals.length === 0) throw new Error("usage: detector_cost.ts FILE [FILE...]");
  const markdown = await detectorCostBenchmark({
    captures: positionals.map((file) => ({ label: file.split("/").at(-1)!, file })),
    rounds: Math.max(1, Number(values.rounds)),
    runs: Math.max(1, Number(values.runs)),
  });
  console.log(`\nmachine: ${await machine()}\n\n${markdown}`);
}
