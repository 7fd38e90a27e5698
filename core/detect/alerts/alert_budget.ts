/**
 * @module alert_budget
 * Who may open another alert, so that one detector (or one attacker feeding it decoys) cannot
 * use up the room of the others. Each detector may hold at most `alerts.max_open_per_detector`
 * open alerts, and all together at most `alerts.max_open`. Half of `alerts.max_open` is
 * reserved in equal parts (a detector's reserve), the other half is a pool any detector draws
 * from once its reserve is in use: a detector under its reserve can always start, whatever the
 * others hold. state_saturation is exempt: its few keys (the tables, one per detector dropping)
 * are how drops are reported, so they must never be dropped themselves.
 *
 * Drops are counted per detector, with the reason of the latest one.
 */
import { DETECTOR_NAMES, type DetectorName, FIRST_SIGNATURE_ID } from "../catalog.ts";
import type { DetectorInfo } from "../catalog.ts";

/** Detectors whose alerts are never capped (their keys are few and bounded). */
const UNCAPPED: ReadonlySet<DetectorName> = new Set(["state_saturation"]);

/** Why a start was dropped: the detector's own share was full, or the shared pool was. */
export type DropReason = "share" | "pool";

/** What is known of one detector's drops (for state_saturation and the warning). */
export interface DetectorDrops {
  name: DetectorName;
  dropped: number;
  open: number;
  reason: DropReason;
}

/** The open-alert room of every detector. */
export class AlertBudget {
  /** Open alerts one detector may hold. */
  readonly share: number;
  /** Open alerts each detector can always start, whatever the others hold. */
  readonly reserve: number;
  readonly #poolSize: number;
  /** Open alerts beyond their detector's reserve, drawn from the pool. */
  #pooled = 0;
  readonly #open = new Int32Array(DETECTOR_NAMES.length);
  readonly #dropped = new Float64Array(DETECTOR_NAMES.length);
  readonly #reasons: DropReason[] = DETECTOR_NAMES.map(() => "share");
  readonly #uncapped = DETECTOR_NAMES.map((name) => UNCAPPED.has(name));

  constructor(readonly maxOpen: number, maxPerDetector: number) {
    this.share = Math.min(maxPerDetector, maxOpen);
    const capped = DETECTOR_NAMES.length - UNCAPPED.size;
    this.reserve = Math.min(this.share, Math.floor(maxOpen / (2 * capped)));
    this.#poolSize = maxOpen - capped * this.reserve;
  }

  /** True when `info` may open one more alert. */
  admits(info: DetectorInfo): boolean {
    const d = info.signatureId - FIRST_SIGNATURE_ID;
    if (this.#uncapped[d]) return true;
    const open = this.#open[d]!;
    if (open >= this.share) return false;
    return open < this.reserve || this.#pooled < this.#poolSize;
  }

  opened(info: DetectorInfo): void {
    const d = info.signatureId - FIRST_SIGNATURE_ID;
    if (!this.#uncapped[d] && this.#open[d]! >= this.reserve) this.#pooled++;
    this.#open[d]!++;
  }

  closed(info: DetectorInfo): void {
    const d = info.signatureId - FIRST_SIGNATURE_ID;
    this.#open[d]!--;
    if (!this.#uncapped[d] && this.#open[d]! >= this.reserve) this.#pooled--;
  }

  /** Counts a dropped start of `info`; returns true for its first drop. */
  drop(info: DetectorInfo): boolean {
    const d = info.signatureId - FIRST_SIGNATURE_ID;
    this.#reasons[d] = this.#open[d]! >= this.share ? "share" : "pool";
    return this.#dropped[d]!++ === 0;
  }

  /** Starts of `name` dropped so far. */
  droppedOf(name: DetectorName): number {
    return this.#dropped[DETECTOR_NAMES.indexOf(name)]!;
  }

  /** Every detector that dropped starts, with its open alerts and the latest reason. */
  drops(): DetectorDrops[] {
    const out: DetectorDrops[] = [];
    DETECTOR_NAMES.forEach((name, d) => {
      const dropped = this.#dropped[d]!;
      if (dropped > 0) out.push({ name, dropped, open: this.#open[d]!, reason: this.#reasons[d]! });
    });
    return out;
  }

  /** Why `drops` were dropped, in words naming the key to raise. */
  describe(drops: DetectorDrops): string {
    return drops.reason === "share"
      ? `it holds ${drops.open} open alerts, its share (alerts.max_open_per_detector ${this.share})`
      : `the open alerts all detectors share are in use (alerts.max_open ${this.maxOpen}, ` +
        `beyond a reserve of ${this.reserve} per detector)`;
  }

  /** The one-line warning for the first drop of a detector. */
  warning(name: DetectorName): string {
    const drops = this.drops().find((d) => d.name === name)!;
    return `New ${name} alerts are being dropped: ${this.describe(drops)}; other detectors ` +
      "still alert. Drops are counted (summary.alerts.by_detector." + name + ".dropped) and " +
      "reported by a state_saturation alert; raise the cap if memory allows.";
  }
}
