/**
 * @module support
 * Helpers of the detection end-to-end tests: record what real tools send between the namespaces
 * of a TestNetwork with tcpdump, run `main.ts --read` on the recording as users do, and check the
 * alert records against what each scenario must (and may) raise.
 */
import assert from "node:assert/strict";
import type { DetectorName } from "../../core/detect/catalog.ts";
import { type BackgroundProcess, REQUIRED_TOOLS, type TestNetwork } from "../support/netns.ts";
import { loadEveValidator } from "../support/eve_schema.ts";
import { readWithMain, REPO_ROOT } from "../support/main_read.ts";
import { readRecords, type StatsRecord } from "../support/records.ts";
import { httpGetStatus } from "../support/traffic.ts";
import { startTcpdump, summarizePcap, type TcpdumpStats } from "../support/tcpdump.ts";

/** Tools these tests drive, on top of the TestNetwork's own. */
export const DETECTION_TOOLS = [...REQUIRED_TOOLS, "hping3", "tcpreplay"] as const;

/** The file Anomaly writes its records to, inside --log-dir. */
export { RECORDS_FILE } from "../../core/records/record_writer.ts";

/** An alert record as the tests read it. */
export interface AlertRecord {
  timestamp: string;
  event_type: "alert";
  src_ip?: string;
  dest_ip?: string;
  src_port?: number;
  dest_port?: number;
  proto?: string;
  alert: { signature: string; signature_id: number; severity: number; category: string };
  detection: {
    alert_id: string;
    detector: string;
    state: "start" | "update" | "end";
    /** The alert's sentence (alert.signature is the rule's fixed name). */
    message: string;
    count: number;
    observed: number;
    threshold: number;
    first_seen: string;
    last_seen: string;
  };
}

/** What one run of Anomaly over a file wrote. */
export interface AnalysisRun {
  file: string;
  records: Record<string, unknown>[];
  alerts: AlertRecord[];
  final: StatsRecord;
  /** The alert lines main.ts printed on stdout. */
  stdout: string;
}

/** One alert a scenario must raise: every field given must equal the record's. */
export interface AlertMatch {
  detector: DetectorName;
  src_ip?: string;
  dest_ip?: string;
  dest_port?: number;
  proto?: string;
  /** Must match `detection.message` (the alert's sentence). */
  message?: RegExp;
}

/** What a scenario's alerts are checked against. */
export interface AlertExpectation {
  /** Each must match at least one start record. */
  required: AlertMatch[];
  /** Detectors that may also start alerts (e.g. high_packet_rate beside a flood). */
  allowed?: DetectorName[];
  /** Start records that must not exist although their detector is required or allowed. */
  forbidden?: Partial<AlertMatch>[];
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Records with tcpdump on `iface` inside `ns` while `action` runs, and checks that tcpdump
 * neither lost nor was denied a packet. The ring is large: floods reach ~10k packets/s.
 */
export async function recordWhile<T>(
  where: { ns: string; iface: string },
  pcapPath: string,
  action: () => Promise<T>,
): Promise<{ result: T; tcpdump: TcpdumpStats; packets: number }> {
  const recording = await startTcpdump(where.ns, where.iface, pcapPath, {
    bufferKiB: 16384,
    timeoutS: 120,
  });
  let result: T;
  try {
    result = await action();
    // The last answers are on the wire once the tools exit; give tcpdump time to write them.
    await sleep(300);
  } catch (error) {
    await recording[Symbol.asyncDispose]();
    throw error;
  }
  const tcpdump = await recording.stop();
  assert.equal(tcpdump.droppedByKernel, 0, `tcpdump dropped packets: ${JSON.stringify(tcpdump)}`);
  assert.equal(tcpdump.captured, tcpdump.receivedByFilter, `tcpdump: ${JSON.stringify(tcpdump)}`);
  const { packets } = await summarizePcap(pcapPath);
  return { result, tcpdump, packets };
}

/** Runs main.ts on `file` as users do (see readWithMain) and reads every record it wrote. */
export async function analyseFile(
  file: string,
  logDir: string,
  config?: Record<string, unknown>,
): Promise<AnalysisRun> {
  const { stdout, recordsPath } = await readWithMain(file, logDir, config, 60_000);
  return readRun(file, recordsPath, stdout);
}

/** Reads a records file into an AnalysisRun; the last record must be the final stats record. */
export function readRun(file: string, recordsPath: string, stdout = ""): AnalysisRun {
  const records = readRecords(recordsPath);
  const final = records.at(-1) as unknown as StatsRecord | undefined;
  if (final?.event_type !== "stats" || final.summary?.final !== true) {
    throw new Error(`the last record of ${recordsPath} is not the final stats record`);
  }
  const alerts = records.filter((r) => r.event_type === "alert") as unknown as AlertRecord[];
  return { file, records, alerts, final, stdout };
}

/** Starts main.ts capturing live on `iface` inside `ns`; resolves once it captures. */
export async function startLiveAnomaly(
  net: TestNetwork,
  where: { ns: string; iface: string },
  logDir: string,
): Promise<BackgroundProcess> {
  const argv = [
    "env",
    "-C",
    REPO_ROOT,
    "NO_COLOR=1",
    Deno.execPath(),
    "run",
    "--allow-all",
    "main.ts",
    "--no-ui",
    "-i",
    where.iface,
    "--log-dir",
    logDir,
  ];
  const main = net.spawn(where.ns, argv, { timeoutS: 60 });
  await main.waitForLine(/Capturing from/, 20_000);
  return main;
}

/** One readable line per alert record, for failure messages. */
export function describeAlert(a: AlertRecord): string {
  const port = a.dest_port === undefined ? "" : `:${a.dest_port}`;
  const flow = `${a.src_ip ?? "*"} -> ${a.dest_ip ?? "*"}${port}${a.proto ? ` ${a.proto}` : ""}`;
  return `${a.detection.detector} ${a.detection.state} ${flow} "${a.detection.message}"`;
}

/** Every alert record of a run, one per line (or "(none)"). */
export function describeAlerts(run: AnalysisRun): string {
  if (run.alerts.length === 0) return "  (no alert records)";
  return run.alerts.map((a) => `  ${describeAlert(a)}`).join("\n");
}

/** The start records of a run. */
export function starts(run: AnalysisRun): AlertRecord[] {
  return run.alerts.filter((a) => a.detection.state === "start");
}

function matches(a: AlertRecord, m: Partial<AlertMatch>): boolean {
  if (m.detector !== undefined && a.detection.detector !== m.detector) return false;
  for (const key of ["src_ip", "dest_ip", "dest_port", "proto"] as const) {
    if (m[key] !== undefined && a[key] !== m[key]) return false;
  }
  return m.message === undefined || m.message.test(a.detection.message);
}

function describeMatch(m: Partial<AlertMatch>): string {
  return JSON.stringify({ ...m, message: m.message?.source });
}

const validateEve = loadEveValidator();

/**
 * Checks a run's alerts: each validates against tests/schema/anomaly-eve.schema.json,
 * every start ends exactly once, each required alert started, and nothing else started.
 */
/** One nmap run of a scan test: where its capture and logs go, what nmap and Anomaly must say. */
export interface NmapScan {
  directory: string;
  name: string;
  /** nmap's arguments after `-n --max-retries 1`. */
  argv: string[];
  /** What nmap's own report must match (the scan really ran). */
  report: RegExp;
  expected: AlertExpectation;
}

/** Records `nmap` run in A, checks nmap's own report, then Anomaly's alerts on the recording. */
export async function scanWithNmap(net: TestNetwork, scan: NmapScan): Promise<void> {
  const { directory, name, argv, report, expected } = scan;
  const pcap = `${directory}/${name}.pcap`;
  const { result } = await recordWhile(
    net.a,
    pcap,
    () => net.exec(net.a.ns, ["nmap", "-n", "--max-retries", "1", ...argv], { timeoutS: 30 }),
  );
  assert.match(result.stdout, report, `nmap's report:\n${result.stdout}`);
  checkAlerts(await analyseFile(pcap, `${directory}/log-${name}`), expected);
}

export function checkAlerts(run: AnalysisRun, expected: AlertExpectation): void {
  const context = `alert records of ${run.file}:\n${describeAlerts(run)}`;
  for (const alert of run.alerts) {
    const error = validateEve(alert as unknown as Record<string, unknown>);
    assert.equal(error, null, `${describeAlert(alert)} is not valid EVE: ${error}`);
  }
  const started = starts(run);
  for (const start of started) {
    const ends = run.alerts.filter((a) =>
      a.detection.state === "end" && a.detection.alert_id === start.detection.alert_id
    );
    assert.equal(ends.length, 1, `${describeAlert(start)} ended ${ends.length} times\n${context}`);
  }
  for (const m of expected.required) {
    assert.ok(
      started.some((a) => matches(a, m)),
      `no start record matching ${describeMatch(m)}\n${context}`,
    );
  }
  const permitted = new Set<string>([
    ...expected.required.map((m) => m.detector),
    ...(expected.allowed ?? []),
  ]);
  const unexpected = started.filter((a) => !permitted.has(a.detection.detector));
  assert.deepEqual(
    unexpected.map(describeAlert),
    [],
    `alerts of detectors other than ${[...permitted].join(", ") || "none"}\n${context}`,
  );
  for (const m of expected.forbidden ?? []) {
    const hits = started.filter((a) => matches(a, m));
    assert.deepEqual(hits.map(describeAlert), [], `forbidden: ${describeMatch(m)}\n${context}`);
  }
}

/** Sets sysctls inside one of the network's namespaces (e.g. `net.ipv4.icmp_ratelimit=0`). */
export async function sysctl(net: TestNetwork, ns: string, ...settings: string[]): Promise<void> {
  await net.exec(ns, ["sysctl", "-qw", ...settings]);
}

/** Python: a DNS server on UDP 53 that answers every query with one A record, 192.0.2.1. */
const DNS_SERVER = `
import socket
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("0.0.0.0", 53))
print("ready", flush=True)
while True:
    query, peer = server.recvfrom(512)
    if len(query) < 17:
        continue
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    question = query[12:end + 5]
    header = query[:2] + bytes([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0])
    answer = bytes([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])
    server.sendto(header + question + answer, peer)
`;

/** Python: resolves `count` names at the server, one socket (source port) each; prints answers. */
const DNS_CLIENT = `
import random, socket, struct, sys
server, count = sys.argv[1], int(sys.argv[2])
answered = 0
for index in range(count):
    labels = [b"host%d" % index, b"example", b"test"]
    name = b"".join(bytes([len(label)]) + label for label in labels) + b"\\0"
    ident = random.randrange(65536)
    header = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    query = header + name + struct.pack(">HH", 1, 1)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(1.0)
    client.sendto(query, (server, 53))
    try:
        reply, _ = client.recvfrom(512)
        reply_ident, _, _, answers = struct.unpack(">HHHH", reply[:8])
        if reply_ident == ident and answers == 1:
            answered += 1
    except socket.timeout:
        pass
    client.close()
print(answered)
`;

/** Starts the DNS server in `ns`; stop it with `stop()` (the network stops it at the latest). */
export async function startDnsServer(net: TestNetwork, ns: string): Promise<BackgroundProcess> {
  const server = net.spawn(ns, ["python3", "-u", "-c", DNS_SERVER], { timeoutS: 120 });
  await server.waitForLine(/^ready$/, 10_000);
  return server;
}

/** Resolves `count` names from `ns` at `server`; fails unless every one was answered. */
export async function dnsLookups(
  net: TestNetwork,
  ns: string,
  server: string,
  count: number,
): Promise<void> {
  const { stdout } = await net.exec(ns, ["python3", "-c", DNS_CLIENT, server, String(count)], {
    timeoutS: 15,
  });
  assert.equal(Number(stdout.trim()), count, `DNS lookups answered: ${stdout.trim()}/${count}`);
}

/** One HTTP GET with curl from `ns`; fails unless the answer is 200. */
export async function httpGet(net: TestNetwork, ns: string, url: string): Promise<void> {
  assert.equal(await httpGetStatus(net, ns, url), "200", `curl ${url}`);
}

/**
 * The most packets matching `filter` in any 1-second window of `pcapPath`, as tcpdump reads
 * the file: what a per-second threshold sees at its peak.
 */
export async function peakPerSecond(pcapPath: string, filter: string): Promise<number> {
  const output = await new Deno.Command("tcpdump", {
    args: ["-r", pcapPath, "-nn", "-q", "-tt", filter],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `tcpdump -r ${pcapPath} "${filter}": ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const times = new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) => line !== "").map((line) => Number(line.slice(0, line.indexOf(" "))));
  let peak = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= 1) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
