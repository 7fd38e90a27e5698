/**
 * The outputs' /metrics lines: one series per enabled output, names and HELP texts that
 * `promtool check metrics` accepts, nothing when no output is on; and a running UI (main.ts)
 * shows every output its config enables at 0 before the first capture.
 */
import assert from "node:assert/strict";
import { outputCounts, outputMetricLines } from "../../ui/output_metrics.ts";
import { freeTcpPort, freeUdpPort } from "../support/output_servers.ts";
import { startUiMain } from "../support/ui_main.ts";
import { makeTempDir } from "../support/pcap_writer.ts";
import { PROMTOOL, promtoolCheck } from "../support/promtool.ts";

const HAS_PROMTOOL = PROMTOOL !== null;

if (!HAS_PROMTOOL) {
  console.log("skip: promtool check: promtool is not installed (tools/setup.sh test installs it)");
}

Deno.test("outputMetricLines() writes nothing when no output is enabled", () => {
  assert.deepEqual(outputMetricLines(null), []);
  assert.deepEqual(outputMetricLines({}), []);
});

Deno.test("outputMetricLines() gives each enabled output its sent, dropped, failed and queue series", () => {
  const text = outputMetricLines({
    redis: { sent: 10, dropped: 3, failed: 1, queued: 2 },
    exec: { sent: 4, dropped: 0, failed: 0, queued: 0 },
  }).join("\n");
  for (
    const sample of [
      'anomaly_output_records_sent_total{output="redis"} 10',
      'anomaly_output_records_dropped_total{output="redis"} 3',
      'anomaly_output_records_failed_total{output="redis"} 1',
      'anomaly_output_queue_records{output="redis"} 2',
      'anomaly_output_records_sent_total{output="exec"} 4',
    ]
  ) assert.ok(text.includes(sample), sample);
});

Deno.test("outputCounts() puts every enabled output at 0, then a capture's counts over them", () => {
  const zero = { sent: 0, dropped: 0, failed: 0, queued: 0 };
  assert.deepEqual(outputCounts([], undefined), {});
  assert.deepEqual(outputCounts(["syslog", "exec"], undefined), { syslog: zero, exec: zero });
  const redis = { sent: 5, dropped: 1, failed: 0, queued: 2 };
  assert.deepEqual(outputCounts(["syslog", "redis"], { redis }), { syslog: zero, redis });
});

Deno.test({
  name: "outputMetricLines() passes promtool check metrics",
  ignore: !HAS_PROMTOOL,
  async fn() {
    const lines = outputMetricLines({ syslog: { sent: 1, dropped: 0, failed: 0, queued: 0 } });
    await promtoolCheck(lines.join("\n") + "\n");
  },
});

Deno.test({
  name:
    "GET /metrics of main.ts shows each enabled output's series at 0 before any capture, through promtool",
  ignore: !HAS_PROMTOOL,
  async fn() {
    await using dir = await makeTempDir("anomaly-output-metrics-");
    // Nothing listens on these: outputs connect only once a record is offered.
    const config = {
      outputs: {
        syslog: { enabled: true, address: `udp://127.0.0.1:${await freeUdpPort()}` },
        redis: { enabled: true, url: `redis://127.0.0.1:${freeTcpPort()}` },
        exec: { enabled: true, command: ["true"] },
      },
    };
    await Deno.writeTextFile(`${dir.path}/config.json`, JSON.stringify(config));
    await using ui = await startUiMain([
      "--log-dir",
      `${dir.path}/log`,
      "--config",
      `${dir.path}/config.json`,
    ]);
    const response = await fetch(`${ui.url}metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    await promtoolCheck(text);
    const series = [
      "anomaly_output_records_sent_total",
      "anomaly_output_records_dropped_total",
      "anomaly_output_records_failed_total",
      "anomaly_output_queue_records",
    ];
    for (const name of series) {
      for (const output of ["syslog", "redis", "exec"]) {
        assert.match(text, new RegExp(`^${name}\\{output="${output}"\\} 0$`, "m"), name);
      }
      assert.doesNotMatch(text, new RegExp(`^${name}\\{output="webhook"\\}`, "m"), "off");
    }
  },
});
