/**
 * @module output_metrics
 * The outputs' series of GET /metrics (syslog, Redis, webhook, exec): records sent, dropped and
 * failed, and the queue's length, per output the config enables (at 0 before the first
 * capture, then the current or last capture's counts). Apart from
 * ui/metrics.ts so that the outputs' lines stay in one place.
 */
import type { OutputCounts } from "../core/records/eve_records.ts";

/** Each series: name, type, help, and the field of OutputCounts it shows. */
const SERIES: [string, "counter" | "gauge", string, keyof OutputCounts][] = [
  [
    "anomaly_output_records_sent_total",
    "counter",
    "Records an output delivered (for UDP and Unix-socket syslog: handed to the kernel), by " +
    "output.",
    "sent",
  ],
  [
    "anomaly_output_records_dropped_total",
    "counter",
    "Records an output lost unsent: its queue (outputs.queue_size) was full while the server " +
    "was down or slow, or they were still queued when the capture's flush time ran out.",
    "dropped",
  ],
  [
    "anomaly_output_records_failed_total",
    "counter",
    "Records an output gave up on after their attempts failed (refused by the receiver, too " +
    "large, a hook that exited non-zero or timed out).",
    "failed",
  ],
  [
    "anomaly_output_queue_records",
    "gauge",
    "Records waiting in an output's queue or being sent now.",
    "queued",
  ],
];

/**
 * The counts to show: every output of `enabled` at 0, then the current or last capture's counts
 * (`counts`, none before the first capture), so that each series exists from the start and
 * `increase()` sees the first record an output drops.
 */
export function outputCounts(
  enabled: readonly string[],
  counts: Readonly<Record<string, OutputCounts>> | undefined,
): Record<string, OutputCounts> {
  const out: Record<string, OutputCounts> = {};
  for (const name of enabled) out[name] = { sent: 0, dropped: 0, failed: 0, queued: 0 };
  return { ...out, ...counts };
}

/**
 * The text lines of the outputs' metrics for `counts` (by output name; output names are fixed
 * words, nothing to escape), or none when no output is enabled.
 */
export function outputMetricLines(counts: Readonly<Record<string, OutputCounts>> | null): string[] {
  if (counts === null || Object.keys(counts).length === 0) return [];
  const lines: string[] = [];
  for (const [name, type, help, field] of SERIES) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [output, c] of Object.entries(counts)) {
      lines.push(`${name}{output="${output}"} ${c[field]}`);
    }
  }
  return lines;
}
