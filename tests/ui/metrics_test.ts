/**
 * @module metrics_test
 * GET /metrics of a running UI (main.ts as a process) fed to Debian's `promtool check metrics`:
 * before any capture (every detector x state alert series at 0, the build info), after a live
 * capture on lo (the capture info; kernel packets twice the captured ones, as the HELP says) and
 * after a `--read` (alert counts, the capture info of a file).
 */
import assert from "node:assert/strict";
import { DETECTOR_NAMES } from "../../core/detect/catalog.ts";
import { VERSION } from "../../core/version.ts";
import { findOnPath, runCommand } from "../../testing/process.ts";
import { writeAlertFixture } from "./support.ts";
import { PROMTOOL, promtoolCheck } from "../support/promtool.ts";
import { pollUntil, startUiMain } from "../support/ui_main.ts";
import { makeTempDir } from "../support/pcap_writer.ts";

const PING = await findOnPath("ping");
const TOKEN = "metrics-test-token-0123456789";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
/** An address of lo no other test uses, so that the filter sees this test's pings only. */
const LO_ADDRESS = "127.0.0.77";

/** The value of the sample `series` (name and labels as printed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metricsOf(url: string): Promise<string> {
  const response = await fetch(`${url}metrics`, { headers: AUTH });
  assert.equal(response.status, 200);
  return await response.text();
}

async function api(url: string, path: string, body: unknown): Promise<Response> {
  return await fetch(`${url}api/${path}`, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test({
  name: "GET /metrics passes promtool before, during and after a live capture on lo",
  // Debian's prometheus package has promtool (tools/setup.sh test installs it); lo needs root.
  ignore: PROMTOOL === null || PING === null || Deno.uid() !== 0,
  fn: async () => {
    await using dir = await makeTempDir("anomaly-metrics-");
    await using ui = await startUiMain(["--log-dir", `${dir.path}/log`, "--token", TOKEN]);
    const url = ui.url;

    const before = await metricsOf(url);
    await promtoolCheck(before);
    for (const detector of DETECTOR_NAMES) {
      for (const state of ["start", "update", "end"]) {
        const series = `anomaly_alert_records_total{detector="${detector}",state="${state}"}`;
        assert.equal(sample(before, series), 0, `${series} at 0 before any alert`);
      }
      assert.equal(sample(before, `anomaly_alerts_active{detector="${detector}"}`), 0);
      assert.equal(sample(before, `anomaly_alerts_suppressed_total{detector="${detector}"}`), 0);
    }
    assert.equal(sample(before, `anomaly_build_info{version="${VERSION}"}`), 1);
    assert.match(before, /^# TYPE anomaly_capture_info gauge$/m);
    assert.doesNotMatch(before, /^anomaly_capture_info\{/m, "no capture yet");
    assert.doesNotMatch(before, /anomaly_summary_evictions_total/, "renamed for promtool");

    const filter = `icmp and host ${LO_ADDRESS}`;
    const started = await api(url, "start", { interface: "lo", filter });
    assert.equal(started.status, 200, await started.clone().text());
    assert.equal((await started.json()).state, "capturing");
    const info = `anomaly_capture_info{source="lo",interface="lo",filter="${filter}"}`;
    const during = await metricsOf(url);
    assert.equal(sample(during, info), 1, during);
    assert.equal(sample(during, "anomaly_capturing"), 1);
    await promtoolCheck(during);
    await runCommand([PING!, "-c", "5", "-i", "0.2", "-W", "1", "-q", LO_ADDRESS], {
      timeoutS: 10,
    });
    // The echo requests and replies reach the engine within a poll of the capture worker.
    await pollUntil("10 packets analysed", async () => {
      return sample(await metricsOf(url), "anomaly_packets_total") === 10 ? true : undefined;
    });
    const stopped = await api(url, "stop", {});
    assert.equal(stopped.status, 200, await stopped.clone().text());

    const after = await metricsOf(url);
    await promtoolCheck(after);
    assert.equal(sample(after, info), 1, "the last capture's info stays");
    assert.equal(sample(after, "anomaly_capturing"), 0);
    assert.equal(sample(after, "anomaly_packets_total"), 10, "5 requests and 5 replies");
    // What the kernel_packets HELP says: on lo the kernel counts both copies of each packet.
    assert.equal(sample(after, "anomaly_kernel_packets_total"), 20, after);
    assert.equal(sample(after, "anomaly_kernel_drops_total"), 0);
  },
});

Deno.test({
  name: "GET /metrics after --read passes promtool, with the alerts counted and the file's info",
  ignore: PROMTOOL === null,
  fn: async () => {
    await using dir = await makeTempDir("anomaly-metrics-read-");
    const file = await writeAlertFixture(dir.path);
    await using ui = await startUiMain([
      "--read",
      file,
      "-f",
      "udp",
      "--log-dir",
      `${dir.path}/log`,
      "--token",
      TOKEN,
    ]);
    const text = await pollUntil("the file read to its end", async () => {
      const text = await metricsOf(ui.url);
      return sample(text, "anomaly_packets_total") === 155 &&
          sample(text, "anomaly_capturing") === 0
        ? text
        : undefined;
    });
    await promtoolCheck(text);
    const start = 'anomaly_alert_records_total{detector="high_packet_rate",state="start"}';
    assert.equal(sample(text, start), 1, text);
    assert.equal(sample(text, 'anomaly_alert_records_total{detector="port_scan",state="end"}'), 0);
    assert.equal(
      sample(text, `anomaly_capture_info{source="${file}",interface="",filter="udp"}`),
      1,
      text,
    );
    assert.equal(sample(text, "anomaly_kernel_packets_total"), 0, "a file has no kernel counts");
    for (const line of text.split("\n").filter((l) => l.startsWith("# HELP "))) {
      assert.ok(
        line.length > "# HELP anomaly_x ".length + 20,
        `a HELP that says something: ${line}`,
      );
    }
  },
});
