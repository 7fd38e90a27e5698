/**
 * Dropped alerts are visible: when decoys fill a detector's share of the open alerts, the UI's
 * /api/status carries a warning (the page shows it above the controls), /api/summary counts the
 * drops per detector, and headless runs print the warning once on stderr and in anomaly.log.
 * Captures are real libpcap reads of a pcap file the test writes.
 */
import assert from "node:assert/strict";
import { createApp } from "../../ui/server.ts";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { ethernet, ipv4, tcp } from "../support/frames.ts";
import { writePcap } from "../support/pcap_writer.ts";
import { REPO_ROOT } from "../support/main_read.ts";
import { fileController, settled, T0_US } from "./support.ts";

const CONFIG: Record<string, unknown> = {
  "detect.high_packet_rate.enabled": false,
  "detect.unusual_port.enabled": true,
  "detect.flood.enabled": true,
  "detect.state_saturation.enabled": true,
  "alerts.max_open_per_detector": 10,
};

function syn(src: string, dst: string, sport: number, dport: number): Uint8Array {
  return ethernet(0x0800, ipv4({ proto: 6, src, dst, payload: tcp({ sport, dport, flags: 2 }) }));
}

/**
 * 40 decoy SYNs from 40 sources to 40 unusual ports, 5 a second (under the burst rate), then a
 * SYN flood of 1500 SYNs in 1 s from 10.0.0.1 to 192.0.2.10 port 80.
 */
async function writeDecoyFixture(directory: string): Promise<string> {
  const path = `${directory}/decoys.pcap`;
  const packets = [];
  for (let i = 0; i < 40; i++) {
    packets.push({
      tsUs: T0_US + i * 200_000,
      bytes: syn(`10.9.0.${i + 1}`, "10.8.0.1", 40_000, 5000 + i),
    });
  }
  for (let i = 0; i < 1500; i++) {
    packets.push({
      tsUs: T0_US + 10e6 + i * 600,
      bytes: syn("10.0.0.1", "192.0.2.10", 10_000 + i, 80),
    });
  }
  await writePcap(path, { packets });
  return path;
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "anomaly-alert-warning-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const WARNING =
  /New unusual_port alerts are being dropped: it holds 10 open alerts, its share \(alerts\.max_open_per_detector 10\); other detectors still alert/;

Deno.test("a detector dropping alerts shows a warning in /api/status and counts in /api/summary", async () => {
  await using dir = await tempDir();
  const controller = fileController(await writeDecoyFixture(dir.path), `${dir.path}/log`, CONFIG);
  const app = createApp(controller, { history: new AlertHistory(`${dir.path}/log`) });
  const idle = await (await app.request("/api/status")).json();
  assert.equal(idle.warning, null);
  const started = await app.request("/api/start", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  assert.equal(started.status, 200);
  await settled(controller);
  const status = await (await app.request("/api/status")).json();
  assert.equal(status.state, "stopped", JSON.stringify(status));
  assert.match(status.warning, WARNING);

  const view = await (await app.request("/api/summary")).json();
  assert.deepEqual(view.alerts.by_detector.unusual_port, {
    started: 10,
    active: 0,
    suppressed: 0,
    dropped: 30,
  });
  assert.equal(view.alerts.dropped, 30);
  const { alerts } = await (await app.request("/api/alerts?detector=flood")).json();
  assert.equal(alerts.length, 1, "the flood is alerted");
  assert.equal(alerts[0].triage.records, 2, "start and end");
  const saturation = await (await app.request("/api/alerts?detector=state_saturation")).json();
  const messages = saturation.alerts.map((a: { detection: { message: string } }) =>
    a.detection.message
  );
  assert.ok(
    messages.some((s: string) => /^30 new unusual_port alerts were dropped/.test(s)),
    JSON.stringify(messages),
  );
});

Deno.test("headless, a detector dropping alerts is warned once on stderr and in anomaly.log", async () => {
  await using dir = await tempDir();
  const capture = await writeDecoyFixture(dir.path);
  const configPath = `${dir.path}/config.json`;
  await Deno.writeTextFile(configPath, JSON.stringify(CONFIG));
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "main.ts",
      "--no-ui",
      "--read",
      capture,
      "--log-dir",
      `${dir.path}/log`,
      "--config",
      configPath,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const lines = stderr.split("\n").filter((line) => WARNING.test(line));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^anomaly: warning: New unusual_port alerts are being dropped/);
  const diagnostics = await Deno.readTextFile(`${dir.path}/log/anomaly.log`);
  assert.equal(diagnostics.split("\n").filter((line) => WARNING.test(line)).length, 1);
});
