/**
 * @module live
 * Live capture at the most this machine can send: are packets lost, and where?
 *
 *   deno run -A bench/live.ts [--packets 1000000] [--replays 4] [--loops 1] [--buffer-mib N]
 *                             [--nice 0,-10]
 *
 * In a fresh TestNetwork (IPv6 off, so the link carries nothing of its own), Anomaly captures
 * live with detection on (`main.ts --no-ui -i <B's end>`, run inside namespace B), while
 * --replays copies of `tcpreplay --topspeed --preload-pcap` send the small-packet capture from
 * real tools (bench/make_capture.ts, --packets packets, --loops times each) out of A's end at
 * once. B's addresses and MAC differ from the recorded ones, so B's kernel answers nothing: the
 * link carries exactly the replays. One second after the last replay ends Anomaly is stopped
 * with SIGINT and its final stats record read. Printed: packets sent and offered packets/s
 * (sent / wall time of the replays), packets the veth itself dropped before any capture could
 * see them, what Anomaly captured (stats.decoder.pkts), the kernel counters
 * (stats.capture.kernel_packets, kernel_drops, kernel_ifdrops), and where Anomaly's CPU time
 * went (its main thread, the capture worker, the rest) during the run.
 *
 * One run per --nice value, each a column: Anomaly started as is (0) and under `nice -n N`. The
 * senders spin on the same cores as Anomaly, so at the default priority its main thread gets
 * too small a share, the worker waits for acks (MAX_IN_FLIGHT_LIVE) and the kernel ring fills;
 * the second column shows the same load with Anomaly ahead of the senders.
 */
import { parseArgs } from "node:util";
import { canUseNamespaces, type CommandResult, TestNetwork } from "../testing/netns.ts";
import {
  cpuBetween,
  describeRunCpu,
  finalStats,
  fmt,
  machine,
  readRecords,
  ROOT,
  table,
  threadTimes,
  vmRssKiB,
} from "./common.ts";
import { benchCapture } from "./speed.ts";

export interface LiveOptions {
  /** Packets of the small capture that is replayed. */
  packets: number;
  /** tcpreplay processes sending at once. */
  replays: number;
  /** Times each replay sends the capture. */
  loops: number;
  /** capture.buffer_mib for Anomaly (undefined: its default). */
  bufferMib?: number;
  /**
   * Runs to make, one per nice value Anomaly is started with (`nice -n N`): 0 is the default
   * priority; a negative value shows what a higher one changes against the local senders.
   */
  nice: number[];
  /** Send at this fixed rate per replay (`tcpreplay --pps`) instead of --topspeed. */
  pps?: number;
  /** Replay this capture instead of the small capture from real tools. */
  file?: string;
}

const TOOLS = ["ip", "ethtool", "timeout", "tcpreplay", "sysctl"] as const;

/** The live table (a column per nice value), as markdown, and the kernel drops of each run. */
export async function liveBenchmark(
  options: LiveOptions,
): Promise<{ markdown: string; drops: number[] }> {
  const unavailable = await canUseNamespaces(TOOLS);
  if (unavailable !== null) throw new Error(`cannot run the live benchmark here: ${unavailable}`);
  const file = options.file ?? await benchCapture("small", options.packets);
  const runs: LiveRun[] = [];
  for (const nice of options.nice) runs.push(await liveRun(file, options, nice));
  const rows = runs[0]!.rows.map(([what], i) => [what, ...runs.map((run) => run.rows[i]![1])]);
  const buffer = options.bufferMib === undefined ? "default" : `${options.bufferMib} MiB`;
  const loops = options.loops > 1 ? ` x ${options.loops} loops` : "";
  const markdown = `Live capture with detection on: ${options.replays} x ` +
    `\`tcpreplay ${options.pps ? `--pps ${options.pps}` : "--topspeed"}\` of ` +
    (options.file?.split("/").at(-1) ??
      `${fmt(options.packets)} packets (small capture from real tools)`) +
    `${loops} at once onto a veth, Anomaly capturing on its other end (capture.buffer_mib ` +
    `${buffer}); senders and Anomaly share this machine's cores\n\n` +
    table(["live replay", ...runs.map((run) => run.title)], rows);
  return { markdown, drops: runs.map((run) => run.drops) };
}

interface LiveRun {
  title: string;
  rows: [string, string][];
  drops: number;
}

async function liveRun(file: string, options: LiveOptions, nice: number): Promise<LiveRun> {
  await using net = await TestNetwork.create();
  for (const ns of net.namespaces) {
    await net.exec(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
  }
  const logDir = await net.makeTemporaryDirectory();
  const args = ["--no-ui", "-i", net.b.iface, "--log-dir", logDir];
  if (options.bufferMib !== undefined) {
    const config = `${logDir}/bench-config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ capture: { buffer_mib: options.bufferMib } }),
    );
    args.push("--config", config);
  }
  const anomaly = net.spawn(net.b.ns, [
    "env",
    "-C",
    ROOT,
    "NO_COLOR=1",
    ...(nice === 0 ? [] : ["nice", "-n", String(nice)]),
    Deno.execPath(),
    "run",
    "-A",
    "main.ts",
    ...args,
  ], { timeoutS: 600 });
  await anomaly.waitForLine(/Capturing from/, 30_000);
  const pid = denoPid(anomaly.pid);
  await sleep(500); // the worker is in its read loop
  const cpuBefore = pid === null ? null : threadTimes(pid);
  const rssBefore = pid === null ? null : vmRssKiB(pid);
  const linkDropsBefore = await linkDrops(net);

  const replays = Array.from({ length: options.replays }, () =>
    net.exec(net.a.ns, [
      "tcpreplay",
      options.pps ? `--pps=${options.pps}` : "--topspeed",
      "--preload-pcap",
      `--loop=${options.loops}`,
      `--intf1=${net.a.iface}`,
      file,
    ], { timeoutS: 300 }));
  const results = await Promise.all(replays);
  const sent = results.map(parseTcpreplay);
  const linkDropped = (await linkDrops(net)) - linkDropsBefore;
  await sleep(1000); // the last packets reach the worker and the engine
  const cpuAfter = pid === null ? null : threadTimes(pid);
  const rssAfter = pid === null ? null : vmRssKiB(pid);
  const status = await anomaly.stop("SIGINT", 30_000);
  if (!status.success) {
    throw new Error(`main.ts exited with ${status.code} after SIGINT:\n${anomaly.recentOutput}`);
  }
  const final = finalStats(await readRecords(logDir));
  const capture = final.stats.capture ?? {};
  const captured: number = final.stats.decoder.pkts;
  const packetsSent = sent.reduce((sum, s) => sum + s.packets, 0);
  // The replays overlap: the offered rate is all they sent over the longest one's send time.
  const sendS = Math.max(...sent.map((s) => s.seconds));
  const delivered = packetsSent - linkDropped;
  const drops: number = capture.kernel_drops ?? 0;
  const rows: [string, string][] = [
    ["packets sent", `${fmt(packetsSent)} in ${sendS.toFixed(2)} s`],
    ["offered packets/s", fmt(packetsSent / sendS)],
    ["dropped by the veth before capture", fmt(linkDropped)],
    [
      "captured (stats.decoder.pkts)",
      `${fmt(captured)} (${((100 * captured) / Math.max(1, delivered)).toFixed(2)} %)`,
    ],
    ["kernel_packets", fmt(capture.kernel_packets ?? 0)],
    ["kernel_drops", fmt(drops)],
    ["kernel_ifdrops", fmt(capture.kernel_ifdrops ?? 0)],
    [
      "Anomaly CPU (user + system)",
      describeRunCpu(cpuBefore && cpuAfter && cpuBetween(cpuBefore, cpuAfter), captured),
    ],
    [
      "Anomaly RSS before / after",
      rssBefore !== null && rssAfter !== null
        ? `${(rssBefore / 1024).toFixed(0)} / ${(rssAfter / 1024).toFixed(0)} MiB`
        : "?",
    ],
  ];
  return {
    title: nice === 0
      ? "Anomaly as started (default capture.nice -10 on all its threads)"
      : `Anomaly under nice -n ${nice}`,
    rows,
    drops,
  };
}

interface Sent {
  packets: number;
  seconds: number;
  pps: number;
}

/** tcpreplay's "Actual: N packets (B bytes) sent in S seconds" and "Rated: ... P pps". */
function parseTcpreplay(result: CommandResult): Sent {
  const actual = /Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(result.stdout);
  const rated = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(result.stdout);
  if (!actual || !rated) throw new Error(`tcpreplay printed no statistics:\n${result.stdout}`);
  return { packets: Number(actual[1]), seconds: Number(actual[2]), pps: Number(rated[1]) };
}

/** The deno process: `ip netns exec` execs `timeout`, whose child is `env`, which execs deno. */
function denoPid(spawnedPid: number): number | null {
  try {
    const children = Deno.readTextFileSync(`/proc/${spawnedPid}/task/${spawnedPid}/children`);
    const pid = Number(children.trim().split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Frames the veth pair dropped (its peer's backlog was full) on both ends. */
async function linkDrops(net: TestNetwork): Promise<number> {
  let dropped = 0;
  for (const host of [net.a, net.b]) {
    const { stdout } = await net.exec(host.ns, [
      "ip",
      "-s",
      "-j",
      "link",
      "show",
      "dev",
      host.iface,
    ]);
    const [link] = JSON.parse(stdout) as {
      stats64: { rx: { dropped: number }; tx: { dropped: number } };
    }[];
    dropped += link!.stats64.rx.dropped + link!.stats64.tx.dropped;
  }
  return dropped;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "1000000" },
      replays: { type: "string", default: "4" },
      loops: { type: "string", default: "1" },
      "buffer-mib": { type: "string" },
      nice: { type: "string", default: "0,-10" },
      pps: { type: "string" },
      file: { type: "string" },
    },
  });
  const result = await liveBenchmark({
    packets: Number(values.packets),
    replays: Number(values.replays),
    loops: Number(values.loops),
    bufferMib: values["buffer-mib"] === undefined ? undefined : Number(values["buffer-mib"]),
    nice: values.nice.split(",").map(Number),
    pps: values.pps === undefined ? undefined : Number(values.pps),
    file: values.file,
  });
  console.log(`\nmachine: ${await machine()}\n\n${result.markdown}`);
}
