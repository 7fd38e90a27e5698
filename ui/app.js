// Anomaly's page: plain JavaScript ES modules, no build step. Every string that comes from the
// server (and so possibly from packets) goes into the page as text (textContent, option.text),
// never as HTML. This module boots the page, follows the event stream and routes the views:
// the dashboard, #alert=ID (one alert) and #host=IP (one host). Its modules are served beside it.
import { headers, setToken, takeTokenFromUrl } from "./api.js";
import { $ } from "./format.js";
import { initAlertList, loadAlerts, onAlertRecord } from "./alerts.js";
import { showAlert } from "./alert_view.js";
import { showHost } from "./host_view.js";
import { renderSummary } from "./summary.js";
import { initChart } from "./chart.js";
import { api } from "./api.js";
import {
  currentStatus,
  loadInterfaces,
  refreshStatus,
  renderStatus,
  showMessage,
  start,
  stop,
  watchFields,
} from "./status.js";

takeTokenFromUrl();

// ---- views ----

/** Shows the view the URL's fragment names: #alert=ID, #host=IP, or the dashboard. */
async function route() {
  const match = /^#(alert|host)=(.+)$/.exec(location.hash);
  const detail = $("detail");
  const dashboard = $("dashboard");
  if (match === null) {
    detail.hidden = true;
    dashboard.hidden = false;
    document.title = "Anomaly";
    return;
  }
  const [, kind, raw] = match;
  const value = decodeURIComponent(raw);
  dashboard.hidden = true;
  detail.hidden = false;
  const body = $("detail-body");
  body.replaceChildren();
  $("detail-error").hidden = true;
  body.setAttribute("aria-busy", "true");
  try {
    if (kind === "alert") await showAlert(body, value);
    else await showHost(body, value);
    document.title = `Anomaly: ${kind} ${value}`;
    $("detail-title")?.focus();
  } catch (error) {
    $("detail-error").textContent = error.message;
    $("detail-error").hidden = false;
  } finally {
    body.removeAttribute("aria-busy");
  }
}

// ---- event stream (fetch, so the token travels in a header) ----

let following = false;

async function followEvents() {
  if (following) return;
  following = true;
  for (;;) {
    try {
      const response = await fetch("/api/events", {
        headers: headers({ Accept: "text/event-stream" }),
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
    const wasStarting = currentStatus()?.state === "starting";
    renderStatus(payload);
    if (payload.state === "capturing" && wasStarting) loadAlerts();
  } else if (type === "alert") onAlertRecord(payload);
  else if (type === "summary") renderSummary(payload);
}

// ---- boot ----

async function refresh() {
  await refreshStatus();
  renderSummary(await api("/api/summary"));
}

async function boot() {
  try {
    await refresh();
    if (currentStatus().mode !== "file") await loadInterfaces();
    await loadAlerts();
    followEvents();
  } catch (error) {
    showMessage(error.message);
  }
}

function init() {
  $("capture-form").addEventListener("submit", (event) => {
    event.preventDefault();
    start(loadAlerts);
  });
  $("stop").addEventListener("click", stop);
  watchFields();
  initAlertList();
  initChart();
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setToken($("token").value.trim());
    $("token-form").hidden = true;
    boot();
  });
  addEventListener("hashchange", route);
  route();
  boot();
}

init();
