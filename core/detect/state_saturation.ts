/**
 * @module state_saturation
 * A table of the pipeline (connection tracker, a detector's per-key state) hit its cap and is
 * evicting entries: from then on detection may miss keys, so the user should know. Compares
 * every table's eviction counter with the previous tick; a table whose evictions grew keeps its
 * alert open (key = table name), which ends after `alerts.quiet_s` without growth.
 */
import type { AlertManager } from "./alerts.ts";
import { detectorInfo } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import type { TrackerStats } from "./keyed_state.ts";

/** Fires for each table whose eviction counter grew since the previous tick. */
export class StateSaturation implements Detector {
  readonly info = detectorInfo("state_saturation");
  readonly #alerts: AlertManager;
  readonly #trackers: () => TrackerStats[];
  /** Evictions of each table at the previous tick (one entry per table: bounded). */
  readonly #previous = new Map<string, number>();

  constructor(deps: DetectorDeps) {
    this.#alerts = deps.alerts;
    this.#trackers = deps.trackers;
  }

  tick(nowUs: number): void {
    for (const t of this.#trackers()) {
      const before = this.#previous.get(t.name) ?? 0;
      this.#previous.set(t.name, t.evictions);
      if (t.evictions > before) this.#fire(t, t.evictions - before, nowUs);
    }
  }

  #fire(t: TrackerStats, grew: number, nowUs: number): void {
    if (this.#alerts.observe(this.info, t.name, nowUs, t.evictions)) return;
    const { name, cap } = t;
    this.#alerts.start(this.info, {
      key: name,
      timestampUs: nowUs,
      observed: t.evictions,
      threshold: 0,
      windowS: 1,
      direction: 0,
      render: (evictions) =>
        `the ${name} table is full (${cap} entries) and evicted ${evictions} entries; ` +
        "detection may miss keys",
      explanation:
        `The ${name} table reached its cap and evicted ${grew} entries since the previous ` +
        "check: keys evicted lose their counts, so a detector may miss them. Raise the " +
        "table's max_tracked if memory allows; spoofed floods cause this on purpose.",
    });
  }

  /** None of its own: its one Map holds an entry per table and never evicts. */
  trackers(): TrackerStats[] {
    return [];
  }
}

/** Registry entry. */
export function createStateSaturation(deps: DetectorDeps): Detector {
  return new StateSaturation(deps);
}
