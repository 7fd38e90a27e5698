/**
 * @module capture_drops
 * The kernel dropped more than `detect.capture_drops.percent` of the packets it received over
 * `detect.capture_drops.window_s` (ntopng's Packet Drops check: 5 % per minute, after 100
 * packets). Live captures only: the counters (pcap_stats) arrive about once a second and are
 * cumulative, so a small ring of (time, received, dropped) samples gives the deltas over the
 * window. Time is the packet clock the engine passes in, never the wall clock.
 */
import type { KernelCounters } from "../../records/eve_records.ts";
import type { AlertManager } from "../alerts/alerts.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps } from "../detector.ts";
import type { TrackerStats } from "../tracking/keyed_state.ts";

/** Samples kept; one is stored at most every window/RING_SPACING, so the ring spans 2 windows. */
const RING = 128;
const RING_SPACING = 64;
const KEY = "capture";

/** Fires when the share of packets the kernel dropped over the window exceeds the limit. */
export class CaptureDrops implements Detector {
  readonly info = detectorInfo("capture_drops");
  readonly #percent: number;
  readonly #minPackets: number;
  readonly #windowUs: number;
  readonly #alerts: AlertManager;
  readonly #timeUs = new Float64Array(RING);
  readonly #received = new Float64Array(RING);
  readonly #dropped = new Float64Array(RING);
  /** Index of the oldest sample and number of samples. */
  #head = 0;
  #size = 0;
  /** Shared with the open alert's sentence: the numbers behind its peak. */
  #evidence = { percent: 0, spanS: 0, dropped: 0, received: 0 };

  constructor(deps: DetectorDeps) {
    this.#percent = deps.settings.capture_drops.percent;
    this.#minPackets = deps.settings.capture_drops.min_packets;
    this.#windowUs = deps.settings.capture_drops.window_s * 1e6;
    this.#alerts = deps.alerts;
  }

  onKernelCounters(counters: KernelCounters, nowUs: number): void {
    const newest = this.#size > 0 ? (this.#head + this.#size - 1) % RING : -1;
    if (newest >= 0 && counters.received < this.#received[newest]!) this.#size = 0; // reset
    if (this.#size > 0) this.#judge(counters, nowUs);
    this.#store(counters, nowUs);
  }

  /**
   * Compares `counters` with the newest sample at least a window old: the first judgement comes
   * one window into the capture, so a start-up burst is weighed against a full window.
   */
  #judge(counters: KernelCounters, nowUs: number): void {
    const limit = nowUs - this.#windowUs;
    let base = this.#head;
    if (this.#timeUs[base]! > limit) return;
    for (let i = 1; i < this.#size; i++) {
      const at = (this.#head + i) % RING;
      if (this.#timeUs[at]! > limit) break;
      base = at;
    }
    const spanUs = nowUs - this.#timeUs[base]!;
    const received = counters.received - this.#received[base]!;
    const dropped = counters.dropped - this.#dropped[base]!;
    if (received < this.#minPackets || received <= 0) return;
    const percent = (100 * dropped) / received;
    if (percent <= this.#percent) return;
    const observed = Math.round(percent * 10) / 10;
    const spanS = Math.round(spanUs / 1e6);
    if (this.#alerts.observe(this.info, KEY, nowUs, observed)) {
      const e = this.#evidence; // the open alert's: its sentence shows the numbers of its peak
      if (observed >= e.percent) Object.assign(e, { percent: observed, spanS, dropped, received });
      return;
    }
    const e = this.#evidence = { percent: observed, spanS, dropped, received };
    const threshold = this.#percent;
    const windowS = this.#windowUs / 1e6;
    this.#alerts.start(this.info, {
      key: KEY,
      timestampUs: nowUs,
      observed,
      threshold,
      windowS,
      direction: 0,
      render: (peak) =>
        `the kernel dropped ${peak} % of packets over ${e.spanS} s (${e.dropped} of ${e.received})`,
      explanation: `The capture lost more than ${threshold} % of packets over ${windowS} s ` +
        "before Anomaly saw them (CPU, buffer or disk too slow): every detector and the " +
        "summary miss that traffic. Raise the capture buffer or reduce the load.",
    });
  }

  #store(counters: KernelCounters, nowUs: number): void {
    if (this.#size > 0) {
      const newest = (this.#head + this.#size - 1) % RING;
      if (nowUs - this.#timeUs[newest]! < this.#windowUs / RING_SPACING) return;
    }
    if (this.#size === RING) {
      this.#head = (this.#head + 1) % RING;
      this.#size--;
    }
    const at = (this.#head + this.#size) % RING;
    this.#timeUs[at] = nowUs;
    this.#received[at] = counters.received;
    this.#dropped[at] = counters.dropped;
    this.#size++;
  }

  tick(_nowUs: number): void {}

  trackers(): TrackerStats[] {
    return [];
  }
}

/** Registry entry. */
export function createCaptureDrops(deps: DetectorDeps): Detector {
  return new CaptureDrops(deps);
}
