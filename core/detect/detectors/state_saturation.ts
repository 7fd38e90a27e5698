/**
 * @module state_saturation
 * A table of the pipeline (connection tracker, a detector's per-key state) hit its cap and is
 * evicting entries: from then on detection may miss keys, so the user should know. Compares
 * every table's eviction counter with the previous tick; while any table's evictions grow, one
 * alert stays open naming every table that evicted, and it ends after `alerts.quiet_s` without
 * growth.
 *
 * It also reports alerts the manager had to drop (alert_budget.ts): while a detector's dropped
 * starts grow, one alert keyed "alerts.<detector>" stays open saying how many of its alerts were
 * dropped and why. These alerts are never dropped themselves (the budget exempts this detector).
 */
import type { AlertManager } from "../alerts/alerts.ts";
import type { DetectorDrops } from "../alerts/alert_budget.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps } from "../detector.ts";
import type { TrackerStats } from "../tracking/keyed_state.ts";

/** The tables that evicted during the capture, with their cap and latest eviction count. */
type Saturated = Map<string, { cap: number; evictions: number }>;

/**
 * Fires once for all tables whose eviction counters grew since the previous tick: a spoofed
 * flood fills every per-source table at once, and that is one finding, not one per table.
 */
export class StateSaturation implements Detector {
  readonly info = detectorInfo("state_saturation");
  readonly #alerts: AlertManager;
  readonly #trackers: () => TrackerStats[];
  /** Evictions of each table at the previous tick (one entry per table: bounded). */
  readonly #previous = new Map<string, number>();
  /** Every table that evicted (read by the alert's sentence; one entry per table: bounded). */
  readonly #saturated: Saturated = new Map();
  /** Drops of each detector at the previous tick, and the latest (one entry per detector). */
  readonly #droppedBefore = new Map<string, number>();
  readonly #drops = new Map<string, DetectorDrops>();

  constructor(deps: DetectorDeps) {
    this.#alerts = deps.alerts;
    this.#trackers = deps.trackers;
  }

  tick(nowUs: number): void {
    const grown: TrackerStats[] = [];
    for (const t of this.#trackers()) {
      const before = this.#previous.get(t.name) ?? 0;
      this.#previous.set(t.name, t.evictions);
      if (t.evictions > before) grown.push(t);
    }
    if (grown.length > 0) this.#fire(grown, nowUs);
    for (const drops of this.#alerts.budget.drops()) {
      const before = this.#droppedBefore.get(drops.name) ?? 0;
      this.#droppedBefore.set(drops.name, drops.dropped);
      this.#drops.set(drops.name, drops);
      if (drops.dropped > before) this.#fireDrops(drops, nowUs);
    }
  }

  #fireDrops(drops: DetectorDrops, nowUs: number): void {
    const key = `alerts.${drops.name}`;
    if (this.#alerts.observe(this.info, key, nowUs, drops.dropped)) return;
    const budget = this.#alerts.budget, name = drops.name;
    this.#alerts.start(this.info, {
      key,
      timestampUs: nowUs,
      observed: drops.dropped,
      threshold: 0,
      windowS: 1,
      direction: 0,
      render: (dropped) =>
        `${dropped} new ${name} alerts were dropped: ${budget.describe(this.#drops.get(name)!)}` +
        "; other detectors still alert",
      explanation: `The open-alert cap of ${name} was full, so new ${name} alerts were dropped ` +
        `(counted in summary.alerts.by_detector.${name}.dropped): decoys, spoofed sources or ` +
        "a real storm. Each detector has its own share, so the others still alert; raise " +
        "alerts.max_open_per_detector or alerts.max_open if memory allows.",
    });
  }

  #fire(grown: TrackerStats[], nowUs: number): void {
    const saturated = this.#saturated;
    for (const t of grown) saturated.set(t.name, { cap: t.cap, evictions: t.evictions });
    const total = [...saturated.values()].reduce((n, t) => n + t.evictions, 0);
    if (this.#alerts.observe(this.info, KEY, nowUs, total)) return;
    const first = grown[0]!;
    this.#alerts.start(this.info, {
      key: KEY,
      timestampUs: nowUs,
      observed: total,
      threshold: 0,
      windowS: 1,
      direction: 0,
      render: (evictions) => describe(saturated, evictions),
      explanation: `${grown.length === 1 ? `The ${first.name} table` : "Tables"} reached ` +
        "their cap and evicted entries since the previous check: keys evicted lose their " +
        "counts, so a detector may miss them. Raise the tables' max_tracked if memory " +
        "allows; spoofed floods cause this on purpose.",
    });
  }

  /** None of its own: its one Map holds an entry per table and never evicts. */
  trackers(): TrackerStats[] {
    return [];
  }
}

const KEY = "tables";

function describe(saturated: Saturated, evictions: number): string {
  if (saturated.size === 1) {
    const [name, t] = [...saturated][0]!;
    return `the ${name} table is full (${t.cap} entries) and evicted ${evictions} entries; ` +
      "detection may miss keys";
  }
  const tables = [...saturated].map(([name, t]) => `${name} (cap ${t.cap})`).join(", ");
  return `${saturated.size} tables are full and evicted ${evictions} entries: ${tables}; ` +
    "detection may miss keys";
}

/** Registry entry. */
export function createStateSaturation(deps: DetectorDeps): Detector {
  return new StateSaturation(deps);
}
