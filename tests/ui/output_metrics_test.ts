/**
 * The outputs' /metrics lines: one series per enabled output, names and HELP texts that
 * `promtool check metrics` accepts, nothing when no output is on.
 */
import assert from "node:assert/strict";
import { outputMetricLines } from "../../ui/output_metrics.ts";

const HAS_PROMTOOL = (() => {
  try {
    new Deno.Command("promtool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return true;
  } catch {
    return false;
  }
})();

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

Deno.test({
  name: "outputMetricLines() passes promtool check metrics",
  ignore: !HAS_PROMTOOL,
  async fn() {
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const lines = outputMetricLines({ syslog: { sent: 1, dropped: 0, failed: 0, queued: 0 } });
    await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
    await writer.close();
    const out = await child.output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, said);
    assert.equal(said.trim(), "");
  },
});
