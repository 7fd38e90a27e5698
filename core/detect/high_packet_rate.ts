/**
 * @module high_packet_rate
 * The user's first rule: one source IP sending more than N packets in any 1-second window of
 * packet time (default 100). Every packet with an IP source counts, whatever its protocol.
 */
import type { TableKey } from "../host_key.ts";
import { num } from "../config.ts";
import { keyText } from "../host_key.ts";
import type { AlertCache, AlertHandle, AlertManager } from "./alerts.ts";
import { detectorInfo } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./keyed_state.ts";
import type { PacketContext } from "./packet_context.ts";
import { SlidingCount } from "./windows.ts";

const WINDOW_US = 1_000_000;

/** A source's packets in the window; one object per source (a spoofed flood makes millions). */
class SourceRate extends SlidingCount implements KeyedEntry, AlertCache {
  lastSeenUs: number;
  movedUs: number;
  /** The alert key, made once: a string's hash is cached, so repeat lookups stay cheap. */
  alertKey: string | null = null;
  /** The open alert, counted without a lookup on every packet over the threshold. */
  alert: AlertHandle | null = null;

  constructor(nowUs: number) {
    super();
    this.lastSeenUs = this.movedUs = nowUs;
  }
}

/** Fires when a source exceeds `detect.high_packet_rate.packets_per_second`. */
export class HighPacketRate implements Detector {
  readonly info = detectorInfo("high_packet_rate");
  readonly #threshold: number;
  readonly #sources: KeyedState<SourceRate>;
  readonly #alerts: AlertManager;

  constructor(deps: DetectorDeps) {
    this.#threshold = num(deps.config, "detect.high_packet_rate.packets_per_second");
    this.#sources = new KeyedState(
      "high_packet_rate.sources",
      num(deps.config, "detect.high_packet_rate.max_tracked"),
      2 * WINDOW_US,
    );
    this.#alerts = deps.alerts;
  }

  onPacket(p: PacketContext): void {
    const now = p.timestampUs;
    let entry = this.#sources.get(p.srcKey, now);
    if (entry === undefined) {
      entry = this.#sources.insert(p.srcKey, new SourceRate(now));
    }
    const count = entry.add(now, WINDOW_US);
    if (count > this.#threshold) this.#fire(p.srcKey, entry, p, count);
  }

  #fire(source: TableKey, entry: SourceRate, p: PacketContext, count: number): void {
    const key = entry.alertKey ??= String(source);
    if (this.#alerts.observeCached(entry, this.info, key, p.timestampUs, count)) return;
    const ip = keyText(source);
    const threshold = this.#threshold;
    entry.alert = this.#alerts.start(this.info, {
      key,
      timestampUs: p.timestampUs,
      srcIp: ip,
      observed: count,
      threshold,
      windowS: 1,
      direction: p.direction,
      render: (observed) => `${ip} sent ${observed} packets in 1 s (threshold ${threshold})`,
      explanation: `More than ${threshold} packets from one source in a 1-second window.`,
    });
  }

  tick(nowUs: number): void {
    this.#sources.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#sources.stats()];
  }
}

/** Registry entry. */
export function createHighPacketRate(deps: DetectorDeps): Detector {
  return new HighPacketRate(deps);
}
