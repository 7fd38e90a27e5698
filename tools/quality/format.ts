/**
 * @module format
 * The quality report as readable text: captures (those with alerts or a problem; all of them,
 * with their alerts, when verbose), expectations per incident, then the totals block.
 */
import { alertLine, type CaptureReport, type QualityReport, type Spread } from "./report.ts";
import type { ExpectedAlert } from "./expect.ts";

/** The text report. */
export function formatReport(report: QualityReport, verbose: boolean): string {
  const out: string[] = [];
  const t = report.totals;
  out.push(`Anomaly quality: ${report.dir} (${t.captures} captures, ${report.seconds} s)`, "");
  const listed = report.captures.filter((c) => verbose || c.starts.length > 0 || c.status !== "ok");
  const hidden = report.captures.length - listed.length;
  out.push(`Captures${hidden > 0 ? ` (${hidden} without alerts not listed; --verbose)` : ""}:`);
  for (const c of listed) out.push(...captureLines(c, verbose));
  if (report.expectations !== null) out.push("", ...expectLines(report, verbose));
  out.push("", ...totalsLines(report));
  return out.join("\n");
}

function captureLines(c: CaptureReport, verbose: boolean): string[] {
  const lines = [`  ${c.file}  ${c.packets} packets  ${c.starts.length} alerts${byDetector(c)}`];
  if (c.status !== "ok") lines.push(`    ${c.status.replace("_", " ")}: ${c.message ?? ""}`);
  if (c.outside > 0) lines.push(`    ${c.outside} outside the user's three rules`);
  if (c.restarts.length > 0) {
    const gaps = c.restarts.map((r) => `${r.detector} after ${r.gapS.toFixed(1)} s`).join(", ");
    lines.push(`    restarts: ${gaps}`);
  }
  if (verbose) { for (const a of c.starts) lines.push(`    ${alertLine(a)}`); }
  return lines;
}

function byDetector(c: CaptureReport): string {
  const parts = Object.entries(c.byDetector).map(([name, n]) => `${name} ${n}`);
  return parts.length === 0 ? "" : `: ${parts.join(", ")}`;
}

function expectLines(report: QualityReport, verbose: boolean): string[] {
  const e = report.expectations!;
  const lines = ["Expectations (one capture = one incident):"];
  for (const c of report.captures) {
    const x = c.expect;
    if (x === undefined) continue;
    const wrong = x.namesChecked ? `  wrong names ${x.wrongNames.length}` : "";
    lines.push(`  ${c.file}  met ${x.met}/${x.total}  alerts ${c.starts.length}${wrong}`);
    for (const u of x.unmet) lines.push(`    unmet: ${expectedLine(u)}`);
    const shown = verbose ? x.wrongNames : x.wrongNames.slice(0, 3);
    for (const a of shown) lines.push(`    wrong name: ${alertLine(a)}`);
    if (shown.length < x.wrongNames.length) {
      lines.push(`    ... ${x.wrongNames.length - shown.length} more wrong names (--verbose)`);
    }
  }
  if (e.missing.length > 0) lines.push(`  not under the directory: ${e.missing.join(", ")}`);
  return lines;
}

function expectedLine(e: ExpectedAlert): string {
  return `${e.detector} ${e.src_ip ?? "*"} -> ${e.dest_ip ?? "*"}`;
}

function totalsLines(report: QualityReport): string[] {
  const t = report.totals, e = report.expectations;
  const problems = Object.entries(t.problems).map(([k, n]) => `${k} ${n}`).join(", ");
  const rows: [string, string][] = [
    ["captures", `${t.captures}${problems === "" ? "" : ` (${problems})`}`],
    ["packets", `${t.packets}`],
    ["captures with an alert", `${t.withAlert}/${t.captures} (${pct(t.withAlert, t.captures)})`],
    [
      "captures with an alert outside the user's three rules",
      `${t.withOutside}/${t.captures} (${t.withOutsidePercent} %)`,
    ],
    ["alert starts", `${t.alertStarts}`],
    ["alert starts by detector", counts(t.startsByDetector)],
    ["captures by detector", counts(t.capturesByDetector)],
    [
      "restarts of a key",
      `${t.restarts}${t.restarts > 0 ? ` (${counts(t.restartsByDetector)})` : ""}; within ` +
      `alerts.suppress_s (${t.suppressS} s) of the previous end: ${t.restartsWithinSuppress}`,
    ],
    ["alerts per capture", spread(t.alertsPerCapture)],
  ];
  if (e !== null) {
    rows.push(
      [
        "expectations met",
        `${e.met}/${e.total} in ${e.incidents} incidents (all met in ${e.capturesAllMet}); ` +
        `wrong names ${e.wrongNames}${
          e.missing.length > 0 ? `; ${e.missing.length} not found` : ""
        }`,
      ],
      ["alerts per incident", spread(e.alertsPerIncident)],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return ["Totals:", ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
}

function counts(record: Record<string, number>): string {
  const parts = Object.entries(record).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

function spread(s: Spread): string {
  return `max ${s.max}${s.maxFile === null ? "" : ` (${s.maxFile})`}, mean ${s.mean}`;
}

function pct(n: number, of: number): string {
  return `${of === 0 ? 0 : Math.round(n / of * 1000) / 10} %`;
}
