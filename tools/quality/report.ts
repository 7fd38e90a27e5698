/**
 * @module report
 * The quality report as data: per capture and totals (alerts per detector, captures with an
 * alert outside the user's three rules, restarts of a key, alerts per capture), and, with
 * expectations, met/total per incident and the alerts that name the wrong hosts.
 */
import { type AlertStartInfo, outsideUserRules } from "./alert_key.ts";
import { checkExpectations, type ExpectEntry, type ExpectOutcome } from "./expect.ts";
import type { CaptureResult } from "./run_capture.ts";

/** One capture in the report. */
export interface CaptureReport extends CaptureResult {
  /** Path relative to DIR. */
  file: string;
  byDetector: Record<string, number>;
  outside: number;
  expect?: ExpectOutcome & { what: string };
}

/** Max and mean of a count over captures, and the capture holding the max. */
export interface Spread {
  max: number;
  mean: number;
  maxFile: string | null;
}

/** The totals block. */
export interface Totals {
  captures: number;
  /** Captures by status other than "ok". */
  problems: Record<string, number>;
  packets: number;
  withAlert: number;
  withOutside: number;
  withOutsidePercent: number;
  alertStarts: number;
  startsByDetector: Record<string, number>;
  capturesByDetector: Record<string, number>;
  restarts: number;
  restartsByDetector: Record<string, number>;
  suppressS: number;
  restartsWithinSuppress: number;
  alertsPerCapture: Spread;
}

/** Expectations over every incident found under DIR. */
export interface ExpectTotals {
  incidents: number;
  met: number;
  total: number;
  capturesAllMet: number;
  wrongNames: number;
  alertsPerIncident: Spread;
  /** Entries whose file is not under DIR. */
  missing: string[];
}

/** The whole report. */
export interface QualityReport {
  dir: string;
  seconds: number;
  captures: CaptureReport[];
  totals: Totals;
  expectations: ExpectTotals | null;
}

/** Builds the report from the captures' results (`files[i]` is `results[i]`'s path under DIR). */
export function buildReport(options: {
  dir: string;
  files: string[];
  results: CaptureResult[];
  suppressS: number;
  expect: Map<string, ExpectEntry> | null;
  seconds: number;
}): QualityReport {
  const { dir, files, results, suppressS, expect, seconds } = options;
  const captures = results.map((r, i): CaptureReport => {
    const file = files[i]!;
    const report: CaptureReport = {
      ...r,
      file,
      byDetector: countBy(r.starts, (a) => a.detector),
      outside: r.starts.filter(outsideUserRules).length,
    };
    const entry = expect?.get(baseName(file));
    if (entry !== undefined) {
      report.expect = { ...checkExpectations(entry, r.starts), what: entry.what ?? "" };
    }
    return report;
  });
  return {
    dir,
    seconds,
    captures,
    totals: totalsOf(captures, suppressS),
    expectations: expect === null ? null : expectTotals(captures, expect),
  };
}

function totalsOf(captures: CaptureReport[], suppressS: number): Totals {
  const starts = captures.flatMap((c) => c.starts);
  const restarts = captures.flatMap((c) => c.restarts);
  const withOutside = captures.filter((c) => c.outside > 0).length;
  const capturesByDetector: Record<string, number> = {};
  for (const c of captures) {
    for (const name of Object.keys(c.byDetector)) {
      capturesByDetector[name] = (capturesByDetector[name] ?? 0) + 1;
    }
  }
  return {
    captures: captures.length,
    problems: countBy(captures.filter((c) => c.status !== "ok"), (c) => c.status),
    packets: captures.reduce((n, c) => n + c.packets, 0),
    withAlert: captures.filter((c) => c.starts.length > 0).length,
    withOutside,
    withOutsidePercent: percent(withOutside, captures.length),
    alertStarts: starts.length,
    startsByDetector: sorted(countBy(starts, (a) => a.detector)),
    capturesByDetector: sorted(capturesByDetector),
    restarts: restarts.length,
    restartsByDetector: sorted(countBy(restarts, (r) => r.detector)),
    suppressS,
    restartsWithinSuppress: restarts.filter((r) => r.gapS < suppressS).length,
    alertsPerCapture: spread(captures),
  };
}

function expectTotals(captures: CaptureReport[], expect: Map<string, ExpectEntry>): ExpectTotals {
  const incidents = captures.filter((c) => c.expect !== undefined);
  const found = new Set(incidents.map((c) => baseName(c.file)));
  return {
    incidents: incidents.length,
    met: incidents.reduce((n, c) => n + c.expect!.met, 0),
    total: incidents.reduce((n, c) => n + c.expect!.total, 0),
    capturesAllMet: incidents.filter((c) => c.expect!.met === c.expect!.total).length,
    wrongNames: incidents.reduce((n, c) => n + c.expect!.wrongNames.length, 0),
    alertsPerIncident: spread(incidents),
    missing: [...expect.keys()].filter((name) => !found.has(name)).sort(),
  };
}

/** The last path segment. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).at(-1) ?? path;
}

function spread(captures: CaptureReport[]): Spread {
  let max = 0, maxFile: string | null = null, sum = 0;
  for (const c of captures) {
    sum += c.starts.length;
    if (c.starts.length > max) [max, maxFile] = [c.starts.length, c.file];
  }
  const mean = captures.length === 0 ? 0 : Math.round(sum / captures.length * 100) / 100;
  return { max, mean, maxFile };
}

function percent(n: number, of: number): number {
  return of === 0 ? 0 : Math.round(n / of * 1000) / 10;
}

function countBy<T>(items: T[], keyOf: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[keyOf(item)] = (out[keyOf(item)] ?? 0) + 1;
  return out;
}

/** Highest count first, then by name. */
function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)),
  );
}

/** One alert as a line: detector, src_ip -> dest_ip:port/proto, the signature sentence. */
export function alertLine(a: AlertStartInfo): string {
  const src = a.srcIp ?? "*";
  const port = a.destPort === undefined ? "" : `:${a.destPort}`;
  const dest = a.destIp === undefined ? (port === "" ? "*" : `*${port}`) : `${a.destIp}${port}`;
  const proto = a.proto === undefined ? "" : `/${a.proto}`;
  return `${a.detector} ${src} -> ${dest}${proto}  ${a.signature}`;
}
