// Anomaly's page: formatting of numbers and times, and text into the page (textContent only,
// never HTML). A module of the page script (app.js), served beside it.

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

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString();
}

export function setText(id, text) {
  const element = $(id);
  if (element.textContent !== text) element.textContent = text;
}

export function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
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
