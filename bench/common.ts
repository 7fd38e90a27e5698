/**
 * @module common
 * What the benchmarks share: where things are, running `main.ts` under `/usr/bin/time` (wall
 * time and peak RSS) while sampling its RSS, reading the records it wrote, and formatting.
 */
import { RECORDS_FILE } from "../core/records/record_writer.ts";

export const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
export const DATA_DIR = `${ROOT}bench/data`;
export { RECORDS_FILE };

/** Wall time and memory of one process run. */
export interface Timing {
  seconds: number;
  /** Peak RSS (the kernel's maxrss, from /usr/bin/time -f %M). */
  peakRssMiB: number;
}

/** One RSS sample of a running process. */
export interface RssSample {
  /** Seconds since the process was started. */
  atS: number;
  rssMiB: number;
}

/** CPU seconds (user + system) of a whole run, and the share of its main and worker threads. */
export interface RunCpu {
  /** The whole process, from `time` (exact). */
  totalS: number;
  /** Read from /proc while it ran, so a thread's last few ms before it ended may be missing. */
  mainS: number;
  workerS: number;
}

export interface TimedRun extends Timing {
  /** VmRSS of the measured process every `sampleMs`, when asked for. */
  samples: RssSample[];
  /** With `threadCpu`: CPU seconds, whole and by thread. */
  cpu: RunCpu | null;
  stderr: string;
  /** The command's standard output, when asked for (else ""). */
  stdout: string;
}

export interface TimedOptions {
  /** Sample the process's VmRSS this often (0: not at all). */
  sampleMs?: number;
  cwd?: string;
  /** Keep the command's standard output (default: discarded). */
  stdout?: boolean;
  /** Read the CPU time of the process's threads while it runs (see RunCpu). */
  threadCpu?: boolean;
}

/**
 * Runs `cmd` under `/usr/bin/time -f %M` and returns its wall time and peak RSS; with
 * `sampleMs`, also VmRSS of the command itself (time's child) read from /proc every `sampleMs`.
 * Throws when the command fails.
 */
export async function timed(cmd: string[], options: TimedOptions = {}): Promise<TimedRun> {
  const rssFile = await Deno.makeTempFile({ prefix: "anomaly-bench-rss-" });
  try {
    const started = performance.now();
    const child = new Deno.Command("/usr/bin/time", {
      args: ["-f", "%M %U %S", "-o", rssFile, ...cmd],
      cwd: options.cwd ?? ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: options.stdout ? "piped" : "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const stdout = options.stdout ? new Response(child.stdout).text() : Promise.resolve("");
    const samples: RssSample[] = [];
    const threads = new Map<string, ThreadTime>();
    let done = false;
    const sampling = options.sampleMs
      ? sampleRss(child.pid, options.sampleMs, started, samples, () => done)
      : null;
    const threadSampling = options.threadCpu ? sampleThreads(child.pid, threads, () => done) : null;
    const status = await child.status;
    const seconds = (performance.now() - started) / 1000;
    done = true;
    await sampling;
    await threadSampling;
    if (!status.success) {
      throw new Error(`${cmd.join(" ")} exited with ${status.code}: ${await stderr}`);
    }
    const [rssKiB, userS, systemS] = (await Deno.readTextFile(rssFile)).trim().split("\n").at(-1)!
      .split(" ").map(Number) as [number, number, number];
    return {
      seconds,
      peakRssMiB: rssKiB / 1024,
      samples,
      cpu: options.threadCpu ? runCpu(userS + systemS, threads.values()) : null,
      stderr: await stderr,
      stdout: await stdout,
    };
  } finally {
    await Deno.remove(rssFile).catch(() => {});
  }
}

/** Samples VmRSS of `timePid`'s child (the measured command) until `stop()` says so. */
async function sampleRss(
  timePid: number,
  everyMs: number,
  startedMs: number,
  into: RssSample[],
  stop: () => boolean,
): Promise<void> {
  let pid: number | null = null;
  while (!stop()) {
    if (pid === null) {
      pid = childOf(timePid);
      // The first sample one interval in: at exec the process is only the bare binary.
      if (pid === null) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    const rssKiB = stop() ? null : vmRssKiB(pid);
    if (rssKiB !== null) {
      into.push({ atS: (performance.now() - startedMs) / 1000, rssMiB: rssKiB / 1024 });
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** One thread's name and CPU seconds, as last read. */
export interface ThreadTime {
  name: string;
  seconds: number;
  main: boolean;
}

/** Reads the threads of `timePid`'s child every few ms until `stop()`, keeping each one's last. */
async function sampleThreads(
  timePid: number,
  into: Map<string, ThreadTime>,
  stop: () => boolean,
): Promise<void> {
  while (!stop()) {
    const pid = childOf(timePid);
    if (pid !== null) {
      for (const [tid, time] of threadTimes(pid)) into.set(tid, time);
    }
    // The kernel counts in 10 ms ticks: reading more often only disturbs the run.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runCpu(totalS: number, threads: Iterable<ThreadTime>): RunCpu {
  let mainS = 0, workerS = 0;
  for (const t of threads) {
    if (t.main) mainS += t.seconds;
    else if (t.name.startsWith("worker")) workerS += t.seconds;
  }
  return { totalS, mainS, workerS };
}

/** The CPU a process used between two `threadTimes` readings of it. */
export function cpuBetween(
  before: Map<string, ThreadTime>,
  after: Map<string, ThreadTime>,
): RunCpu {
  const used = [...after].map(([tid, t]) => ({
    ...t,
    seconds: t.seconds - (before.get(tid)?.seconds ?? 0),
  }));
  return runCpu(used.reduce((sum, t) => sum + t.seconds, 0), used);
}

/** Clock ticks per second of /proc/<pid>/task/<tid>/stat times (Linux: 100). */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) of every thread of `pid`, by thread id. */
export function threadTimes(pid: number): Map<string, ThreadTime> {
  const out = new Map<string, ThreadTime>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`/proc/${pid}/task`)];
  } catch {
    return out; // the process is gone
  }
  for (const entry of entries) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/stat`);
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // Fields after the name start at 3 (state); utime and stime are fields 14 and 15.
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
      out.set(entry.name, { name, seconds, main: entry.name === String(pid) });
    } catch { /* the thread ended */ }
  }
  return out;
}

/** "total (main / worker / rest)" CPU seconds of a run, with µs per packet for the two threads. */
export function describeRunCpu(cpu: RunCpu | null, packets: number): string {
  if (cpu === null) return "?";
  const perPacket = (s: number) => `${((s * 1e6) / Math.max(1, packets)).toFixed(2)} µs/pkt`;
  const rest = Math.max(0, cpu.totalS - cpu.mainS - cpu.workerS);
  return `${cpu.totalS.toFixed(2)} s: main ${cpu.mainS.toFixed(2)} (${perPacket(cpu.mainS)}), ` +
    `worker ${cpu.workerS.toFixed(2)} (${perPacket(cpu.workerS)}), other threads ${
      rest.toFixed(2)
    }`;
}

function childOf(pid: number): number | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    return text === "" ? null : Number(text.split(" ")[0]);
  } catch {
    return null;
  }
}

/** VmRSS of a process in KiB, or null once it is gone. */
export function vmRssKiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The median run of `once` by wall time. */
export async function median<T extends { seconds: number }>(
  runs: number,
  once: () => Promise<T>,
): Promise<T> {
  const all: T[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  all.sort((a, b) => a.seconds - b.seconds);
  return all[Math.floor(all.length / 2)]!;
}

/** Runs a command with its output shown; throws when it fails. */
export async function runShown(cmd: string[]): Promise<void> {
  const status = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!status.success) throw new Error(`${cmd.join(" ")} failed with exit code ${status.code}`);
}

/** `deno run -A [denoFlags] main.ts --no-ui ...args`, as an argv. */
export function anomalyCommand(args: string[], denoFlags: string[] = []): string[] {
  return [Deno.execPath(), "run", "-A", ...denoFlags, `${ROOT}main.ts`, "--no-ui", ...args];
}

/** A record as parsed from JSON (the benchmarks read a few fields of it). */
// deno-lint-ignore no-explicit-any
export type AnyRecord = Record<string, any>;

/** Every record of a run's records file. */
export async function readRecords(logDir: string): Promise<AnyRecord[]> {
  const text = await Deno.readTextFile(`${logDir}/${RECORDS_FILE}`);
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

/** The final stats record of a run; throws when the last record is not one. */
export function finalStats(records: AnyRecord[]): AnyRecord {
  const final = records.at(-1);
  if (final?.event_type !== "stats" || final.summary?.final !== true) {
    throw new Error("the last record is not the final stats record");
  }
  return final;
}

/** Tracker sizes and caps of a final stats record (summary.trackers). */
export type { TrackerStats } from "../core/detect/tracking/keyed_state.ts";

/** A sparkline of `values` scaled from 0 to `top` (so a flat line stays flat). */
export function sparkline(values: number[], top = Math.max(...values)): string {
  const bars = "▁▂▃▄▅▆▇█";
  return values.map((v) => bars[Math.min(7, Math.max(0, Math.round((v / top) * 7)))]).join("");
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}

export function mpps(packets: number, seconds: number): string {
  return `${(packets / seconds / 1e6).toFixed(2)} M pkt/s`;
}

/** One line saying what the figures were measured on. */
export async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  const memKiB = Number(
    (await Deno.readTextFile("/proc/meminfo")).match(/MemTotal:\s*(\d+)/)?.[1] ?? 0,
  );
  const kernel = (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim();
  return `${cpu.trim()}, ${navigator.hardwareConcurrency} cores, ` +
    `${(memKiB / 1024 / 1024).toFixed(0)} GiB, Linux ${kernel}, Deno ${Deno.version.deno}`;
}

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
