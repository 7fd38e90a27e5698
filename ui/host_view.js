// Anomaly's page: one host, opened at #host=IP: its traffic (sent and received, rate, protocols,
// top peers and ports from the live summary) and its alerts as source and as target, past runs
// included.
import { api } from "./api.js";
import { alertTable } from "./alerts.js";
import { keyFacts } from "./alert_view.js";
import { element, formatBytes, formatCount, formatScaled, hostLink } from "./format.js";

/** Renders host `ip` into `container`. */
export async function showHost(container, ip) {
  const answer = await api(`/api/hosts/${encodeURIComponent(ip)}`);
  const rerender = () => showHost(container, ip);
  const totals = answer.alerts_total ?? {};
  const asSource = answer.alerts?.as_source ?? [];
  const asTarget = answer.alerts?.as_target ?? [];
  container.replaceChildren(
    element("h2", {
      text: `Host ${answer.ip ?? ip}`,
      attrs: { id: "detail-title", tabindex: "-1" },
    }),
    trafficSection(answer.traffic),
    alertSection(
      "host-as-source",
      `Alerts with ${ip} as source (${formatCount(totals.as_source ?? asSource.length)})`,
      asSource,
      rerender,
    ),
    alertSection(
      "host-as-target",
      `Alerts with ${ip} as target (${formatCount(totals.as_target ?? asTarget.length)})`,
      asTarget,
      rerender,
    ),
  );
}

function trafficSection(traffic) {
  const children = [element("h3", { text: "Traffic" })];
  if (traffic === null || traffic === undefined) {
    children.push(element("p", {
      className: "muted",
      text: "Not in the current capture's summary (only the busiest hosts are tracked there).",
    }));
  } else {
    children.push(keyFacts([
      ["Sent", `${formatCount(traffic.packets_sent)} packets, ${formatBytes(traffic.bytes_sent)}`],
      [
        "Received",
        `${formatCount(traffic.packets_received)} packets, ${formatBytes(traffic.bytes_received)}`,
      ],
      ["Rate", formatScaled(traffic.rate_pps, "packets/s")],
      ["Protocols", protocolsText(traffic.protocols)],
    ]));
    children.push(detailNote(traffic));
    children.push(
      listTable("Top peers", ["Peer", "Packets", "Bytes"], traffic.top_peers ?? [], (p) => [
        p.ip ? hostLink(p.ip) : String(p.peer ?? ""),
        formatCount(p.packets),
        formatBytes(p.bytes),
      ]),
      listTable("Top ports", ["Port", "Packets"], traffic.top_ports ?? [], (p) => [
        `${p.proto ?? ""} ${p.port ?? ""}`.trim(),
        formatCount(p.packets),
      ]),
    );
  }
  return element(
    "section",
    { className: "detail-section", attrs: { id: "host-traffic" } },
    children,
  );
}

/** Says since when top peers and ports were counted: they are partial (or off). */
function detailNote(traffic) {
  if (traffic.top_peers === null || traffic.top_peers === undefined) {
    return element("p", {
      className: "muted",
      text: "Top peers and ports are off (summary.watched_hosts is 0).",
    });
  }
  const by = (traffic.detail_watched_by ?? []).map((r) => r === "alert" ? "an alert" : "opening it")
    .join(" and ");
  const since = traffic.detail_since ? new Date(traffic.detail_since).toLocaleString() : "now";
  return element("p", {
    className: "muted",
    attrs: { id: "host-detail-since" },
    text: `Top peers and ports are partial: counted since ${since} (watched because of ${
      by || "opening it"
    }), ${formatCount(traffic.detail_packets ?? 0)} packets so far. Reload for newer counts.`,
  });
}

function protocolsText(protocols) {
  const entries = Object.entries(protocols ?? {})
    .map(([name, v]) => [name, typeof v === "number" ? v : v?.packets ?? 0])
    .filter(([, packets]) => packets > 0)
    .sort((a, b) => b[1] - a[1]);
  return entries.map(([name, packets]) => `${name} ${formatCount(packets)}`).join(", ") || "none";
}

function listTable(title, columns, rows, toCells) {
  const head = element(
    "tr",
    {},
    columns.map((text) => element("th", { text, attrs: { scope: "col" } })),
  );
  const body = rows.map((row) =>
    element("tr", {}, toCells(row).map((value) => element("td", {}, [value])))
  );
  return element("div", { className: "table-wrap" }, [
    element("h4", { text: title }),
    element("table", {}, [element("thead", {}, [head]), element("tbody", {}, body)]),
  ]);
}

function alertSection(id, title, list, onAck) {
  return element("section", { className: "detail-section", attrs: { id } }, [
    element("h3", { text: title }),
    list.length === 0
      ? element("p", { className: "muted", text: "None." })
      : alertTable(list, onAck),
  ]);
}
