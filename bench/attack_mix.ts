/**
 * @module attack_mix
 * The attack-mix capture: real scanners and flooders mixed with ordinary traffic, recorded in
 * network namespaces, for the benchmark's "Under attack" figures.
 *
 *   deno run -A bench/attack_mix.ts [--packets 1000000] [--gap 5]
 *
 * In namespace A, while tcpdump records A's end of the link and ordinary traffic runs all along
 * in the background (IPv4 and IPv6 pings, curl to a python http.server, DNS-like UDP questions
 * and answers to port 53), A attacks B in turn: `nmap -sS -p-`, `nmap -sU` over 2 000 ports,
 * `nmap -6 -sS` over 20 000 ports, hping3 SYN floods toward port 31337 from 10 forged sources,
 * an hping3 UDP flood to a closed port (every datagram answered by an ICMP error) and an hping3
 * SYN flood from random sources. Every tool is bounded in packets and in time (about 40 s in
 * all). That base capture (about 350 000 packets) is then written again and again, each copy
 * --gap seconds of packet time after the last with its hosts renumbered (bench/long_run.ts's
 * repeatCapture), up to --packets packets, into bench/data/attack-mix-N.pcap. An existing file
 * is reused. Needs root and the tools below.
 */
import { parseArgs } from "node:util";
import { canUseNamespaces, TestNetwork } from "../testing/netns.ts";
import { startTcpdump, summarizePcap } from "../testing/tcpdump.ts";
import { runScenario } from "../testing/traffic.ts";
import { DATA_DIR, fmt } from "./common.ts";
import { repeatCapture } from "./long_run.ts";

const TOOLS = ["ip", "ethtool", "timeout", "tcpdump", "hping3", "nmap", "ping", "curl", "python3"];
/** Forged sources of the SYN flood toward an unusual port (TEST-NET-3: B has no route back). */
const FLOOD_SOURCES = Array.from({ length: 10 }, (_, i) => `203.0.113.${i + 1}`);
const UNUSUAL_PORT = 31337;
const CLOSED_UDP_PORT = 33333;
const DNS_PORT = 53;
/** The ordinary web server (runScenario starts its own on HTTP_PORT). */
const WEB_PORT = 80;

/** Where the attack mix of `packets` packets is kept. */
export function attackMixPath(packets: number): string {
  return `${DATA_DIR}/attack-mix-${packets}.pcap`;
}

/** Makes (or reuses) the attack mix of `packets` packets in bench/data/ and returns its path. */
export async function attackMixCapture(packets: number, gapS = 5): Promise<string> {
  const out = attackMixPath(packets);
  if (await Deno.stat(out).then(() => true, () => false)) return out;
  const unavailable = await canUseNamespaces(TOOLS);
  if (unavailable !== null) throw new Error(`cannot record the attack mix here: ${unavailable}`);
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const started = performance.now();
  await using net = await TestNetwork.create({ routed: true });
  const basePath = `${await net.makeTemporaryDirectory()}/attack-base.pcap`;
  await recordBase(net, basePath);
  const base = await summarizePcap(basePath);
  console.error(`attack mix: base capture of ${fmt(base.packets)} packets from real tools`);
  const made = await repeatCapture(basePath, out, { packets, gapS, varyHosts: true });
  const took = ((performance.now() - started) / 1000).toFixed(0);
  console.error(
    `attack mix: ${out}, ${fmt(made.packets)} packets in ${made.copies} copies; ${took} s`,
  );
  return out;
}

/** Records ordinary traffic with the attacks on A's end of the link. */
async function recordBase(net: TestNetwork, basePath: string): Promise<void> {
  // A large ring: the floods outrun tcpdump's writes for a moment.
  await using recording = await startTcpdump(net.a.ns, net.a.iface, basePath, {
    bufferKiB: 131072,
    timeoutS: 300,
  });
  await using _http = await net.startServer(net.b.ns, "http", WEB_PORT);
  await using _dns = await net.startServer(net.b.ns, "udp-echo", DNS_PORT);
  // Every datagram to a closed port answered: B's ICMP errors are not rate-limited (per
  // destination, nor the 1 000/s for all), so the UDP scan and flood see their replies.
  await net.exec(net.b.ns, [
    "sysctl",
    "-qw",
    "net.ipv4.icmp_ratelimit=0",
    "net.ipv4.icmp_msgs_per_sec=1000000",
    "net.ipv4.icmp_msgs_burst=1000000",
  ]);
  const background = startOrdinaryTraffic(net);
  try {
    await runScenario(net, "mixed");
    await attack(net);
  } finally {
    for (const process of background) await process.stop();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stats = await recording.stop();
  console.error(
    `attack mix: tcpdump captured ${fmt(stats.captured)}, dropped ${fmt(stats.droppedByKernel)}`,
  );
}

/** The attacks, one after the other, each bounded in packets and time. */
async function attack(net: TestNetwork): Promise<void> {
  const b4 = net.b.ipv4;
  const nmap = ["nmap", "-n", "-T4", "--max-retries", "1", "--host-timeout", "60s"];
  await net.exec(net.a.ns, [...nmap, "-sS", "-p-", "--min-rate", "20000", b4], { timeoutS: 90 });
  await net.exec(net.a.ns, [...nmap, "-sU", "-p", "1-2000", "--min-rate", "5000", b4], {
    timeoutS: 90,
  });
  await net.exec(
    net.a.ns,
    [...nmap, "-6", "-sS", "-p", "1-20000", "--min-rate", "20000", net.b.ipv6],
    { timeoutS: 90 },
  );
  for (const source of FLOOD_SOURCES) {
    await hping3(net, [
      "-S",
      "-p",
      String(UNUSUAL_PORT),
      "-a",
      source,
      "-c",
      "3000",
      "-i",
      "u50",
      b4,
    ]);
  }
  await hping3(net, ["--udp", "-p", String(CLOSED_UDP_PORT), "-c", "20000", "-i", "u20", b4]);
  await hping3(net, ["-S", "-p", "80", "--rand-source", "-c", "100000", "-i", "u10", b4]);
}

async function hping3(net: TestNetwork, args: string[]): Promise<void> {
  // hping3 exits with 1 when nothing answered (forged sources): expected, not a failure.
  const result = await net.exec(net.a.ns, ["hping3", "-q", ...args], {
    timeoutS: 60,
    allowFailure: true,
  });
  if (!/packets transmitted/.test(result.stdout + result.stderr)) {
    throw new Error(`hping3 ${args.join(" ")} failed: ${result.stderr}`);
  }
}

/** Python: a DNS-like question to HOST:PORT every 5 ms, each waiting for its answer. */
const DNS_LIKE_CLIENT = `
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
while True:
    s.sendto(os.urandom(2) + b"\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01", (sys.argv[1], int(sys.argv[2])))
    try:
        s.recvfrom(512)
    except socket.timeout:
        pass
    time.sleep(0.005)
`;

/** Pings, web requests and DNS-like questions from A to B while the attacks run. */
function startOrdinaryTraffic(net: TestNetwork) {
  const url = `http://${net.b.ipv4}:${WEB_PORT}/`;
  const curl = `curl --noproxy '*' -sS -o /dev/null --max-time 2 ${url}`;
  return [
    net.spawn(net.a.ns, ["ping", "-q", "-i", "0.01", net.b.ipv4], { timeoutS: 300 }),
    net.spawn(net.a.ns, ["ping", "-q", "-i", "0.02", net.b.ipv6], { timeoutS: 300 }),
    net.spawn(net.a.ns, ["sh", "-c", `while :; do ${curl}; sleep 0.05; done`], { timeoutS: 300 }),
    net.spawn(
      net.a.ns,
      ["python3", "-c", DNS_LIKE_CLIENT, net.b.ipv4, String(DNS_PORT)],
      { timeoutS: 300 },
    ),
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "1000000" },
      gap: { type: "string", default: "5" },
    },
  });
  const file = await attackMixCapture(Number(values.packets), Number(values.gap));
  const summary = await summarizePcap(file);
  console.log(`${file}: ${fmt(summary.packets)} packets, ${fmt(summary.wireBytes)} bytes`);
}
