/**
 * @module summary_view
 * The capture service's traffic summary (the UI's GET /api/summary and summary events) read from
 * a session's engine: rates, the chart's series, kernel counters, alert counts and trackers.
 */
import type { Session } from "./session.ts";
import type { CaptureState, SummaryView } from "./capture_types.ts";

/** Where the capture service is, as the summary view reports it. */
export interface SummaryContext {
  state: CaptureState;
  source: string | null;
  /** Started with --read: a session-less view is of a file, not live. */
  fileMode: boolean;
  /** Seconds of series the chart shows. */
  chartSeconds: number;
}

/** The traffic summary of `session` (the current or last capture), from its engine. */
export function summaryView(session: Session | null, view: SummaryContext): SummaryView {
  const engine = session?.engine;
  const live = session?.source.live ?? !view.fileMode;
  const empty: SummaryView = {
    state: view.state,
    source: view.source,
    live,
    until: null,
    rate: { pps: 0, bps: 0, basis: live ? "last_second" : "average" },
    summary: null,
    series: [],
    kernel: null,
    alerts: null,
    trackers: [],
  };
  if (engine === undefined) return empty;
  const snapshot = engine.summary.snapshot();
  const capturing = view.state === "capturing";
  const clockS = engine.clockUs >= 0 ? Math.floor(engine.clockUs / 1e6) : null;
  // Live, the second in progress is incomplete: rates and the chart end at the one before.
  const until = clockS === null ? null : live && capturing ? clockS - 1 : clockS;
  const series = until === null ? [] : engine.summary.series.points(view.chartSeconds, until);
  let rate: SummaryView["rate"];
  if (live && capturing) {
    const last = series.at(-1);
    rate = { pps: last?.packets ?? 0, bps: (last?.bytes ?? 0) * 8, basis: "last_second" };
  } else {
    const spanS = snapshot.first_seen >= 0
      ? Math.max(1, (snapshot.last_seen - snapshot.first_seen) / 1e6)
      : 1;
    rate = {
      pps: round(snapshot.packets / spanS),
      bps: round(snapshot.bytes * 8 / spanS),
      basis: "average",
    };
  }
  return {
    ...empty,
    until,
    rate,
    summary: snapshot,
    series,
    kernel: engine.kernelCounters,
    alerts: engine.detection.alertCounts(),
    trackers: engine.detection.trackers(),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
