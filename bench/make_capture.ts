/**
 * @module make_capture
 * Makes a benchmark capture from real tools in network namespaces:
 *
 *   deno run -A bench/make_capture.ts OUT.pcap [--packets 1000000] [--kind small|large]
 *
 * First a base capture is recorded in namespace A while real tools send to B (hping3 bursts,
 * nmap scans, pings, HTTP, UDP; for "large" mostly a bulk HTTP download and full-size pings).
 * If that is short of --packets, it is replayed with tcpreplay (at top speed for "small") out of
 * A's end of the link while tcpdump in B records exactly --packets packets. An existing OUT with enough packets
 * of the right kind is reused. Needs root (see tests/support/netns.ts).
 */

import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { canUseNamespaces, TestNetwork } from "../testing/netns.ts";
import {
  type PcapSummary,
  startTcpdump,
  summarizePcap,
  type TcpdumpStats,
} from "../testing/tcpdump.ts";
import {
  HTTP_PORT,
  httpGetStatus,
  runScenario,
  UDP_ECHO_PORT,
  udpSenderCommand,
} from "../testing/traffic.ts";

type Kind = "small" | "large";

/** Mean frame size that tells the kinds apart when deciding whether to reuse a file. */
const LARGE_MEAN_BYTES = 900;
const SMALL_MEAN_BYTES = 400;
const BULK_FILE_MIB = 64;
const REPLAY_TIMEOUT_S = 300;
const MAX_REPLAY_ROUNDS = 3;
/**
 * Small frames go at top speed (about 1 M/s here, no drops). Full-size frames at top speed
 * outrun tcpdump's disk writes and most would be dropped, leaving holes in every TCP stream.
 */
const REPLAY_RATE: Record<Kind, string[]> = {
  small: ["--topspeed"],
  large: ["--mbps=2000"],
};

interface Request {
  outPath: string;
  packets: number;
  kind: Kind;
}

async function main(): Promise<void> {
  const request = parseRequest(Deno.args);
  const started = performance.now();
  const existing = await reusableCapture(request);
  if (existing) {
    report("reused", request.outPath, existing, started);
    return;
  }
  const skipReason = await canUseNamespaces(REQUIRED_FOR_CAPTURE);
  if (skipReason) throw new Error(`cannot make a capture here: ${skipReason}`);
  await Deno.mkdir(dirname(request.outPath), { recursive: true });
  // Written beside OUT and renamed at the end, so an interrupted run never leaves a short OUT.
  const partialPath = `${request.outPath}.partial`;
  try {
    await makeCapture(request, partialPath);
    await Deno.rename(partialPath, request.outPath);
  } finally {
    await Deno.remove(partialPath).catch(() => {});
  }
  report("made", request.outPath, await summarizePcap(request.outPath), started);
}

async function makeCapture(request: Request, outPath: string): Promise<void> {
  await using net = await TestNetwork.create({ routed: true });
  const basePath = `${await net.makeTemporaryDirectory()}/base.pcap`;
  const base = await recordBase(net, request.kind, basePath);
  console.log(`base capture: ${base.packets} packets from real tools`);
  if (base.packets >= request.packets) {
    await copyFirstPackets(basePath, outPath, request.packets);
  } else {
    await replayUntil(net, basePath, base.packets, outPath, request.packets, request.kind);
  }
}

const REQUIRED_FOR_CAPTURE = [
  "ip",
  "ethtool",
  "timeout",
  "tcpdump",
  "tcpreplay",
  "hping3",
  "nmap",
  "ping",
  "curl",
  "python3",
] as const;

function parseRequest(args: string[]): Request {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      packets: { type: "string", default: "1000000" },
      kind: { type: "string", default: "small" },
    },
  });
  const packets = Number(values.packets);
  const kind = values.kind;
  if (positionals.length !== 1 || !Number.isInteger(packets) || packets < 1) {
    throw new Error("usage: make_capture.ts OUT.pcap [--packets N] [--kind small|large]");
  }
  if (kind !== "small" && kind !== "large") throw new Error(`--kind small|large, not ${kind}`);
  return { outPath: positionals[0], packets, kind };
}

/** The existing file, when it is a whole capture with enough packets of the asked kind. */
async function reusableCapture(request: Request): Promise<PcapSummary | null> {
  let summary;
  try {
    summary = await summarizePcap(request.outPath);
  } catch {
    return null; // missing, or cut short by an interrupted run
  }
  const meanBytes = summary.wireBytes / Math.max(1, summary.packets);
  const kindMatches = request.kind === "large"
    ? meanBytes >= LARGE_MEAN_BYTES
    : meanBytes <= SMALL_MEAN_BYTES;
  return summary.packets >= request.packets && kindMatches ? summary : null;
}

/** Records the tools' traffic on A's end of the link. */
async function recordBase(net: TestNetwork, kind: Kind, basePath: string): Promise<PcapSummary> {
  // A large ring: the bulk download and hping3 bursts outrun tcpdump's writes for a moment.
  await using recording = await startTcpdump(net.a.ns, net.a.iface, basePath, {
    bufferKiB: 65536,
  });
  if (kind === "small") await sendSmallPackets(net);
  else await sendLargePackets(net, await net.makeTemporaryDirectory());
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stats = await recording.stop();
  if (stats.droppedByKernel > 0) console.log(`base capture: ${describeStats(stats)}`);
  return await summarizePcap(basePath);
}

/** Scans, floods and ordinary traffic: mostly frames under 100 bytes. */
async function sendSmallPackets(net: TestNetwork): Promise<void> {
  const b4 = net.b.ipv4;
  await runScenario(net, "mixed");
  await hping3(net, ["-S", "-p", "80", "-c", "3000", "-i", "u100", b4]);
  await hping3(net, ["-S", "-p", "443", "--rand-source", "-c", "3000", "-i", "u100", b4]);
  await hping3(net, ["--udp", "-p", "53", "-c", "2000", "-i", "u100", b4]);
  await hping3(net, ["--icmp", "-c", "2000", "-i", "u100", b4]);
  await net.exec(net.a.ns, ["ping", "-q", "-c", "1000", "-i", "0.001", net.b.ipv6], {
    timeoutS: 30,
  });
  await nmap(net, ["-sS", "-T4", "-p", "1-2000", b4]);
  await nmap(net, ["-sT", "-T4", "-p", "1-500", b4]);
  await nmap(net, ["-6", "-sS", "-T4", "-p", "1-500", net.b.ipv6]);
  await nmap(net, ["-sU", "-T4", "-p", "1-100", b4]);
  await using _echo = await net.startServer(net.b.ns, "udp-echo", UDP_ECHO_PORT);
  await net.exec(net.a.ns, udpSenderCommand(b4, UDP_ECHO_PORT, 500), { timeoutS: 30 });
}

/** A bulk HTTP download and full-size pings and datagrams: mostly 1514-byte frames. */
async function sendLargePackets(net: TestNetwork, webRoot: string): Promise<void> {
  const fileName = "bulk.bin";
  await writeBulkFile(`${webRoot}/${fileName}`, BULK_FILE_MIB);
  await using _http = await net.startServer(net.b.ns, "http", HTTP_PORT, { directory: webRoot });
  await using _echo = await net.startServer(net.b.ns, "udp-echo", UDP_ECHO_PORT);
  for (let download = 0; download < 2; download++) {
    await httpGetStatus(net, net.a.ns, `http://${net.b.ipv4}:${HTTP_PORT}/${fileName}`, 60);
  }
  const fullSize = ["-s", "1472", "-q", "-c", "1000", "-i", "0.001"];
  await net.exec(net.a.ns, ["ping", ...fullSize, net.b.ipv4], { timeoutS: 30 });
  await net.exec(net.a.ns, udpSenderCommand(net.b.ipv4, UDP_ECHO_PORT, 2000, 1472), {
    timeoutS: 60,
  });
}

/**
 * Replays the base capture out of A's end of the link while tcpdump in B records `packets`.
 * B gets a new MAC address first, so its kernel ignores the replayed frames (they are addressed
 * to the old one) instead of answering them: what B records is the replay, not a conversation.
 */
async function replayUntil(
  net: TestNetwork,
  basePath: string,
  basePackets: number,
  outPath: string,
  packets: number,
  kind: Kind,
): Promise<void> {
  const newMac = ["ip", "link", "set", "dev", net.b.iface, "address", "02:00:00:0b:0b:0b"];
  await net.exec(net.b.ns, newMac);
  await using recording = await startTcpdump(net.b.ns, net.b.iface, outPath, {
    count: packets,
    bufferKiB: 65536,
    immediate: false,
    timeoutS: REPLAY_TIMEOUT_S + 30,
  });
  const droppedBefore = await linkDrops(net);
  // Replayed packets can be lost before tcpdump sees them, so ask for a third more.
  const loops = Math.ceil((packets * 4 / 3) / basePackets);
  const recorded = recording.finished();
  for (let round = 0; round < MAX_REPLAY_ROUNDS && !recording.hasExited; round++) {
    await replayOnce(net, basePath, loops, REPLAY_RATE[kind], recorded);
  }
  if (!recording.hasExited) throw new Error(`replay fell short of ${packets} packets`);
  const droppedOnLink = await linkDrops(net) - droppedBefore;
  console.log(`replay: ${describeStats(await recorded)}, ${droppedOnLink} dropped by the veth`);
}

async function replayOnce(
  net: TestNetwork,
  basePath: string,
  loops: number,
  rate: string[],
  recorded: Promise<TcpdumpStats>,
): Promise<void> {
  const tcpreplay = net.spawn(net.a.ns, [
    "tcpreplay",
    "-q",
    "--preload-pcap",
    ...rate,
    `--loop=${loops}`,
    `--intf1=${net.a.iface}`,
    basePath,
  ], { timeoutS: REPLAY_TIMEOUT_S });
  try {
    await Promise.race([recorded, tcpreplay.finished]);
  } finally {
    await tcpreplay.stop("SIGINT");
  }
}

/** Frames the veth pair dropped before tcpdump could see them (its backlog was full). */
async function linkDrops(net: TestNetwork): Promise<number> {
  let dropped = 0;
  for (const host of [net.a, net.b]) {
    const show = ["ip", "-s", "-j", "link", "show", "dev", host.iface];
    const { stdout } = await net.exec(host.ns, show);
    const [link] = JSON.parse(stdout) as LinkStatistics[];
    dropped += link.stats64.rx.dropped + link.stats64.tx.dropped;
  }
  return dropped;
}

interface LinkStatistics {
  stats64: { rx: { dropped: number }; tx: { dropped: number } };
}

async function hping3(net: TestNetwork, args: string[]): Promise<void> {
  // hping3 exits with 1 when nothing answered (--rand-source): that is expected, not a failure.
  const result = await net.exec(net.a.ns, ["hping3", "-q", ...args], {
    timeoutS: 30,
    allowFailure: true,
  });
  if (!/packets transmitted/.test(result.stdout + result.stderr)) {
    throw new Error(`hping3 ${args.join(" ")} failed: ${result.stderr}`);
  }
}

async function nmap(net: TestNetwork, args: string[]): Promise<void> {
  await net.exec(
    net.a.ns,
    ["nmap", "-n", "--max-retries", "1", "--host-timeout", "30s", ...args],
    { timeoutS: 60 },
  );
}

async function writeBulkFile(path: string, mebibytes: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = crypto.getRandomValues(new Uint8Array(65536));
  for (let written = 0; written < mebibytes * 16; written++) await file.write(block);
}

async function copyFirstPackets(fromPath: string, toPath: string, packets: number): Promise<void> {
  const output = await new Deno.Command("tcpdump", {
    args: ["-r", fromPath, "-w", toPath, "-c", String(packets), "-Z", "root"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

function describeStats(stats: TcpdumpStats): string {
  return `${stats.captured} captured, ${stats.receivedByFilter} seen by tcpdump's filter, ` +
    `${stats.droppedByKernel} dropped by the kernel`;
}

function report(verb: string, path: string, summary: PcapSummary, startedMs: number): void {
  const megabytes = summary.wireBytes / 1e6;
  const mean = summary.wireBytes / Math.max(1, summary.packets);
  const span = summary.lastSeconds - summary.firstSeconds;
  const took = ((performance.now() - startedMs) / 1000).toFixed(1);
  const size = `${megabytes.toFixed(1)} MB on the wire (mean ${mean.toFixed(0)} B)`;
  console.log(
    `${verb} ${path}: ${summary.packets} packets, ${size}, ` +
      `${span.toFixed(2)} s of capture time; took ${took} s`,
  );
}

if (import.meta.main) await main();
