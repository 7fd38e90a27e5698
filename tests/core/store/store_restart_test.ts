/**
 * @module store_restart_test
 * The alert history across restarts: main.ts reads an nmap-like SYN scan into a log directory,
 * the same file again (nothing doubled), then a later scan; a UI on that directory afterwards
 * finds both scans' alerts by address, each with its timeline.
 */
import assert from "node:assert/strict";
import { ethernet, ipv4, tcp } from "../../support/frames.ts";
import { makeTempDir, writePcap } from "../../support/pcap_writer.ts";
import { readWithMain } from "../../support/main_read.ts";
import { T0_US } from "../../support/base.ts";
import { AlertHistory } from "../../../core/store/alert_history.ts";
import { createApp } from "../../../ui/server.ts";
import { heldController } from "../../ui/support.ts";

const SCANNER = "10.0.0.5", VICTIM = "10.0.0.9";
const SYN = 0x02, RST_ACK = 0x14;

/** nmap -sS of `ports` ports: a SYN each, 1 ms apart, answered by RST-ACK (closed). */
async function writeScan(path: string, ports: number, startUs = T0_US): Promise<void> {
  const packets = [];
  for (let i = 0; i < ports; i++) {
    const port = 1 + i;
    packets.push({
      tsUs: startUs + i * 1000,
      bytes: ethernet(
        0x0800,
        ipv4({
          proto: 6,
          src: SCANNER,
          dst: VICTIM,
          payload: tcp({ sport: 54321, dport: port, flags: SYN }),
        }),
      ),
    });
    packets.push({
      tsUs: startUs + i * 1000 + 100,
      bytes: ethernet(
        0x0800,
        ipv4({
          proto: 6,
          src: VICTIM,
          dst: SCANNER,
          payload: tcp({ sport: port, dport: 54321, flags: RST_ACK }),
        }),
      ),
    });
  }
  await writePcap(path, { packets });
}

Deno.test("the alert history survives a restart: a second run and a UI still find the scan by ?ip=", async () => {
  await using dir = await makeTempDir();
  const scan = `${dir.path}/scan.pcap`;
  await writeScan(scan, 1000);
  const logDir = `${dir.path}/log`;
  await readWithMain(scan, logDir, undefined, 60_000);
  const first = new AlertHistory(logDir);
  const scans = first.list({ limit: 10, ip: VICTIM, detector: "port_scan" });
  assert.equal(scans.total, 1, JSON.stringify(scans));
  const firstId = (scans.alerts[0]!.detection as { alert_id: string }).alert_id;
  assert.equal(scans.alerts[0]!.src_ip, SCANNER);
  assert.equal(scans.alerts[0]!.triage.ended !== null, true, "ended at the end of the file");
  first.close();

  // The same file again: the same alert ids and records, which the history already holds.
  await readWithMain(scan, logDir, undefined, 60_000);
  const again = new AlertHistory(logDir);
  const same = again.list({ limit: 10, ip: VICTIM, detector: "port_scan" });
  assert.equal(same.total, 1);
  assert.equal(same.alerts[0]!.triage.records, scans.alerts[0]!.triage.records, "not doubled");
  again.close();

  // The restart: a new run on another scan an hour later, same directory.
  const later = `${dir.path}/later.pcap`;
  await writeScan(later, 1000, T0_US + 3600e6);
  await readWithMain(later, logDir, undefined, 60_000);
  const app = createApp(heldController(), { history: new AlertHistory(logDir) });
  const response = await app.request(`/api/alerts?ip=${VICTIM}&detector=port_scan`);
  assert.equal(response.status, 200);
  const { alerts, total } = await response.json();
  assert.equal(total, 2, "one alert per scan");
  const ids = alerts.map((a: { detection: { alert_id: string } }) => a.detection.alert_id);
  assert.ok(ids.includes(firstId), `${firstId} in ${ids}`);
  const opened = await (await app.request(`/api/alerts/${firstId}`)).json();
  assert.ok(opened.timeline.length >= 2, "start ... end");
  assert.equal(opened.timeline[0].detection.state, "start");
  assert.equal(opened.timeline.at(-1).detection.state, "end");
  // The same records as the SIEM's file: each stored line is a line of network_activity.jsonl.
  const file = await Deno.readTextFile(`${logDir}/network_activity.jsonl`);
  for (const record of opened.timeline) assert.ok(file.includes(JSON.stringify(record)));
});
