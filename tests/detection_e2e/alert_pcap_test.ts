/**
 * The packets behind an alert on real traffic (issue 13 item 3): nmap in namespace A scans 1000
 * TCP ports of B while A also pings B over IPv6 (traffic of the same hosts that is not the
 * alert's pair). Anomaly reads tcpdump's recording (`--read`), and captures it live in a second
 * test; either way the port scan's start record names `detection.pcap`, and tcpdump reads that
 * file back holding the packets between the scanner and the victim (their ARP too) and nothing else: with
 * the whole scan inside the 5 s before and after its start, every one of them. GET
 * /api/alerts/{id}/pcap serves the same bytes.
 *
 * Skipped, with the reason, without root, namespaces, nmap, ping or tcpdump.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { canUseNamespaces, type Host, TestNetwork } from "../support/netns.ts";
import { countWithFilter, summarizePcap } from "../support/tcpdump.ts";
import { readRecords } from "../support/records.ts";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { createApp } from "../../ui/server.ts";
import { heldController } from "../ui/support.ts";
import {
  type AlertRecord,
  analyseFile,
  RECORDS_FILE,
  recordWhile,
  sleep,
  startLiveAnomaly,
} from "./support.ts";

const unavailable = await canUseNamespaces(["ip", "timeout", "nmap", "tcpdump", "ping", "env"]);
if (unavailable !== null) console.log(`skip: alert pcaps on real traffic: ${unavailable}`);

/** nmap's SYN scan of B's ports 1-1000 from A, and A pinging B over IPv6 at the same time. */
async function scanWithNoise(net: TestNetwork): Promise<void> {
  const { a, b } = net;
  const [scan] = await Promise.all([
    net.exec(a.ns, ["nmap", "-n", "-Pn", "-sS", "-p", "1-1000", "--max-retries", "1", b.ipv4], {
      timeoutS: 60,
    }),
    net.exec(a.ns, ["ping", "-6", "-c", "8", "-i", "0.2", b.ipv6], { timeoutS: 20 }),
  ]);
  assert.match(scan.stdout, /Nmap done: 1 IP address \(1 host up\)/, scan.stdout);
}

/** The port scan's start record in `records`, with its pcap's path in the log directory. */
function scanStart(records: Record<string, unknown>[], a: Host, b: Host): AlertRecord {
  const start = (records as unknown as AlertRecord[]).find((r) =>
    r.event_type === "alert" && r.detection.detector === "port_scan" &&
    r.detection.state === "start" && r.src_ip === a.ipv4 && r.dest_ip === b.ipv4
  );
  assert.ok(start, "a port_scan start from A to B");
  return start;
}

/** Checks the alert's pcap holds only (and, when `all` is given, all of) the pair's packets. */
async function checkPcap(logDir: string, start: AlertRecord, a: Host, b: Host, all?: number) {
  const path = (start.detection as { pcap?: string }).pcap;
  assert.equal(path, `pcap/${start.detection.alert_id}.pcap`);
  const file = join(logDir, path!);
  const pair = `host ${a.ipv4} and host ${b.ipv4}`;
  const summary = await summarizePcap(file);
  assert.equal(summary.linkType, 1, "Ethernet, as captured");
  assert.ok(summary.packets >= 1000, `${summary.packets} packets: the 1000 probes at least`);
  assert.equal(await countWithFilter(file, pair), summary.packets, "every packet is the pair's");
  assert.equal(await countWithFilter(file, `not (${pair})`), 0);
  if (all !== undefined) assert.equal(summary.packets, all, "all of the pair's packets");
  return file;
}

Deno.test({
  name: "an nmap scan's alert pcap (--read) holds its scanner<->victim packets only",
  ignore: unavailable !== null,
  sanitizeResources: false,
  fn: async () => {
    await using net = await TestNetwork.create();
    const { a, b } = net;
    const work = await net.makeTemporaryDirectory();
    const recording = `${work}/scan.pcap`;
    await recordWhile(a, recording, () => scanWithNoise(net));
    const pair = `host ${a.ipv4} and host ${b.ipv4}`;
    const inRecording = await countWithFilter(recording, pair);
    assert.ok(
      await countWithFilter(recording, `icmp6 and host ${a.ipv6}`) >= 8,
      "the noise is there",
    );
    const span = await summarizePcap(recording);
    const logDir = `${work}/log`;
    const run = await analyseFile(recording, logDir);
    const start = scanStart(run.records, a, b);
    // Within 5 s either side of the start, the file must hold every packet of the pair.
    const whole = span.lastSeconds - span.firstSeconds < 5 ? inRecording : undefined;
    const file = await checkPcap(logDir, start, a, b, whole);
    const end = run.alerts.find((r) =>
      r.detection.alert_id === start.detection.alert_id && r.detection.state === "end"
    );
    assert.equal(
      (end?.detection as { pcap?: string }).pcap,
      (start.detection as { pcap?: string }).pcap,
    );
    assert.ok((run.final.summary.pcap?.written ?? 0) >= 1, JSON.stringify(run.final.summary.pcap));

    // The API serves the very bytes, from the history of the same log directory.
    const app = createApp(heldController(), { history: new AlertHistory(logDir) });
    const response = await app.request(`/api/alerts/${start.detection.alert_id}/pcap`);
    assert.equal(response.status, 200);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), await Deno.readFile(file));
  },
});

Deno.test({
  name: "an nmap scan's alert pcap, captured live on the victim, holds the pair's packets only",
  ignore: unavailable !== null,
  sanitizeResources: false,
  fn: async () => {
    await using net = await TestNetwork.create();
    const { a, b } = net;
    const work = await net.makeTemporaryDirectory();
    const logDir = `${work}/log`;
    const main = await startLiveAnomaly(net, b, logDir);
    await scanWithNoise(net);
    await sleep(1_000); // the last replies captured; stopping completes the open pcap
    await main.stop(); // SIGTERM: the capture ends, open pcaps are completed
    const records = readRecords(join(logDir, RECORDS_FILE));
    const start = scanStart(records, a, b);
    await checkPcap(logDir, start, a, b);
  },
});
