/**
 * @module metrics
 * GET /metrics: the controller's view in Prometheus' text exposition format (version 0.0.4).
 * Counters belong to the current (or last) capture and restart at 0 with each Start, which
 * Prometheus reads as a counter reset; alert records by detector and state add up across captures.
 * Every per-detector series exists from the start (at 0), so that `increase()` and `rate()` see a
 * detector's first alert; names pass `promtool check metrics` (tests/ui/metrics_test.ts).
 */
import { DETECTOR_NAMES } from "../core/detect/catalog.ts";
import type { AlertState } from "../core/records/eve_records.ts";
import { VERSION } from "../core/version.ts";
import type { Controller } from "./controller.ts";
import { outputCounts, outputMetricLines } from "./output_metrics.ts";

/** The Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [Labels, number];

/** The states an alert record can have, each a series of anomaly_alert_records_total. */
const ALERT_STATES: readonly AlertState[] = ["start", "update", "end"];

/**
 * Renders every metric of `controller`; the series of each of `outputs` (the outputs the config
 * enables) exist at 0 before the first capture.
 */
export function renderMetrics(controller: Controller, outputs: readonly string[] = []): string {
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
  metric(
    "anomaly_build_info",
    "gauge",
    "Always 1; the version label says which Anomaly is running.",
    [[{ version: VERSION }, 1]],
  );
  metric(
    "anomaly_capture_info",
    "gauge",
    "1 for the current or last capture (none before the first): source is the interface or " +
      "file read, interface is empty for a file, filter the BPF filter (empty: everything).",
    captureInfo(controller),
  );
  single(
    "anomaly_captures_started_total",
    "counter",
    "Captures started since the program began.",
    controller.sessionsStarted,
  );
  single(
    "anomaly_packets_total",
    "counter",
    "Packets Anomaly analysed in the current or last capture (those the BPF filter passed).",
    s?.packets,
  );
  single(
    "anomaly_bytes_total",
    "counter",
    "Bytes on the wire of the packets analysed (the original length, even beyond the snaplen).",
    s?.bytes,
  );
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
  single(
    "anomaly_packets_invalid_total",
    "counter",
    "Malformed packets (anomaly_decode_events_total says what was wrong).",
    s?.invalid,
  );
  single(
    "anomaly_packets_truncated_total",
    "counter",
    "Packets cut short by capture.snaplen, so that a header was not seen whole.",
    s?.truncated,
  );
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
    "Packets the kernel handed to the capture (pcap_stats ps_recv), including those it then " +
      "dropped. On lo the kernel counts each packet twice (its sent and its received copy) and " +
      "libpcap keeps one, so there this is about twice anomaly_packets_total. 0 for a file.",
    kernel?.received,
  );
  single(
    "anomaly_kernel_drops_total",
    "counter",
    "Packets the kernel dropped because the capture buffer was full (pcap_stats ps_drop): " +
      "never analysed; raise capture.buffer_mib or narrow the filter.",
    kernel?.dropped,
  );
  single(
    "anomaly_kernel_ifdrops_total",
    "counter",
    "Packets the network interface or its driver dropped (pcap_stats ps_ifdrop; not every " +
      "driver counts them).",
    kernel?.ifDropped,
  );
  metric(
    "anomaly_alert_records_total",
    "counter",
    "Alert records written, by detector and state: start when an alert opens, update while " +
      "it goes on, end when it closes. Summed over the captures since the program began.",
    alertRecordSamples(controller.alertRecordCounts),
  );
  const byDetector = view.alerts?.by_detector ?? {};
  const perDetector = (field: "active" | "suppressed" | "dropped"): Sample[] =>
    detectorNames(byDetector).map((detector) => [{ detector }, byDetector[detector]?.[field] ?? 0]);
  metric("anomaly_alerts_active", "gauge", "Alerts open now, by detector.", perDetector("active"));
  metric(
    "anomaly_alerts_suppressed_total",
    "counter",
    "Alerts not written because an allow-list (alerts.allow_list, detect.<name>.allow_list) " +
      "covers their source or destination, by detector.",
    perDetector("suppressed"),
  );
  single(
    "anomaly_alerts_dropped_total",
    "counter",
    "Alert starts dropped because the open alerts were at alerts.max_open or a detector's " +
      "share of them (a state_saturation alert says so).",
    view.alerts?.dropped,
  );
  const perTracker = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    field: "size" | "cap" | "evictions" | "expired",
  ) => metric(name, type, help, view.trackers.map((t) => [{ tracker: t.name }, t[field]]));
  perTracker("anomaly_tracker_entries", "gauge", "Keys each detection table holds now.", "size");
  perTracker("anomaly_tracker_capacity", "gauge", "Keys each detection table may hold.", "cap");
  perTracker(
    "anomaly_tracker_evictions_total",
    "counter",
    "Keys evicted because a detection table was full: what they had counted is forgotten.",
    "evictions",
  );
  perTracker(
    "anomaly_tracker_expired_total",
    "counter",
    "Keys forgotten after being idle for their window.",
    "expired",
  );
  const tracking = s?.tracking ?? {};
  // Was anomaly_summary_evictions_total, which promtool rejects (a name must not hold a type).
  metric(
    "anomaly_top_talker_evictions_total",
    "counter",
    "Hosts evicted from the top-talker tables (by source or destination side) to stay within " +
      "their cap: the top-N lists are then approximate.",
    [
      [{ side: "source" }, tracking.source_evictions ?? 0],
      [{ side: "destination" }, tracking.destination_evictions ?? 0],
    ],
  );
  out.push(...outputMetricLines(outputCounts(outputs, controller.session?.outputs?.counts())));
  return out.join("\n") + "\n";
}

/** The current or last capture's labels, value 1; nothing before the first capture. */
function captureInfo(controller: Controller): Sample[] {
  const session = controller.session;
  if (session === null) return [];
  const source = session.source;
  return [[{
    source: source.source,
    interface: source.live ? source.source : "",
    filter: controller.status().filter,
  }, 1]];
}

/** Every detector x state at 0, then the counts so far (any other key kept as it came). */
function alertRecordSamples(counts: ReadonlyMap<string, number>): Sample[] {
  const samples = new Map<string, Sample>();
  for (const detector of DETECTOR_NAMES) {
    for (const state of ALERT_STATES) {
      samples.set(`${detector}\u0000${state}`, [{ detector, state }, 0]);
    }
  }
  for (const [key, n] of counts) {
    const [detector = "", state = ""] = key.split("\u0000");
    samples.set(key, [{ detector, state }, n]);
  }
  return [...samples.values()];
}

/** Every detector of the catalogue, then any other the counts name. */
function detectorNames(byDetector: Record<string, unknown>): string[] {
  const names: string[] = [...DETECTOR_NAMES];
  for (const name of Object.keys(byDetector)) if (!names.includes(name)) names.push(name);
  return names;
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
