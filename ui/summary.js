// Anomaly's page: the traffic summary (counters, breakdown tables, the capture's time span) as the
// engine reports it; the page computes nothing itself.
import {
  $,
  fillTable,
  formatBytes,
  formatCount,
  formatDuration,
  formatMicros,
  formatScaled,
  setText,
} from "./format.js";
import { renderChart } from "./chart.js";

export function renderSummary(view) {
  const s = view.summary;
  const live = view.rate.basis === "last_second";
  setText("pps-label", live ? "Packets/s (last second)" : "Packets/s (average)");
  setText("bps-label", live ? "Bits/s (last second)" : "Bits/s (average)");
  setText("pps", formatCount(view.rate.pps));
  setText("bps", formatScaled(view.rate.bps, "bit/s"));
  if (s) renderCounters(s, view.live);
  const drops = (view.kernel?.dropped ?? 0) + (view.kernel?.ifDropped ?? 0);
  setText("kernel-drops", view.kernel ? formatCount(drops) : "n/a");
  const warning = $("drops");
  warning.hidden = drops === 0;
  if (drops > 0) {
    warning.textContent = `The kernel dropped ${formatCount(drops)} packets of ` +
      `${formatCount(view.kernel.received)}: detection may have missed traffic. ` +
      "Raise capture.buffer_mib, narrow the filter, or lower the load.";
  }
  setText(
    "alert-counts",
    `${formatCount(view.alerts?.active)} / ${formatCount(view.alerts?.started)}`,
  );
  renderChart(view);
}

function renderCounters(s, live) {
  setText("packets", formatCount(s.packets));
  setText("bytes", formatBytes(s.bytes));
  // A file's own time span (packet time), or what a live capture has seen so far.
  setText("span-label", live ? "Seen (packet time)" : "File's time span");
  setText(
    "span",
    s.first_seen >= 0
      ? `${formatMicros(s.first_seen)} → ${formatMicros(s.last_seen)} (${
        formatDuration((s.last_seen - s.first_seen) / 1e6)
      })`
      : "no packet yet",
  );
  const dir = (name) =>
    `${formatCount(s.direction[name]?.packets)} pkts, ${formatBytes(s.direction[name]?.bytes)}`;
  setText("incoming", dir("incoming"));
  setText("outgoing", dir("outgoing"));
  setText("other", dir("other"));
  const approx = s.unique_ips_exact ? "" : "≈";
  setText(
    "unique",
    `${approx}${formatCount(s.unique_src_ips)} / ${approx}${formatCount(s.unique_dst_ips)}`,
  );
  const events = Object.values(s.decode_events ?? {}).reduce((a, b) => a + b, 0);
  setText("decode-errors", `${formatCount(s.invalid)} invalid, ${formatCount(events)} events`);
  fillTable(
    "protocols",
    Object.entries(s.protocols)
      .filter(([, c]) => c.packets > 0)
      .sort((a, b) => b[1].packets - a[1].packets)
      .map(([name, c]) => [name, formatCount(c.packets), formatBytes(c.bytes)]),
  );
  const hostRows = (list) =>
    list.map((h) => [hostCell(h.ip), formatCount(h.packets), formatBytes(h.bytes)]);
  fillTable("talkers", hostRows(s.top_sources_by_packets));
  fillTable("destinations", hostRows(s.top_destinations_by_packets));
  fillTable(
    "ports",
    s.top_dest_ports.map((p) => [`${p.proto} ${p.port}`, formatCount(p.packets)]),
  );
}

function hostCell(ip) {
  const link = document.createElement("a");
  link.href = `#host=${encodeURIComponent(ip)}`;
  link.textContent = ip;
  return link;
}
