// Anomaly's page: the alert list. It asks the server for one item per alert (its latest record
// plus "triage": start, end, duration, acknowledged) filtered, searched and sorted there, so that
// what is shown, and what Export writes, is the same list, past runs included. Live records
// refresh it (at most once a second) and new alerts are announced to screen readers.
import { api, download, post } from "./api.js";
import {
  $,
  cell,
  element,
  formatCount,
  formatDateTime,
  formatDuration,
  hostLink,
  severityBadge,
  severityWord,
  viewLink,
} from "./format.js";

const LIST_LIMIT = 500;
const EXPORT_LIMIT = 1000;
const IP_PATTERN = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]+)$/i;

let items = [];
let total = 0;
let refreshTimer = null;
let searchTimer = null;

/** The list's query parameters from the filters, the search box and the sort. */
export function listQuery() {
  const params = new URLSearchParams();
  const search = $("alert-search").value.trim();
  if (search !== "") params.set(IP_PATTERN.test(search) ? "ip" : "q", search);
  for (
    const [id, name] of [
      ["severity-filter", "severity"],
      ["detector-filter", "detector"],
      ["state-filter", "state"],
      ["acked-filter", "acked"],
    ]
  ) {
    const value = $(id).value;
    if (value !== "") params.set(name, value);
  }
  const [sort, order] = $("alert-sort").value.split(":");
  if (sort !== "time" || order !== "desc") {
    params.set("sort", sort);
    params.set("order", order);
  }
  return params;
}

/** Timing of an alert: from its triage, or from its record's first_seen/last_seen. */
export function timing(item) {
  const t = item.triage ?? {};
  const d = item.detection ?? {};
  const started = t.started ?? d.first_seen ?? item.timestamp;
  const last = t.last ?? d.last_seen ?? item.timestamp;
  const ended = t.ended !== undefined ? t.ended : d.state === "end" ? last : null;
  const duration = t.duration_s ?? Math.max(0, (Date.parse(last) - Date.parse(started)) / 1000);
  return { started, ended, duration };
}

/** One alert as a table row (a card on a phone): every cell labelled, nothing in a tooltip. */
export function alertRow(item, { onAck } = {}) {
  const d = item.detection ?? {};
  const a = item.alert ?? {};
  const { started, ended, duration } = timing(item);
  const tr = document.createElement("tr");
  tr.dataset.alertId = d.alert_id ?? "";
  tr.dataset.detector = d.detector ?? "";
  tr.dataset.state = d.state ?? "";
  tr.className = `severity-${severityWord(a.severity)}`;
  const id = d.alert_id ?? "";
  cell(tr, formatDateTime(started), "time", "Started");
  cell(tr, severityBadge(a.severity), "severity", "Severity");
  cell(tr, d.detector ?? "", "detector", "Detector");
  const hosts = [];
  if (item.src_ip) hosts.push(hostLink(item.src_ip));
  if (item.src_ip && item.dest_ip) hosts.push(" → ");
  if (item.dest_ip) hosts.push(hostLink(item.dest_ip));
  cell(tr, hosts, "hosts", "Source → destination");
  const what = [viewLink(`#alert=${encodeURIComponent(id)}`, a.signature ?? id, "alert-link")];
  // The record's own sentence ("... probed 1000 ports"), else the detector's explanation.
  const sentence = d.message ?? d.explanation;
  if (sentence) what.push(element("p", { className: "explanation", text: sentence }));
  cell(tr, what, "evidence", "Alert");
  const stateText = ended ? `ended ${formatDateTime(ended)}` : d.state === "end" ? "ended" : "open";
  cell(tr, stateText, `alert-state state-${d.state}`, "State");
  cell(tr, formatDuration(duration), "duration", "Duration");
  cell(tr, formatCount(d.count), "count", "Count");
  if (onAck !== undefined) cell(tr, ackButton(item, onAck), "ack", "Acknowledged");
  return tr;
}

/** The Acknowledge toggle of `item`; `onDone(item)` runs once the server stored it. */
export function ackButton(item, onDone) {
  const acked = item.triage?.acked === true;
  const button = element("button", {
    className: acked ? "ack-button acked" : "ack-button",
    text: acked ? "Acknowledged" : "Acknowledge",
    attrs: { type: "button", "aria-pressed": String(acked) },
  });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await acknowledge(item, !acked);
      onDone(item);
    } catch (error) {
      button.disabled = false;
      button.title = error.message;
      showListError(error.message);
    }
  });
  return button;
}

/** Stores `acked` for `item` on the server and in `item.triage`. */
export async function acknowledge(item, acked) {
  const id = item.detection.alert_id;
  const answer = await post(`/api/alerts/${encodeURIComponent(id)}/ack`, { acked });
  item.triage = { ...item.triage, acked: answer.acked, acked_at: answer.acked_at };
}

function showListError(text) {
  const box = $("alerts-error");
  box.textContent = text ?? "";
  box.hidden = !text;
}

function render() {
  const rows = items.map((item) => alertRow(item, { onAck: () => render() }));
  $("alerts").replaceChildren(...rows);
  const empty = $("no-alerts");
  const filtered = listQuery().size > 0;
  empty.hidden = items.length > 0;
  empty.textContent = filtered ? "No alert matches the search and filters." : "No alerts yet.";
  $("alerts-total").textContent = total > items.length
    ? `${formatCount(items.length)} of ${formatCount(total)} alerts`
    : `${formatCount(total)} alert${total === 1 ? "" : "s"}`;
}

/** Loads the list again with the current filters. */
export async function loadAlerts() {
  const params = listQuery();
  params.set("limit", String(LIST_LIMIT));
  try {
    const answer = await api(`/api/alerts?${params}`);
    items = answer.alerts;
    total = answer.total ?? items.length;
    showListError(null);
    for (const item of items) addDetectorOption(item.detection?.detector);
    render();
  } catch (error) {
    showListError(error.message);
  }
}

function addDetectorOption(name) {
  const select = $("detector-filter");
  if (!name || [...select.options].some((o) => o.value === name)) return;
  select.add(new Option(name, name));
}

/** A live alert record: announced when it starts, and the list refreshed soon. */
export function onAlertRecord(record) {
  const d = record.detection ?? {};
  addDetectorOption(d.detector);
  if (d.state === "start") {
    const where = [record.src_ip, record.dest_ip].filter(Boolean).join(" to ");
    announce(
      `New ${severityWord(record.alert?.severity)} severity alert: ${d.detector}` +
        (where ? ` from ${where}` : "") + `. ${record.alert?.signature ?? ""}`,
    );
  }
  refreshTimer ??= setTimeout(() => {
    refreshTimer = null;
    loadAlerts();
  }, 1000);
}

function announce(text) {
  const region = $("announcer");
  // A fresh node per message: screen readers announce additions to the live region.
  region.replaceChildren(element("p", { text }));
}

async function exportList(format) {
  const params = listQuery();
  params.set("limit", String(EXPORT_LIMIT));
  params.set("format", format);
  if (format === "json") params.set("download", "1");
  try {
    const name = await download(`/api/alerts?${params}`, `anomaly-alerts.${format}`);
    $("export-status").textContent = `Exported ${name}`;
  } catch (error) {
    showListError(error.message);
  }
}

/** Wires the search box, the filters, the sort and the export buttons. */
export function initAlertList() {
  $("alert-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadAlerts, 250);
  });
  $("alert-search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    loadAlerts();
  });
  for (const id of ["severity-filter", "detector-filter", "state-filter", "acked-filter"]) {
    $(id).addEventListener("change", loadAlerts);
  }
  $("alert-sort").addEventListener("change", loadAlerts);
  $("export-csv").addEventListener("click", () => exportList("csv"));
  $("export-json").addEventListener("click", () => exportList("json"));
}

/** A compact table of `list` (the host view's alerts). */
export function alertTable(list, onAck) {
  const head = element("thead", {}, [
    element(
      "tr",
      {},
      [
        "Started",
        "Severity",
        "Detector",
        "Source → destination",
        "Alert",
        "State",
        "Duration",
        "Count",
      ]
        .concat(onAck ? ["Acknowledged"] : [])
        .map((text) => element("th", { text, attrs: { scope: "col" } })),
    ),
  ]);
  const body = element("tbody", {}, list.map((item) => alertRow(item, { onAck })));
  return element("div", { className: "table-wrap" }, [
    element("table", { className: "alerts-table" }, [head, body]),
  ]);
}
