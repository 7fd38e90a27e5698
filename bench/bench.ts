/**
 * `deno task bench`: speed of `anomaly --read` against `tcpdump -r FILE -w /dev/null` on the
 * same capture, measured in the same run, printed as packets/s and as a ratio of times.
 *
 *   deno run -A bench/bench.ts [--packets 1000000] [--runs 3] [--kind small|large]
 *
 * The capture is made once from real tools in network namespaces (bench/make_capture.ts) and
 * reused from bench/data/ afterwards.
 */
import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url).pathname;

interface Timing {
  seconds: number;
  peakRssMiB: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
      kind: { type: "string", default: "small" },
    },
  });
  const packets = Number(values.packets), runs = Number(values.runs);
  const kinds = values.kind === "both" ? ["small", "large"] : [values.kind!];
  const rows: string[] = [];
  for (const kind of kinds) {
    const file = `${ROOT}bench/data/${kind}-${packets}.pcap`;
    await run([
      "deno",
      "run",
      "-A",
      `${ROOT}bench/make_capture.ts`,
      file,
      "--packets",
      String(packets),
      "--kind",
      kind,
    ]);
    const count = await countPackets(file);
    const tcpdump = await median(runs, () => timed(["tcpdump", "-r", file, "-w", "/dev/null"]));
    const logDir = await Deno.makeTempDir({ prefix: "anomaly-bench-" });
    const anomaly = await median(
      runs,
      () =>
        timed([
          "deno",
          "run",
          "-A",
          `${ROOT}main.ts`,
          "--no-ui",
          "--read",
          file,
          "--log-dir",
          logDir,
        ]),
    );
    await Deno.remove(logDir, { recursive: true });
    const bytes = (await Deno.stat(file)).size;
    rows.push(
      `| ${kind} | ${count.toLocaleString("en")} | ${(bytes / count).toFixed(0)} | ` +
        `${mpps(count, tcpdump)} | ${mpps(count, anomaly)} | ${
          (anomaly.seconds / tcpdump.seconds).toFixed(2)
        }x | ` +
        `${anomaly.peakRssMiB.toFixed(0)} MiB |`,
    );
  }
  console.log(`\nmachine: ${await machine()}; median of ${runs} runs, whole process wall time\n`);
  console.log(
    "| capture | packets | mean bytes | tcpdump -w /dev/null | anomaly --read | time ratio | anomaly peak RSS |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) console.log(row);
}

function mpps(count: number, timing: Timing): string {
  return `${(count / timing.seconds / 1e6).toFixed(2)} M pkt/s (${timing.seconds.toFixed(3)} s)`;
}

async function median(runs: number, once: () => Promise<Timing>): Promise<Timing> {
  const all: Timing[] = [];
  for (let i = 0; i < runs; i++) all.push(await once());
  all.sort((a, b) => a.seconds - b.seconds);
  return all[Math.floor(all.length / 2)]!;
}

/** Runs a command under /usr/bin/time to get its wall time and peak RSS. */
async function timed(cmd: string[]): Promise<Timing> {
  const rssFile = await Deno.makeTempFile();
  const start = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", rssFile, ...cmd],
    stdout: "null",
    stderr: "null",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  if (!out.success) throw new Error(`${cmd.join(" ")} failed with exit code ${out.code}`);
  const rssKiB = Number((await Deno.readTextFile(rssFile)).trim().split("\n").at(-1));
  await Deno.remove(rssFile);
  return { seconds, peakRssMiB: rssKiB / 1024 };
}

async function countPackets(file: string): Promise<number> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `tcpdump -r "$1" -nn -q 2>/dev/null | wc -l`, "_", file],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

async function run(cmd: string[]): Promise<void> {
  const status = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (!status.success) throw new Error(`${cmd.join(" ")} failed with exit code ${status.code}`);
}

async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  return `${cpu.trim()}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`;
}

if (import.meta.main) await main();
