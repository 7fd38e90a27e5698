/**
 * @module held_start
 * Alert starts that wait out a hold before they are written, and are dropped if their source is
 * flagged as a scanner meanwhile: one scan, one scan alert. A scan of filtered ports is known
 * to be one only once its probes time out (`detect.connections.attempt_timeout_s`, reported
 * once a second), so a source-rate or fan-out alert raised by its first probes waits that long
 * plus a second. The alert keeps the timestamp of its first crossing. A start may name the peer
 * of the packet that crossed: if that peer turned out to be a scanner or password guesser, the
 * source was answering an attack, and the start is dropped too.
 */
import type { TableKey } from "../../packet/host_key.ts";
import type { DetectionSettings } from "../settings.ts";
import type { AlertCache, AlertManager, AlertStart } from "./alerts.ts";
import type { DetectorInfo } from "../catalog.ts";
import type { ScannerFlags } from "../detector.ts";
import { captureTrigger } from "./alert_trigger.ts";

/** Where a detector keeps its key's held start, and its open alert once written. */
export interface HoldingEntry extends AlertCache {
  held: HeldStart | null;
}

/** A start waiting for its hold to end. */
export class HeldStart {
  /** Packet time and value of the latest observation while held. */
  latestUs: number;
  observed: number;

  constructor(
    readonly owner: HoldingEntry,
    readonly source: TableKey,
    readonly start: AlertStart,
    readonly releaseUs: number,
    readonly peer: TableKey | null,
  ) {
    this.latestUs = start.timestampUs;
    this.observed = start.observed;
  }

  /** Counts an observation made while held (no allocation: called per packet). */
  observe(timestampUs: number, observed: number): void {
    if (timestampUs > this.latestUs) this.latestUs = timestampUs;
    if (observed > this.observed) this.observed = observed;
  }
}

/** The hold every scanner-sensitive detector uses: `detect.connections.attempt_timeout_s` + 1 s. */
export function scannerHoldUs(settings: DetectionSettings): number {
  return settings.connections.attempt_timeout_s * 1e6 + 1e6;
}

/** Held starts of one detector, released in order of their hold's end. */
export class HeldStarts {
  readonly #queue: HeldStart[] = [];
  #head = 0;
  #dropped = 0;

  constructor(
    readonly info: DetectorInfo,
    readonly holdUs: number,
    readonly alerts: AlertManager,
    readonly scanners: ScannerFlags,
  ) {}

  /** Holds `start` for the entry (or writes it at once when the hold is 0). */
  hold(
    owner: HoldingEntry,
    source: TableKey,
    start: AlertStart,
    peer: TableKey | null = null,
  ): void {
    if (this.holdUs === 0) {
      owner.alert = this.alerts.start(this.info, start);
      return;
    }
    captureTrigger(start, this.alerts); // the packet that crossed: gone by then
    const held = new HeldStart(owner, source, start, start.timestampUs + this.holdUs, peer);
    owner.held = held;
    this.#queue.push(held);
  }

  /** Releases the starts whose hold ended by `nowUs`: written, or dropped for a scanner. */
  tick(nowUs: number): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]!.releaseUs <= nowUs) {
      this.#release(queue[this.#head++]!, nowUs);
    }
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** End of capture: every hold runs out as it would have live. */
  finish(nowUs: number): void {
    this.tick(nowUs + this.holdUs);
  }

  /** Starts dropped because their source turned out to be a scanner. */
  get dropped(): number {
    return this.#dropped;
  }

  #release(held: HeldStart, nowUs: number): void {
    const owner = held.owner;
    if (owner.held === held) owner.held = null;
    const at = Math.min(nowUs, held.releaseUs);
    if (
      this.scanners.isScanner(held.source, at) ||
      (held.peer !== null && this.scanners.isScanner(held.peer, at))
    ) {
      this.#dropped++;
      return;
    }
    const alert = this.alerts.start(this.info, held.start);
    owner.alert = alert;
    if (alert !== null && held.latestUs > held.start.timestampUs) {
      this.alerts.observe(this.info, held.start.key, held.latestUs, held.observed);
    }
  }
}
