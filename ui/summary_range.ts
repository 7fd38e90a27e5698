/**
 * @module summary_range
 * GET /api/summary?seconds=N: the summary view with the chart's series over the last N seconds
 * (5 minutes up to what the engine stores, `summary.series_seconds`), and how much it stores,
 * so the page offers ranges it can fill.
 */
import type { SummaryView } from "./controller_api.ts";

/** Seconds of series in the default view and the summary events (the controller's default). */
const CHART_SECONDS = 300;

/** What the summary range needs of the controller. */
export interface SummarySource {
  summary(): SummaryView;
  readonly session: {
    engine: {
      summary: { series: { seconds: number; points(seconds: number, until: number): unknown[] } };
    };
  } | null;
}

/** The summary view plus `series_seconds` and `chart_seconds`, then the series over `seconds`. */
export function summaryInRange(
  source: SummarySource,
  seconds: number | undefined,
  storedDefault: number,
): SummaryView & { series_seconds: number; chart_seconds: number } {
  const view = source.summary();
  const series = source.session?.engine.summary.series;
  const stored = series?.seconds ?? storedDefault;
  if (seconds === undefined || series === undefined || view.until === null) {
    return { ...view, series_seconds: stored, chart_seconds: CHART_SECONDS };
  }
  const span = Math.min(seconds, stored);
  return {
    ...view,
    series: series.points(span, view.until) as SummaryView["series"],
    series_seconds: stored,
    chart_seconds: span,
  };
}
