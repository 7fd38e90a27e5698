// Anomaly's page: formatting of numbers, times, durations and severities, and text into the page
// (textContent only, never HTML). A module of the page script (app.js), served beside it.

const numberFormat = new Intl.NumberFormat();

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

export function formatCount(n) {
  return numberFormat.format(Math.round(n ?? 0));
}

export function formatScaled(n, unit, base = 1000) {
  const prefixes = ["", "k", "M", "G", "T"];
  let value = n ?? 0, i = 0;
  while (Math.abs(value) >= base && i < prefixes.length - 1) {
    value /= base;
    i++;
  }
  const digits = i === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${prefixes[i]}${unit}`;
}

export function formatBytes(n) {
  return formatScaled(n, "B", 1024).replace(/ ([kMGT])B$/, " $1iB");
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** A date (ISO text, Date or epoch ms) as "2024-05-01 13:04:05" in local time; "" without one. */
export function formatDateTime(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Every time on the page carries its date (kept as the old name for the modules using it). */
export const formatTime = formatDateTime;

/** Packet time in microseconds (summary first_seen/last_seen) as a date and time. */
export function formatMicros(us) {
  return us === null || us === undefined || us < 0 ? "" : formatDateTime(us / 1000);
}

/** Seconds as "850 ms", "42 s", "3 min 5 s", "2 h 3 min" or "3 d 4 h". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86400) {
    const m = Math.floor(s / 60) % 60;
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
  }
  const h = Math.floor(s / 3600) % 24;
  return `${Math.floor(s / 86400)} d${h ? ` ${h} h` : ""}`;
}

/** Suricata's severities in words: 1 is the most severe. */
const SEVERITY_WORDS = { 1: "high", 2: "medium", 3: "low" };

/** A severity number in words ("high", "medium", "low", else "info"). */
export function severityWord(severity) {
  return SEVERITY_WORDS[severity] ?? "info";
}

/** A badge for `severity`: its word, its number, and its colour (a class per level). */
export function severityBadge(severity) {
  const word = severityWord(severity);
  return element("span", {
    className: `badge severity-badge sev-${word}`,
    text: severity === undefined ? word : `${word} (${severity})`,
  });
}

/**
 * A new element: `options.text` as its text, `options.className`, `options.attrs` (attributes),
 * then `children` (elements or strings, as text).
 */
export function element(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

/** A link to the page's own view `hash` (e.g. "#host=10.0.0.1"). */
export function viewLink(hash, text, className) {
  return element("a", { text, className, attrs: { href: hash } });
}

/** A link to host `ip`'s view. */
export function hostLink(ip) {
  return viewLink(`#host=${encodeURIComponent(ip)}`, ip, "host-link");
}

export function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

export function cell(row, content, className, label) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else if (Array.isArray(content)) td.append(...content);
  else td.textContent = content;
  if (className) td.className = className;
  // The phone layout shows each cell with its column name (td::before reads data-label).
  if (label) td.dataset.label = label;
  row.append(td);
  return td;
}

export function fillTable(id, rows) {
  const body = $(id);
  body.replaceChildren(
    ...rows.map((values) => {
      const tr = document.createElement("tr");
      for (const value of values) cell(tr, value);
      return tr;
    }),
  );
}

/** The first `max` characters of `text`, with "…" when it is longer. */
export function clip(text, max) {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `ip:port`, or `ip` without a port. */
export function endpoint(ip, port) {
  return ip === undefined || ip === null ? "" : port === undefined ? ip : `${ip}:${port}`;
}
