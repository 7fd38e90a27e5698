/**
 * The fields an analyst pivots on, on real traffic: namespace A connects to 20 closed TCP ports
 * of B (a port scan, refused by RSTs: its alert names the probe, A -> B) while B sends 200 UDP datagrams to A within a second (a
 * packet rate over 100/s); tcpdump records it in A. Anomaly reads that file, and every record
 * must carry `host` (sensor.name) and `capture_file`, never `in_iface`; every alert started by a
 * TCP or UDP packet names it in `detection.trigger`, and its `community_id` must be the one
 * tshark computes for that flow in the same file (its communityid post-dissector).
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { startTcpdump } from "../support/tcpdump.ts";
import { readRecords } from "../support/records.ts";
import { loadEveValidator } from "../support/eve_schema.ts";
import { runMain } from "../cli/fixtures.ts";
import type { Alert } from "../support/detection_run.ts";

const unavailable = await canUseNamespaces(["ip", "ethtool", "tcpdump", "python3", "tshark"]);
if (unavailable !== null) console.log(`skip: pivot fields on real traffic: ${unavailable}`);

/** Connects to 20 closed TCP ports of `host` (each refused at once by a RST). */
const SCAN = `
import socket, sys
for port in range(40001, 40021):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect((sys.argv[1], port))
    except OSError:
        pass
    s.close()
`;

/** Sends 200 small UDP datagrams to port 9999 of `host`, as fast as it can. */
const BURST = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"x" * 16, (sys.argv[1], 9999))
`;

/** tshark's Community ID of every TCP/UDP packet in `pcap`, by "src|sport|dst|dport|proto". */
async function tsharkCommunityIds(pcap: string): Promise<Map<string, string>> {
  const fields = ["ip.src", "tcp.srcport", "udp.srcport", "ip.dst", "tcp.dstport", "udp.dstport"];
  const output = await new Deno.Command("tshark", {
    args: [
      "-n",
      "-r",
      pcap,
      "--enable-protocol",
      "communityid",
      "-Y",
      "tcp or udp",
      "-T",
      "fields",
      ...fields.flatMap((f) => ["-e", f]),
      "-e",
      "communityid",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const ids = new Map<string, string>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (line === "") continue;
    const [src, tcpSport, udpSport, dst, tcpDport, udpDport, id] = line.split("\t");
    const proto = tcpSport !== "" ? "TCP" : "UDP";
    const key = [src, tcpSport || udpSport, dst, tcpDport || udpDport, proto].join("|");
    assert.ok(id?.startsWith("1:"), `tshark gave no communityid: ${line}`);
    ids.set(key, id!);
  }
  return ids;
}

/** What one recorded capture gave: Anomaly's records and tshark's Community IDs. */
interface Reading {
  pcap: string;
  records: Record<string, unknown>[];
  tshark: Map<string, string>;
}

/** Records `traffic` with tcpdump in A, then has Anomaly (sensor.name set) and tshark read it. */
async function recordAndRead(
  net: TestNetwork,
  name: string,
  traffic: () => Promise<unknown>,
): Promise<Reading> {
  const dir = await net.makeTemporaryDirectory();
  const pcap = `${dir}/${name}.pcap`;
  const recording = await startTcpdump(net.a.ns, net.a.iface, pcap, { filter: "ip", timeoutS: 60 });
  await traffic();
  await recording.stop();
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify({ sensor: { name: "pivot-test" } }));
  const run = await runMain(["--read", pcap, "--config", config, "--log-dir", `${dir}/log`]);
  assert.equal(run.code, 0, run.stderr);
  const records = readRecords(`${dir}/log/network_activity.jsonl`);
  return { pcap, records, tshark: await tsharkCommunityIds(pcap) };
}

/**
 * Checks every record's origin, and every triggered alert's community_id against tshark's for
 * the trigger's packet. Returns the alert starts with a trigger.
 */
function checkReading({ pcap, records, tshark }: Reading): Alert[] {
  const validate = loadEveValidator();
  for (const record of records) {
    assert.equal(validate(record), null, JSON.stringify(record));
    assert.equal(record.host, "pivot-test");
    assert.equal(record.capture_file, pcap);
    assert.equal(record.in_iface, undefined);
  }
  const alerts = records.filter((r) => r.event_type === "alert") as unknown as Alert[];
  const triggered = alerts.filter((r) => r.detection.trigger !== undefined);
  for (const alert of triggered) {
    const t = alert.detection.trigger!;
    const key = [t.src_ip, t.src_port, t.dest_ip, t.dest_port, t.proto].join("|");
    assert.ok(tshark.has(key), `tshark saw no packet ${key}`);
    assert.equal(alert.community_id, tshark.get(key), `${alert.detection.detector} ${key}`);
  }
  for (const alert of alerts.filter((r) => r.detection.trigger === undefined)) {
    assert.equal(alert.community_id, undefined, JSON.stringify(alert));
  }
  console.log(
    `${pcap.replace(/.*\//, "")}: ${records.length} records, ${alerts.length} alert records, ` +
      `${triggered.length} with a trigger, each community_id equal to tshark's`,
  );
  return triggered.filter((r) => r.detection.state === "start");
}

Deno.test({
  name: "--read of real traffic: host and capture_file on every record, community_id as tshark's",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const { a, b } = net;

    await t.step("a UDP burst from B: high_packet_rate started by a datagram", async () => {
      const reading = await recordAndRead(
        net,
        "burst",
        () => net.exec(b.ns, ["python3", "-c", BURST, a.ipv4], { timeoutS: 15 }),
      );
      const starts = checkReading(reading);
      const rate = starts.filter((r) => r.detection.detector === "high_packet_rate");
      assert.equal(rate.length, 1, JSON.stringify(starts));
      assert.equal(rate[0]!.detection.trigger!.proto, "UDP");
      assert.equal(rate[0]!.detection.trigger!.src_ip, b.ipv4);
      assert.deepEqual(rate[0]!.alert.source, { ip: b.ipv4 });
    });

    await t.step("a TCP scan of B from A: port_scan names its probe, A -> B", async () => {
      const reading = await recordAndRead(
        net,
        "scan",
        () => net.exec(a.ns, ["python3", "-c", SCAN, b.ipv4], { timeoutS: 30 }),
      );
      const starts = checkReading(reading);
      const scans = starts.filter((r) => r.detection.detector === "port_scan");
      assert.equal(scans.length, 1, JSON.stringify(starts));
      assert.equal(scans[0]!.detection.trigger!.proto, "TCP");
      // The probe that failed, not the RST refusing it: the scanner's flow to a victim's port.
      assert.equal(scans[0]!.detection.trigger!.src_ip, a.ipv4);
      assert.equal(scans[0]!.detection.trigger!.dest_ip, b.ipv4);
      assert.deepEqual(scans[0]!.alert.source, { ip: a.ipv4 });
      assert.deepEqual(scans[0]!.alert.target, { ip: b.ipv4 });
    });
  },
});
