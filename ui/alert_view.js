// Anomaly's page: one alert, opened at #alert=ID: every field of its latest record, its timeline
// (every record, oldest first), the evidence behind it with true totals, links to both hosts and
// its pcap, and the Acknowledge toggle.
import { api, download } from "./api.js";
import { ackButton, timing } from "./alerts.js";
import {
  cell,
  element,
  formatCount,
  formatDateTime,
  formatDuration,
  hostLink,
  severityBadge,
} from "./format.js";

const TIME_FIELD = /(^|\.)(timestamp|first_seen|last_seen|started|last|ended|acked_at)$/;

/** Renders alert `id` into `container`. */
export async function showAlert(container, id) {
  const answer = await api(`/api/alerts/${encodeURIComponent(id)}`);
  const item = answer.alert;
  const d = item.detection ?? {};
  const a = item.alert ?? {};
  const { started, ended, duration } = timing(item);
  const rerender = () => showAlert(container, id);
  container.replaceChildren(
    element("h2", { attrs: { id: "detail-title", tabindex: "-1" } }, [
      severityBadge(a.severity),
      ` ${a.signature ?? d.detector ?? id}`,
    ]),
    element("p", { className: "explanation", text: d.message ?? "" }),
    element("p", { className: "explanation", text: d.explanation ?? "" }),
    keyFacts([
      ["Alert", id],
      ["Detector", d.detector ?? ""],
      ["Source", item.src_ip ? hostLink(item.src_ip) : "none"],
      ["Destination", item.dest_ip ? hostLink(item.dest_ip) : "none"],
      ["Started", formatDateTime(started)],
      ["Ended", ended ? formatDateTime(ended) : "still open"],
      ["Duration", formatDuration(duration)],
      ["Records", formatCount(item.triage?.records ?? answer.timeline?.length)],
    ]),
    element("div", { className: "detail-actions" }, [
      ackButton(item, rerender),
      pcapControl(item, id),
    ]),
    section("Evidence", evidenceList(answer.evidence ?? {})),
    section("Timeline", timelineTable(answer.timeline ?? [])),
    section("Every field", fieldList(item)),
  );
}

function section(title, content) {
  return element("section", { className: "detail-section" }, [
    element("h3", { text: title }),
    content,
  ]);
}

/** A definition list of [name, value] pairs (values are text or elements). */
export function keyFacts(pairs) {
  return element(
    "dl",
    { className: "facts" },
    pairs.map(([name, value]) =>
      element("div", {}, [element("dt", { text: name }), element("dd", {}, [value])])
    ),
  );
}

function pcapControl(item, id) {
  if (!item.triage?.pcap) {
    return element("span", { className: "muted", text: "No pcap kept for this alert" });
  }
  const button = element("button", {
    className: "pcap-link",
    text: "Download pcap",
    attrs: { type: "button", id: "pcap-download" },
  });
  const note = element("span", { className: "muted", attrs: { role: "status" } });
  button.addEventListener("click", async () => {
    try {
      note.textContent = `Saved ${await download(
        `/api/alerts/${encodeURIComponent(id)}/pcap`,
        `${id}.pcap`,
      )}`;
    } catch (error) {
      note.textContent = error.message;
    }
  });
  return element("span", {}, [button, " ", note]);
}

/** Evidence: lists with "N shown of TOTAL", numbers as they are. */
function evidenceList(evidence) {
  const pairs = [];
  for (const [key, value] of Object.entries(evidence)) {
    if (key.endsWith("_total")) continue;
    if (Array.isArray(value)) {
      const totalValue = evidence[`${key}_total`] ?? value.length;
      const shown = value.map((v) => typeof v === "object" ? JSON.stringify(v) : String(v));
      const head = value.length < totalValue
        ? `${formatCount(totalValue)} (${formatCount(value.length)} listed): `
        : `${formatCount(totalValue)}: `;
      pairs.push([
        key,
        element("span", { className: `evidence-${key}` }, [head + shown.join(", ")]),
      ]);
    } else {
      pairs.push([key, typeof value === "object" ? JSON.stringify(value) : String(value)]);
    }
  }
  for (const [key, value] of Object.entries(evidence)) {
    if (key.endsWith("_total") && !(key.slice(0, -6) in evidence)) {
      pairs.push([key, formatCount(value)]);
    }
  }
  if (pairs.length === 0) return element("p", { className: "muted", text: "No evidence recorded" });
  return keyFacts(pairs);
}

function timelineTable(timeline) {
  const head = element("thead", {}, [
    element(
      "tr",
      {},
      ["Time", "State", "Count", "Observed", "Peak", "Explanation"].map((text) =>
        element("th", { text, attrs: { scope: "col" } })
      ),
    ),
  ]);
  const rows = timeline.map((record) => {
    const d = record.detection ?? {};
    const tr = element("tr", { className: `timeline-${d.state}` });
    cell(tr, formatDateTime(record.timestamp), "time", "Time");
    cell(tr, d.state ?? "", `alert-state state-${d.state}`, "State");
    cell(tr, formatCount(d.count), "count", "Count");
    cell(tr, d.observed === undefined ? "" : String(d.observed), "count", "Observed");
    cell(tr, d.peak === undefined ? "" : String(d.peak), "count", "Peak");
    cell(tr, d.explanation ?? "", "evidence", "Explanation");
    return tr;
  });
  return element("div", { className: "table-wrap" }, [
    element("table", { className: "timeline", attrs: { id: "timeline" } }, [
      head,
      element("tbody", {}, rows),
    ]),
  ]);
}

/** Every field of the record, nested objects flattened to dotted names; times with dates. */
function fieldList(record) {
  const pairs = [];
  const walk = (value, path) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
      return;
    }
    let text = Array.isArray(value) ? value.join(", ") : String(value);
    if (TIME_FIELD.test(path) && typeof value === "string") {
      text = `${formatDateTime(value)} (${value})`;
    }
    pairs.push([path, text]);
  };
  walk(record, "");
  const list = keyFacts(pairs);
  list.classList.add("fields");
  list.id = "alert-fields";
  return list;
}
