// Anomaly's page: the traffic chart (uPlot, embedded with the page and loaded before the page
// script). A module of the page script (app.js), served beside it.

import { $, formatBytes, formatScaled } from "./format.js";

let chart = null;

function chartSize() {
  const width = Math.max(280, $("chart").clientWidth);
  return { width, height: width < 600 ? 180 : 240 };
}

export function renderChart(series) {
  if (typeof uPlot === "undefined") return;
  const data = [
    series.map((p) => p.t),
    series.map((p) => p.packets),
    series.map((p) => p.bytes),
  ];
  if (chart === null) {
    chart = new uPlot(
      {
        ...chartSize(),
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, pkts: { auto: true }, bytes: { auto: true } },
        series: [
          {},
          {
            label: "packets/s",
            scale: "pkts",
            stroke: "#2563eb",
            width: 2,
            fill: "rgba(37,99,235,0.08)",
          },
          { label: "bytes/s", scale: "bytes", stroke: "#d97706", width: 1.5, dash: [6, 3] },
        ],
        axes: [
          {},
          { scale: "pkts", values: (_, ticks) => ticks.map((v) => formatScaled(v, "")) },
          {
            scale: "bytes",
            side: 1,
            grid: { show: false },
            values: (_, ticks) => ticks.map((v) => formatBytes(v)),
            size: 70,
          },
        ],
      },
      data,
      $("chart"),
    );
    new ResizeObserver(() => chart.setSize(chartSize())).observe($("chart"));
  } else {
    chart.setData(data);
  }
}
