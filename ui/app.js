// Anomaly's page: plain JavaScript, no build step. Every string that comes from the server (and so
// possibly from packets) goes into the page as text (textContent, option.text), never as HTML.
// An ES module (type="module"); its modules format.js and chart.js are served beside it.
import {
  $,
  cell,
  clip,
  fillTable,
  formatBytes,
  formatCount,
  formatScaled,
  formatTime,
  setText,
} from "./format.js";
import { renderChart } from "./chart.js";

const MAX_ROWS = 500;

let token = sessionStorage.getItem("anomaly-token") ?? "";
let status = null;
/** alert_id -> { record, row } */
const alertRows = new Map();
let eventsController = null;

// A token may come in the URL's fragment (never sent to the server): #token=...
if (location.hash.startsWith("#token=")) {
  token = decodeURIComponent(location.hash.slice("#token=".length));
  sessionStorage.setItem("anomaly-token", token);
  history.replaceState(null, "", location.pathname);
}

function headers(extra = {}) {
  return token === "" ? extra : { ...extra, Authorization: `Bearer ${token}` };
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new Error("This UI needs its token: enter it below");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function post(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

// ---- state ----

function stateText(s) {
  const where = s.mode === "file" ? `reading ${s.source}` : `capturing on ${s.source}`;
  switch (s.state) {
    case "idle":
      return s.mode === "file" ? "Idle: press Start to read the file" : "Idle: press Start";
    case "starting":
      return `Starting (${s.source})…`;
    case "capturing":
      return `${where[0].toUpperCase()}${where.slice(1)} since ${formatTime(s.since)}` +
        (s.filter ? ` (filter: ${clip(s.filter, 80)})` : "");
    case "stopping":
      return "Stopping: writing the final records…";
    case "stopped":
      return `Stopped at ${formatTime(s.endedAt)} (${s.source})`;
    case "error":
      return `Error: ${s.message ?? "unknown"}`;
    default:
      return s.state;
  }
}

function renderStatus(s) {
  status = s;
  const state = $("state");
  state.textContent = stateText(s);
  state.className = `state state-${s.state}`;
  state.dataset.state = s.state;
  const active = s.state === "starting" || s.state === "capturing" || s.state === "stopping";
  $("start").disabled = active;
  // Stop also abandons a start whose filter libpcap is still compiling.
  $("stop").disabled = s.state !== "capturing" && s.state !== "starting";
  $("interface").disabled = active;
  $("filter").disabled = active;
  const file = s.mode === "file";
  $("interface-field").hidden = file;
  $("file-field").hidden = !file;
  if (file) setText("file-name", s.defaults.read ?? "");
  if (s.state === "error") showMessage(s.message);
  else if (active) showMessage(null);
  showWriteWarning(s.warning);
  const saved = $("saved");
  if (s.saved && (s.state === "stopped" || s.state === "error")) {
    const where = s.saved.path ?? "memory only (no log directory)";
    saved.textContent = `Saved ${formatCount(s.saved.records)} records to ${where}: ` +
      `${formatCount(s.saved.alerts)} alert${s.saved.alerts === 1 ? "" : "s"}, ` +
      `${formatCount(s.saved.packets)} packets.` +
      (s.saved.writeFailures > 0 ? ` ${s.saved.writeFailures} records could not be written.` : "");
    saved.hidden = false;
  } else {
    saved.hidden = true;
  }
}

// Writing records failed (disk full, log directory gone) or resumed after losing some: shown above
// the controls until the next Start, so it is seen even though capture goes on.
function showWriteWarning(text) {
  let box = $("write-warning");
  if (box === null) {
    box = document.createElement("p");
    box.id = "write-warning";
    box.className = "warning";
    box.setAttribute("role", "alert");
    $("capture-form").before(box);
  }
  if (box.textContent !== (text ?? "")) box.textContent = text ?? "";
  box.hidden = !text;
}

function showMessage(text) {
  const message = $("message");
  message.textContent = text ?? "";
  message.hidden = !text;
}

// ---- alerts ----

function alertMatches(record) {
  const severity = $("severity-filter").value;
  const detector = $("detector-filter").value;
  if (severity !== "" && String(record.alert?.severity) !== severity) return false;
  if (detector !== "" && record.detection?.detector !== detector) return false;
  return true;
}

function addDetectorOption(name) {
  const select = $("detector-filter");
  if (!name || [...select.options].some((o) => o.value === name)) return;
  select.add(new Option(name, name));
}

function alertRow(record) {
  const d = record.detection ?? {};
  const a = record.alert ?? {};
  const tr = document.createElement("tr");
  tr.dataset.detector = d.detector ?? "";
  tr.dataset.state = d.state ?? "";
  tr.className = `severity-${a.severity ?? 0}`;
  const ports = (ip, port) => ip === undefined ? "" : port === undefined ? ip : `${ip}:${port}`;
  const src = ports(record.src_ip, record.src_port);
  const dst = ports(record.dest_ip, record.dest_port);
  cell(tr, formatTime(record.timestamp), "time");
  cell(tr, String(a.severity ?? ""), "severity");
  cell(tr, d.detector ?? "", "detector");
  cell(tr, [src, dst].filter(Boolean).join(" → "), "hosts");
  const evidence = cell(tr, a.signature ?? "", "evidence");
  if (d.explanation) evidence.title = d.explanation;
  cell(tr, d.state ?? "", `alert-state state-${d.state}`);
  cell(tr, formatCount(d.count), "count");
  return tr;
}

function addAlert(record) {
  const id = record.detection?.alert_id ?? `${Math.random()}`;
  addDetectorOption(record.detection?.detector);
  const row = alertRow(record);
  row.hidden = !alertMatches(record);
  const old = alertRows.get(id);
  if (old) old.row.remove();
  alertRows.set(id, { record, row });
  $("alerts").prepend(row);
  while (alertRows.size > MAX_ROWS) {
    const [oldest] = alertRows.keys();
    alertRows.get(oldest).row.remove();
    alertRows.delete(oldest);
  }
  updateEmpty();
}

function applyAlertFilters() {
  for (const { record, row } of alertRows.values()) row.hidden = !alertMatches(record);
  updateEmpty();
}

function updateEmpty() {
  const visible = [...alertRows.values()].some(({ row }) => !row.hidden);
  const empty = $("no-alerts");
  empty.hidden = visible;
  empty.textContent = alertRows.size === 0 ? "No alerts yet." : "No alert matches the filters.";
}

async function loadAlerts() {
  const { alerts } = await api("/api/alerts?limit=500");
  alertRows.clear();
  $("alerts").replaceChildren();
  for (const record of alerts.toReversed()) addAlert(record);
  updateEmpty();
}

// ---- summary ----

function renderSummary(view) {
  const s = view.summary;
  const live = view.rate.basis === "last_second";
  setText("pps-label", live ? "Packets/s (last second)" : "Packets/s (average)");
  setText("bps-label", live ? "Bits/s (last second)" : "Bits/s (average)");
  setText("pps", formatCount(view.rate.pps));
  setText("bps", formatScaled(view.rate.bps, "bit/s"));
  if (s) {
    setText("packets", formatCount(s.packets));
    setText("bytes", formatBytes(s.bytes));
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
    fillTable(
      "talkers",
      s.top_sources_by_packets.map((h) => [h.ip, formatCount(h.packets), formatBytes(h.bytes)]),
    );
    fillTable(
      "destinations",
      s.top_destinations_by_packets.map((
        h,
      ) => [h.ip, formatCount(h.packets), formatBytes(h.bytes)]),
    );
    fillTable(
      "ports",
      s.top_dest_ports.map((p) => [`${p.proto} ${p.port}`, formatCount(p.packets)]),
    );
  }
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
  renderChart(view.series);
}

// ---- event stream (fetch, so the token travels in a header) ----

let following = false;

async function followEvents() {
  if (following) return;
  following = true;
  for (;;) {
    eventsController = new AbortController();
    try {
      const response = await fetch("/api/events", {
        headers: headers({ Accept: "text/event-stream" }),
        signal: eventsController.signal,
      });
      if (response.status === 401) {
        $("token-form").hidden = false;
        following = false;
        return;
      }
      if (!response.ok || !response.body) throw new Error(`${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handleEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // reconnect below
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await refresh().catch(() => {});
  }
}

function handleEvent(block) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join("\n"));
  if (type === "state") {
    const wasActive = status?.state === "starting";
    renderStatus(payload);
    if (payload.state === "capturing" && wasActive) loadAlerts().catch(() => {});
  } else if (type === "alert") addAlert(payload);
  else if (type === "summary") renderSummary(payload);
}

// ---- controls ----

async function loadInterfaces() {
  const { interfaces, default: preferred } = await api("/api/interfaces");
  const select = $("interface");
  const current = select.value;
  select.replaceChildren(
    ...interfaces.map((device) => {
      const addresses = device.addresses.map((a) => a.address).join(", ") || "no address";
      const flags = [device.up ? "up" : "down", device.loopback ? "loopback" : ""].filter(Boolean);
      const option = new Option(`${device.name} (${addresses}; ${flags.join(", ")})`, device.name);
      return option;
    }),
  );
  const names = interfaces.map((d) => d.name);
  select.value = names.includes(current) ? current : preferred ?? names[0] ?? "";
}

async function start(event) {
  event.preventDefault();
  showMessage(null);
  const body = { filter: $("filter").value };
  if (status?.mode !== "file" && $("interface").value !== "") body.interface = $("interface").value;
  $("start").disabled = true;
  try {
    renderStatus(await post("/api/start", body));
    await loadAlerts();
  } catch (error) {
    showMessage(error.message);
    await refresh().catch(() => {});
  }
}

async function stop() {
  $("stop").disabled = true;
  try {
    renderStatus(await post("/api/stop", {}));
  } catch (error) {
    showMessage(error.message);
    await refresh().catch(() => {});
  }
}

async function refresh() {
  const s = await api("/api/status");
  renderStatus(s);
  if ($("filter").value === "" && s.filter) $("filter").value = s.filter;
  renderSummary(await api("/api/summary"));
}

async function init() {
  $("capture-form").addEventListener("submit", start);
  $("stop").addEventListener("click", stop);
  $("severity-filter").addEventListener("change", applyAlertFilters);
  $("detector-filter").addEventListener("change", applyAlertFilters);
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("anomaly-token", token);
    $("token-form").hidden = true;
    boot();
  });
  await boot();
}

async function boot() {
  try {
    await refresh();
    if (status.mode !== "file") await loadInterfaces();
    await loadAlerts();
    followEvents();
  } catch (error) {
    showMessage(error.message);
  }
}

init();
