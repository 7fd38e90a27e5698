/**
 * @module traffic
 * Named, bounded traffic scenarios sent by real tools from namespace A to B (and to C when the
 * network has a routed subnet), recorded with tcpdump on A's end of the link. Each scenario
 * also says what the capture must contain by construction, as BPF filters with counts, so a
 * test can check tcpdump's counts and then Anomaly's against them.
 */

import type { Host, TestNetwork } from "./netns.ts";
import { countWithFilter, startTcpdump, type TcpdumpStats } from "./tcpdump.ts";

export const HTTP_PORT = 8080;
export const UDP_ECHO_PORT = 9999;
export const PINGS = 10;
export const HTTP_REQUESTS = 5;
export const UDP_DATAGRAMS = 20;
export const SYN_SCAN_PORTS = 200;

export const SCENARIOS = ["ping", "ping6", "http", "udp", "nmap-sS", "nmap-sn", "mixed"] as const;
export type ScenarioName = typeof SCENARIOS[number];
type SingleScenario = Exclude<ScenarioName, "mixed">;

/** Something the capture must contain: packets matching `filter`, exactly or at least. */
export interface Expectation {
  readonly what: string;
  readonly filter: string;
  readonly exactly?: number;
  readonly atLeast?: number;
}

export interface ScenarioOutcome {
  readonly expectations: Expectation[];
  /** What the tools reported, e.g. `ping.received` or `nmap-sn.hostsUp`. */
  readonly facts: Record<string, number>;
}

export interface RecordedScenario extends ScenarioOutcome {
  readonly scenario: ScenarioName;
  readonly pcapPath: string;
  readonly seconds: number;
  readonly tcpdump: TcpdumpStats;
}

export interface ExpectationCheck {
  readonly expectation: Expectation;
  readonly counted: number;
  readonly met: boolean;
}

/**
 * Records `scenario` with tcpdump inside A on A's end of the A-B link. Servers the scenario
 * needs run in B for its duration only.
 */
export async function recordScenario(
  net: TestNetwork,
  scenario: ScenarioName,
  pcapPath: string,
): Promise<RecordedScenario> {
  const started = performance.now();
  await using recording = await startTcpdump(net.a.ns, net.a.iface, pcapPath);
  const outcome = await runScenario(net, scenario);
  // The last replies are on the wire once the tools exit; this leaves tcpdump time to write them.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const tcpdump = await recording.stop();
  if (tcpdump.captured !== tcpdump.receivedByFilter) {
    throw new Error(`tcpdump lost packets: ${JSON.stringify(tcpdump)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { scenario, pcapPath, seconds, tcpdump, ...outcome };
}

/** Sends a scenario's traffic without recording it. "mixed" runs every other scenario in turn. */
export async function runScenario(
  net: TestNetwork,
  scenario: ScenarioName,
): Promise<ScenarioOutcome> {
  const steps = stepsOf(net, scenario);
  await using _http = steps.includes("http")
    ? await net.startServer(net.b.ns, "http", HTTP_PORT)
    : null;
  await using _echo = steps.includes("udp")
    ? await net.startServer(net.b.ns, "udp-echo", UDP_ECHO_PORT)
    : null;
  const combined: ScenarioOutcome = { expectations: [], facts: {} };
  for (const step of steps) {
    const outcome = await SCENARIO_STEPS[step](net);
    combined.expectations.push(...outcome.expectations);
    Object.assign(combined.facts, outcome.facts);
  }
  return combined;
}

/** Counts each expectation's filter in the capture. */
export async function checkExpectations(
  pcapPath: string,
  expectations: readonly Expectation[],
): Promise<ExpectationCheck[]> {
  const checks = [];
  for (const expectation of expectations) {
    const counted = await countWithFilter(pcapPath, expectation.filter);
    const met = (expectation.exactly === undefined || counted === expectation.exactly) &&
      (expectation.atLeast === undefined || counted >= expectation.atLeast);
    checks.push({ expectation, counted, met });
  }
  return checks;
}

function stepsOf(net: TestNetwork, scenario: ScenarioName): SingleScenario[] {
  if (scenario !== "mixed") return [scenario];
  const steps: SingleScenario[] = ["ping", "ping6", "http", "udp", "nmap-sS"];
  return net.routed ? [...steps, "nmap-sn"] : steps;
}

const SCENARIO_STEPS: Record<SingleScenario, (net: TestNetwork) => Promise<ScenarioOutcome>> = {
  "ping": (net) => ping(net, "ipv4"),
  "ping6": (net) => ping(net, "ipv6"),
  "http": httpRequests,
  "udp": udpEchoes,
  "nmap-sS": synScan,
  "nmap-sn": routedPingScan,
};

async function ping(net: TestNetwork, family: "ipv4" | "ipv6"): Promise<ScenarioOutcome> {
  const name = family === "ipv4" ? "ping" : "ping6";
  const { stdout } = await net.exec(net.a.ns, [
    "ping",
    "-q",
    "-c",
    String(PINGS),
    "-i",
    "0.05",
    "-W",
    "1",
    net.b[family],
  ], { timeoutS: 10 });
  const [, sent, received] = /(\d+) packets transmitted, (\d+) received/.exec(stdout) ?? [];
  if (Number(received) !== PINGS) throw new Error(`${name}: ${received}/${sent} replies`);
  const [request, reply] = family === "ipv4"
    ? ["icmp[icmptype] == icmp-echo", "icmp[icmptype] == icmp-echoreply"]
    : ["icmp6 and ip6[40] == 128", "icmp6 and ip6[40] == 129"];
  return {
    facts: { [`${name}.sent`]: Number(sent), [`${name}.received`]: Number(received) },
    expectations: [
      {
        what: `${name} echo requests`,
        filter: `${request} and ${between(net.a, net.b, family)}`,
        exactly: PINGS,
      },
      {
        what: `${name} echo replies`,
        filter: `${reply} and ${between(net.b, net.a, family)}`,
        exactly: PINGS,
      },
    ],
  };
}

async function httpRequests(net: TestNetwork): Promise<ScenarioOutcome> {
  let ok = 0;
  // One curl per request, so that each request is its own TCP connection.
  for (let request = 0; request < HTTP_REQUESTS; request++) {
    if (await httpGetStatus(net, net.a.ns, `http://${net.b.ipv4}:${HTTP_PORT}/`) === "200") ok++;
  }
  if (ok !== HTTP_REQUESTS) throw new Error(`http: ${ok}/${HTTP_REQUESTS} requests answered 200`);
  const toServer = `tcp dst port ${HTTP_PORT} and ${between(net.a, net.b, "ipv4")}`;
  // The four bytes at the start of the TCP payload spell "GET ".
  const get = "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420";
  return {
    facts: { "http.ok": ok },
    expectations: [
      { what: "http connections", filter: `${toServer} and tcp[tcpflags] == tcp-syn`, exactly: ok },
      { what: "http GET requests", filter: `${toServer} and ${get}`, exactly: ok },
    ],
  };
}

async function udpEchoes(net: TestNetwork): Promise<ScenarioOutcome> {
  const sender = udpSenderCommand(net.b.ipv4, UDP_ECHO_PORT, UDP_DATAGRAMS);
  const { stdout } = await net.exec(net.a.ns, sender, { timeoutS: 30 });
  const echoed = Number(stdout.trim());
  if (echoed !== UDP_DATAGRAMS) throw new Error(`udp: ${echoed}/${UDP_DATAGRAMS} echoed`);
  return {
    facts: { "udp.sent": UDP_DATAGRAMS, "udp.echoed": echoed },
    expectations: [
      {
        what: "udp datagrams to the echo server",
        filter: `udp dst port ${UDP_ECHO_PORT} and ${between(net.a, net.b, "ipv4")}`,
        exactly: UDP_DATAGRAMS,
      },
      {
        what: "udp echoes",
        filter: `udp src port ${UDP_ECHO_PORT} and ${between(net.b, net.a, "ipv4")}`,
        exactly: echoed,
      },
    ],
  };
}

async function synScan(net: TestNetwork): Promise<ScenarioOutcome> {
  const { stdout } = await net.exec(net.a.ns, [
    "nmap",
    "-sS",
    "-n",
    "-p",
    `1-${SYN_SCAN_PORTS}`,
    "--max-retries",
    "1",
    "--host-timeout",
    "30s",
    net.b.ipv4,
  ], { timeoutS: 60 });
  const closed = Number(/(\d+) closed tcp ports/.exec(stdout)?.[1] ?? 0);
  const ports = `portrange 1-${SYN_SCAN_PORTS}`;
  return {
    facts: { "nmap-sS.closedPorts": closed },
    expectations: [
      {
        what: "nmap SYN probes",
        filter: `tcp[tcpflags] == tcp-syn and dst ${ports} and ${between(net.a, net.b, "ipv4")}`,
        atLeast: SYN_SCAN_PORTS,
      },
      {
        what: "resets from closed ports",
        filter: `tcp[tcpflags] & tcp-rst != 0 and src ${ports} and ${
          between(net.b, net.a, "ipv4")
        }`,
        atLeast: SYN_SCAN_PORTS,
      },
    ],
  };
}

async function routedPingScan(net: TestNetwork): Promise<ScenarioOutcome> {
  const routed = net.routed;
  if (!routed) throw new Error("nmap-sn needs TestNetwork.create({ routed: true })");
  const { stdout } = await net.exec(net.a.ns, [
    "nmap",
    "-sn",
    "-n",
    "-T4",
    "--max-retries",
    "1",
    "--host-timeout",
    "10s",
    routed.subnetV4,
  ], { timeoutS: 60 });
  const hostsUp = Number(/\((\d+) hosts? up\)/.exec(stdout)?.[1] ?? 0);
  const addresses = 32;
  return {
    facts: { "nmap-sn.hostsUp": hostsUp, "nmap-sn.addresses": addresses },
    expectations: [{
      what: "nmap echo probes into the routed /27",
      filter:
        `icmp[icmptype] == icmp-echo and src host ${net.a.ipv4} and dst net ${routed.subnetV4}`,
      atLeast: addresses,
    }],
  };
}

function between(source: Host, destination: Host, family: "ipv4" | "ipv6"): string {
  return `src host ${source[family]} and dst host ${destination[family]}`;
}

const UDP_SENDER = `
import socket, sys
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 32
sender = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
sender.settimeout(1.0)
echoed = 0
for index in range(count):
    sender.sendto((b"anomaly %d " % index).ljust(size, b"."), (host, port))
    try:
        sender.recvfrom(65535)
        echoed += 1
    except socket.timeout:
        pass
print(echoed)
`;

/** Python that sends `count` datagrams of `size` bytes and prints how many were echoed. */
export function udpSenderCommand(host: string, port: number, count: number, size = 32): string[] {
  return ["python3", "-c", UDP_SENDER, host, String(port), String(count), String(size)];
}

/**
 * One HTTP GET of `url` with curl from `ns` (no proxy, body discarded, at most `maxTimeS`);
 * resolves to the HTTP status code curl printed.
 */
export async function httpGetStatus(
  net: TestNetwork,
  ns: string,
  url: string,
  maxTimeS = 5,
): Promise<string> {
  const curl = ["curl", "--noproxy", "*", "-sS", "-o", "/dev/null", "-w", "%{http_code}"];
  const { stdout } = await net.exec(ns, [...curl, "--max-time", String(maxTimeS), url], {
    timeoutS: maxTimeS + 5,
  });
  return stdout;
}
