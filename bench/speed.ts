/**
 * @module speed
 * Speed of `anomaly --read` (full detection, records written) against
 * `tcpdump -r FILE -w /dev/null` on the same capture, in the same run, as packets/s and as a ratio
 * of whole-process wall times (the median of `runs` each), with the CPU time of Anomaly's run
 * (all threads, and its main and capture threads):
 *
 *   deno run -A bench/speed.ts [--small 1000000] [--large 1000000] [--runs 3]
 *
 * The captures are made once from real tools in network namespaces (bench/make_capture.ts:
 * "small" is mostly scans, floods and pings under 100 bytes; "large" mostly full-size frames of
 * a bulk download) and reused from bench/data/ afterwards. A count of 0 skips that capture.
 */
import { parseArgs } from "node:util";
import { summarizePcap } from "../testing/tcpdump.ts";
import {
  anomalyCommand,
  type AnyRecord,
  DATA_DIR,
  describeRunCpu,
  fmt,
  machine,
  median,
  mpps,
  readRecords,
  ROOT,
  runShown,
  table,
  timed,
} from "./common.ts";

export interface SpeedOptions {
  /** Packets of the small-packet capture (0: skip it). */
  small: number;
  /** Packets of the full-size capture (0: skip it). */
  large: number;
  runs: number;
}

/** Makes (or reuses) a capture of `packets` of `kind` in bench/data/ and returns its path. */
export async function benchCapture(kind: "small" | "large", packets: number): Promise<string> {
  const file = `${DATA_DIR}/${kind}-${packets}.pcap`;
  await runShown([
    Deno.execPath(),
    "run",
    "-A",
    `${ROOT}bench/make_capture.ts`,
    file,
    "--packets",
    String(packets),
    "--kind",
    kind,
  ]);
  return file;
}

/** The speed table, as markdown. */
export async function speedBenchmark(options: SpeedOptions): Promise<string> {
  const rows: string[][] = [];
  const kinds = (["small", "large"] as const).filter((kind) => options[kind] > 0);
  for (const kind of kinds) {
    const file = await benchCapture(kind, options[kind]);
    const label = kind === "small" ? "small (scans, floods, pings)" : "large (bulk download)";
    rows.push((await speedRow(label, file, options.runs)).cells);
  }
  return `${SPEED_CAPTION(options.runs)}\n\n${table(SPEED_HEADER, rows)}`;
}

export const SPEED_CAPTION = (runs: number): string =>
  `Speed: median of ${runs} runs, whole-process wall time (startup included)`;

export const SPEED_HEADER = [
  "capture",
  "packets",
  "mean frame",
  "tcpdump -r -w /dev/null",
  "anomaly --read (detection on)",
  "time ratio",
  "anomaly wire rate",
  "anomaly peak RSS",
  "anomaly CPU (user + system)",
];

/** One capture's row of the speed table, and the alerts its median run started, by detector. */
export interface SpeedRow {
  cells: string[];
  alertStarts: Map<string, number>;
}

/** Times tcpdump and `anomaly --read` on `file`, `runs` times each, and makes its row. */
export async function speedRow(label: string, file: string, runs: number): Promise<SpeedRow> {
  const { packets, wireBytes } = await summarizePcap(file);
  const tcpdump = await median(runs, () => timed(["tcpdump", "-r", file, "-w", "/dev/null"]));
  const anomaly = await median(runs, async () => {
    // A log directory per run: its records say which alerts this run started.
    const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-speed-" });
    try {
      const run = await timed(anomalyCommand(["--read", file, "--log-dir", logDir]), {
        threadCpu: true,
      });
      return { ...run, alertStarts: alertStarts(await readRecords(logDir)) };
    } finally {
      await Deno.remove(logDir, { recursive: true }).catch(() => {});
    }
  });
  const cells = [
    label,
    fmt(packets),
    `${(wireBytes / packets).toFixed(0)} B`,
    `${mpps(packets, tcpdump.seconds)} (${tcpdump.seconds.toFixed(3)} s)`,
    `${mpps(packets, anomaly.seconds)} (${anomaly.seconds.toFixed(3)} s)`,
    `${(anomaly.seconds / tcpdump.seconds).toFixed(2)}x`,
    `${((wireBytes * 8) / anomaly.seconds / 1e9).toFixed(1)} Gbit/s`,
    `${anomaly.peakRssMiB.toFixed(0)} MiB`,
    describeRunCpu(anomaly.cpu, packets),
  ];
  return { cells, alertStarts: anomaly.alertStarts };
}

function alertStarts(records: AnyRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.event_type !== "alert" || r.detection?.state !== "start") continue;
    const name = String(r.detection.detector ?? r.alert?.signature ?? "?");
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      small: { type: "string", default: "1000000" },
      large: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
    },
  });
  const result = await speedBenchmark({
    small: Number(values.small),
    large: Number(values.large),
    runs: Number(values.runs),
  });
  console.log(`\nmachine: ${await machine()}\n\n${result}`);
}
