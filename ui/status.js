// Anomaly's page: the capture's state in the header, the Start/Stop controls, the interface
// picker, and the errors: a refused Start (a bad filter or device) is shown next to its field for
// this viewer only; the shared state stays as it was for everyone.
import { api, ApiError, post } from "./api.js";
import { $, clip, formatCount, formatDateTime, setText } from "./format.js";

let status = null;

/** The last status rendered (null before the first). */
export function currentStatus() {
  return status;
}

function stateText(s) {
  const where = s.mode === "file" ? `reading ${s.source}` : `capturing on ${s.source}`;
  switch (s.state) {
    case "idle":
      return s.mode === "file" ? "Idle: press Start to read the file" : "Idle: press Start";
    case "starting":
      return `Starting (${s.source})…`;
    case "capturing":
      return `${where[0].toUpperCase()}${where.slice(1)} since ${formatDateTime(s.since)}` +
        (s.filter ? ` (filter: ${clip(s.filter, 80)})` : "");
    case "stopping":
      return "Stopping: writing the final records…";
    case "stopped":
      return `Stopped at ${formatDateTime(s.endedAt)} (${s.source})`;
    case "error":
      return `Error: ${s.message ?? "unknown"}`;
    default:
      return s.state;
  }
}

export function renderStatus(s) {
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

export function showMessage(text) {
  const message = $("message");
  message.textContent = text ?? "";
  message.hidden = !text;
}

/** Shows `text` under the field `name` ("filter" or "interface"), or clears both on null. */
function showFieldError(name, text) {
  for (const field of ["filter", "interface"]) {
    const box = $(`${field}-error`);
    const mine = field === name && text;
    box.textContent = mine ? text : "";
    box.hidden = !mine;
    $(field).setAttribute("aria-invalid", mine ? "true" : "false");
  }
}

export async function loadInterfaces() {
  const { interfaces, default: preferred } = await api("/api/interfaces");
  const select = $("interface");
  const current = select.value;
  select.replaceChildren(
    ...interfaces.map((device) => {
      const addresses = device.addresses.map((a) => a.address).join(", ") || "no address";
      const flags = [device.up ? "up" : "down", device.loopback ? "loopback" : ""].filter(Boolean);
      return new Option(`${device.name} (${addresses}; ${flags.join(", ")})`, device.name);
    }),
  );
  const names = interfaces.map((d) => d.name);
  select.value = names.includes(current) ? current : preferred ?? names[0] ?? "";
}

/** Presses Start; `onStarted` runs once the capture is on. */
export async function start(onStarted) {
  showMessage(null);
  showFieldError(null, null);
  const body = { filter: $("filter").value };
  if (status?.mode !== "file" && $("interface").value !== "") body.interface = $("interface").value;
  $("start").disabled = true;
  try {
    renderStatus(await post("/api/start", body));
    await onStarted();
  } catch (error) {
    const field = error instanceof ApiError && error.status === 400
      ? error.field ?? guessField(error.message)
      : null;
    if (field !== null) {
      showFieldError(field, error.message);
      $(field).focus();
    } else {
      showMessage(error.message);
    }
    await refreshStatus().catch(() => {});
  }
}

// A server without the error's "field" still names the filter or the device in its message.
function guessField(message) {
  if (/filter/i.test(message)) return "filter";
  return /device|interface/i.test(message) ? "interface" : null;
}

export async function stop() {
  $("stop").disabled = true;
  try {
    renderStatus(await post("/api/stop", {}));
  } catch (error) {
    showMessage(error.message);
    await refreshStatus().catch(() => {});
  }
}

export async function refreshStatus() {
  const s = await api("/api/status");
  renderStatus(s);
  if ($("filter").value === "" && s.filter) $("filter").value = s.filter;
  return s;
}

/** Clears the field errors once the user edits the field. */
export function watchFields() {
  for (const field of ["filter", "interface"]) {
    $(field).addEventListener("input", () => showFieldError(null, null));
  }
}
