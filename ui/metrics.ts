/**
 * @module metrics
 * GET /metrics: the controller's view in Prometheus' text exposition format (version 0.0.4).
 * Counters belong to the current (or last) capture and restart at 0 with each Start, which
 * Prometheus reads as a counter reset; alert records by detector and state add up across captures.
 */
import type { Controller } from "./controller.ts";
import { outputMetricLines } from "./output_metrics.ts";

/** The Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [Labels, number];

/** Renders every metric of `controller`. */
export function renderMetrics(controller: Controller): string {
  const view = controller.summary();
  const s = view.summary;
  const out: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: Sample[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${formatLabels(labels)} ${value}`);
  };
  /** A metric of one unlabelled sample (0 when there is no value yet). */
  const single = (name: string, type: "counter" | "gauge", help: string, value?: number) =>
    metric(name, type, help, [[{}, value ?? 0]]);

  single(
    "anomaly_capturing",
    "gauge",
    "1 while a capture is running, else 0.",
    controller.state === "capturing" ? 1 : 0,
  );
  single(
    "anomaly_captures_started_total",
    "counter",
    "Captures started since the program began.",
    controller.sessionsStarted,
  );
  single("anomaly_packets_total", "counter", "Packets analysed.", s?.packets);
  single("anomaly_bytes_total", "counter", "Bytes on the wire of the packets analysed.", s?.bytes);
  metric(
    "anomaly_protocol_packets_total",
    "counter",
    "Packets by protocol header (stats.decoder names).",
    Object.entries(s?.protocols ?? {}).map(([protocol, c]) => [{ protocol }, c.packets]),
  );
  metric(
    "anomaly_direction_packets_total",
    "counter",
    "Packets by direction (incoming, outgoing, other).",
    Object.entries(s?.direction ?? {}).map(([direction, c]) => [{ direction }, c.packets]),
  );
  single("anomaly_packets_invalid_total", "counter", "Malformed packets.", s?.invalid);
  single("anomaly_packets_truncated_total", "counter", "Packets cut by the snaplen.", s?.truncated);
  single(
    "anomaly_packets_unsupported_total",
    "counter",
    "Packets of a protocol Anomaly does not decode.",
    s?.unsupported,
  );
  metric(
    "anomaly_decode_events_total",
    "counter",
    "Decode events by name.",
    Object.entries(s?.decode_events ?? {}).map(([event, n]) => [{ event }, n]),
  );
  const kernel = view.kernel;
  single(
    "anomaly_kernel_packets_total",
    "counter",
    "Packets the kernel received for the capture (pcap_stats ps_recv).",
    kernel?.received,
  );
  single(
    "anomaly_kernel_drops_total",
    "counter",
    "Packets the kernel dropped for lack of buffer space (pcap_stats ps_drop).",
    kernel?.dropped,
  );
  single(
    "anomaly_kernel_ifdrops_total",
    "counter",
    "Packets the interface dropped (pcap_stats ps_ifdrop).",
    kernel?.ifDropped,
  );
  const records: Sample[] = [...controller.alertRecordCounts].map(([key, n]) => {
    const [detector = "", state = ""] = key.split("\u0000");
    return [{ detector, state }, n];
  });
  metric(
    "anomaly_alert_records_total",
    "counter",
    "Alert records written, by detector and state (start, update, end).",
    records,
  );
  const byDetector = Object.entries(view.alerts?.by_detector ?? {});
  metric(
    "anomaly_alerts_active",
    "gauge",
    "Alerts open now, by detector.",
    byDetector.map(([detector, c]) => [{ detector }, c.active]),
  );
  metric(
    "anomaly_alerts_suppressed_total",
    "counter",
    "Alerts held back by allow-lists or suppression, by detector.",
    byDetector.map(([detector, c]) => [{ detector }, c.suppressed]),
  );
  single(
    "anomaly_alerts_dropped_total",
    "counter",
    "Alerts dropped at alerts.max_open.",
    view.alerts?.dropped,
  );
  const perTracker = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    field: "size" | "cap" | "evictions" | "expired",
  ) => metric(name, type, help, view.trackers.map((t) => [{ tracker: t.name }, t[field]]));
  perTracker("anomaly_tracker_entries", "gauge", "Entries held by each detection table.", "size");
  perTracker("anomaly_tracker_capacity", "gauge", "Entries each detection table may hold.", "cap");
  perTracker(
    "anomaly_tracker_evictions_total",
    "counter",
    "Entries evicted because a detection table was full.",
    "evictions",
  );
  perTracker(
    "anomaly_tracker_expired_total",
    "counter",
    "Entries expired after being idle.",
    "expired",
  );
  const tracking = s?.tracking ?? {};
  metric(
    "anomaly_summary_evictions_total",
    "counter",
    "Hosts evicted from the top-talker tables.",
    [
      [{ side: "source" }, tracking.source_evictions ?? 0],
      [{ side: "destination" }, tracking.destination_evictions ?? 0],
    ],
  );
  out.push(...outputMetricLines(controller.session?.outputs?.counts() ?? null));
  return out.join("\n") + "\n";
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
