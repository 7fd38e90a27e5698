// Anomaly's page: the traffic chart (uPlot, embedded with the page and loaded before the page
// script). Its range is selectable from 5 minutes up to the series the engine stores
// (summary.series_seconds), it zooms by dragging (double-click resets), shows values on hover in
// its legend, and says in text what it draws (for screen readers and as a caption).
import { api } from "./api.js";
import {
  $,
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatScaled,
} from "./format.js";

const RANGES = [300, 900, 3600, 6 * 3600, 24 * 3600];
const DEFAULT_SECONDS = 300;

let chart = null;
let zoomed = false;
let storedSeconds = DEFAULT_SECONDS;
let lastView = null;
let longRangeTimer = null;

function chartSize() {
  const width = Math.max(280, $("chart").clientWidth);
  return { width, height: width < 600 ? 200 : 260 };
}

function selectedSeconds() {
  return Number($("chart-range").value) || DEFAULT_SECONDS;
}

/** The left axis is as wide as its longest label: "1.25 k" is never clipped. */
function axisSize(_self, values) {
  if (!values) return 50;
  const longest = Math.max(...values.map((v) => String(v).length), 1);
  return Math.ceil(longest * 7.5) + 24;
}

function createChart(data) {
  chart = new uPlot(
    {
      ...chartSize(),
      legend: { live: true },
      cursor: { drag: { x: true, y: false, setScale: true } },
      hooks: { setSelect: [() => markZoomed()] },
      scales: { x: { time: true }, pkts: { auto: true }, bytes: { auto: true } },
      series: [
        { label: "time", value: (_, v) => v === null ? "" : formatDateTime(v * 1000) },
        {
          label: "packets/s",
          scale: "pkts",
          stroke: "#2563eb",
          width: 2,
          fill: "rgba(37,99,235,0.08)",
          value: (_, v) => v === null ? "" : formatCount(v),
        },
        {
          label: "bytes/s",
          scale: "bytes",
          stroke: "#d97706",
          width: 1.5,
          dash: [6, 3],
          value: (_, v) => v === null ? "" : formatBytes(v),
        },
      ],
      axes: [
        {},
        {
          scale: "pkts",
          values: (_, ticks) => ticks.map((v) => formatScaled(v, "")),
          size: axisSize,
        },
        {
          scale: "bytes",
          side: 1,
          grid: { show: false },
          values: (_, ticks) => ticks.map((v) => formatBytes(v)),
          size: axisSize,
        },
      ],
    },
    data,
    $("chart"),
  );
  new ResizeObserver(() => chart.setSize(chartSize())).observe($("chart"));
  $("chart").addEventListener("dblclick", resetZoom);
}

function markZoomed() {
  zoomed = true;
  $("chart-reset").hidden = false;
}

function resetZoom() {
  zoomed = false;
  $("chart-reset").hidden = true;
  if (lastView !== null) drawSeries(lastView.series, true);
}

function drawSeries(series, resetScales = !zoomed) {
  if (typeof uPlot === "undefined") return;
  const data = [
    series.map((p) => p.t),
    series.map((p) => p.packets),
    series.map((p) => p.bytes),
  ];
  if (chart === null) createChart(data);
  else chart.setData(data, resetScales);
  describe(series);
}

/** The chart in words: range, peak and average, for screen readers and as its caption. */
function describe(series) {
  const text = $("chart-summary");
  if (series.length === 0) {
    text.textContent = "No traffic in this range yet.";
    return;
  }
  let peak = series[0];
  let packets = 0;
  for (const point of series) {
    packets += point.packets;
    if (point.packets > peak.packets) peak = point;
  }
  const from = formatDateTime(series[0].t * 1000);
  const to = formatDateTime(series.at(-1).t * 1000);
  text.textContent = `From ${from} to ${to}: peak ${formatCount(peak.packets)} packets/s ` +
    `(${formatBytes(peak.bytes)}/s) at ${formatDateTime(peak.t * 1000)}, average ` +
    `${formatCount(packets / series.length)} packets/s.`;
}

function renderTitle() {
  const seconds = selectedSeconds();
  $("chart-title").textContent = `Packets/s and bytes/s, last ${formatDuration(seconds)}` +
    (seconds > storedSeconds ? ` (${formatDuration(storedSeconds)} stored)` : "");
}

/** The range choices: 5 minutes up to what the engine stores. */
function renderRanges() {
  const select = $("chart-range");
  const current = selectedSeconds();
  const choices = RANGES.filter((s) => s < storedSeconds);
  choices.push(storedSeconds);
  select.replaceChildren(
    ...choices.map((s) =>
      new Option(`${formatDuration(s)}${s === storedSeconds ? " (all stored)" : ""}`, String(s))
    ),
  );
  select.value = String(
    choices.includes(current) ? current : Math.min(DEFAULT_SECONDS, storedSeconds),
  );
}

/** A summary view (event or GET /api/summary): redraws the chart for the selected range. */
export function renderChart(view) {
  lastView = view;
  const stored = view.series_seconds ?? storedSeconds;
  if (stored !== storedSeconds || $("chart-range").options.length === 0) {
    storedSeconds = stored;
    renderRanges();
    renderTitle();
  }
  // Summary events carry the default 5 minutes; a longer range is asked for (at most every 5 s).
  if (selectedSeconds() === (view.chart_seconds ?? DEFAULT_SECONDS)) {
    drawSeries(sinceFirstPacket(view.series, view.summary));
  } else if (longRangeTimer === null) {
    longRangeTimer = setTimeout(() => {
      longRangeTimer = null;
    }, 5000);
    loadRange();
  }
}

// A file shorter than the range is drawn over its own time span, not padded with empty minutes.
function sinceFirstPacket(series, summary) {
  const first = summary?.first_seen ?? -1;
  if (first < 0) return series;
  const firstSecond = Math.floor(first / 1e6);
  return series.filter((point) => point.t >= firstSecond);
}

async function loadRange() {
  try {
    const view = await api(`/api/summary?seconds=${selectedSeconds()}`);
    drawSeries(sinceFirstPacket(view.series, view.summary));
  } catch (error) {
    $("chart-summary").textContent = error.message;
  }
}

/** Wires the range picker and the zoom reset. */
export function initChart() {
  renderRanges();
  renderTitle();
  $("chart-range").addEventListener("change", () => {
    renderTitle();
    zoomed = false;
    $("chart-reset").hidden = true;
    loadRange();
  });
  $("chart-reset").addEventListener("click", resetZoom);
}
