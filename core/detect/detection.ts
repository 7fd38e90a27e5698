/**
 * @module detection
 * Runs the connection tracker and every enabled detector over each packet, in packet time, and
 * owns the alert manager. The engine calls `observe` per packet and `tick` once per second of
 * packet time.
 */
import type { TableKey } from "../packet/host_key.ts";
import { type Config, num } from "../config/config.ts";
import { detectionSettings } from "./settings.ts";
import type { KernelCounters } from "../records/eve_records.ts";
import { type AlertCounts, AlertManager, type AlertSink } from "./alerts/alerts.ts";
import { DETECTOR_NAMES, type DetectorName } from "./catalog.ts";
import { ConnectionTracker } from "./tracking/connections.ts";
import type {
  Attempt,
  Detector,
  FailureReason,
  ProtocolProbe,
  ScannerFlags,
  Unsolicited,
} from "./detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./tracking/keyed_state.ts";
import { PacketContext } from "./packet_context.ts";
import { ArpPacket } from "./arp_packet.ts";
import { F_ARP, F_INVALID, F_TRUNCATED, F_UNSUPPORTED } from "../packet/packet_batch.ts";
import { DETECTOR_FACTORIES } from "./registry.ts";

/** An ARP record is whole (its words all filled) when none of the outcome flags is set. */
const ARP_WHOLE = F_ARP | F_INVALID | F_TRUNCATED | F_UNSUPPORTED;

/** Sources with an open port_scan or host_sweep alert, remembered for `alerts.quiet_s`. */
class ScannerRegistry implements ScannerFlags {
  readonly #state: KeyedState<KeyedEntry>;

  constructor(cap: number, quietUs: number) {
    this.#state = new KeyedState("scanners", cap, quietUs);
  }

  isScanner(source: TableKey, nowUs: number): boolean {
    if (this.#state.size === 0) return false; // the common case, with no lookup
    const entry = this.#state.peek(source);
    return entry !== undefined && nowUs - entry.lastSeenUs < this.#state.idleUs;
  }

  flag(source: TableKey, nowUs: number): void {
    if (this.#state.get(source, nowUs) === undefined) {
      this.#state.insert(source, { lastSeenUs: nowUs, movedUs: nowUs });
    }
  }

  tick(nowUs: number): void {
    this.#state.sweep(nowUs);
  }

  stats(): TrackerStats {
    return this.#state.stats();
  }
}

/** The detection pipeline of one capture. */
export class Detection {
  readonly alerts: AlertManager;
  readonly detectors: readonly Detector[];
  readonly #connections: ConnectionTracker;
  readonly #scanners: ScannerRegistry;
  readonly #packet = new PacketContext();
  readonly #onPacket: Detector[];
  readonly #onAttempt: Detector[];
  readonly #onFailure: Detector[];
  readonly #onUnsolicited: Detector[];
  readonly #onProtocolProbe: Detector[];
  readonly #onKernel: Detector[];
  readonly #onArp: Detector[];
  readonly #arpPacket = new ArpPacket();

  constructor(config: Config, sink: AlertSink) {
    const settings = detectionSettings(config);
    const lifecycle = settings.alerts;
    this.alerts = new AlertManager({
      updateIntervalS: lifecycle.update_interval_s,
      quietS: lifecycle.quiet_s,
      suppressS: lifecycle.suppress_s,
      maxOpen: lifecycle.max_open,
      maxOpenPerDetector: lifecycle.max_open_per_detector,
      allowList: lifecycle.allow_list,
      detectorAllowLists: Object.fromEntries(
        DETECTOR_NAMES.map((name) => [name, settings[name].allow_list]),
      ),
      communityIdSeed: num(config, "community_id.seed"),
    }, sink);
    this.#scanners = new ScannerRegistry(100_000, lifecycle.quiet_s * 1e6);
    this.#connections = new ConnectionTracker(settings, {
      attempt: (a, p) => this.#attempt(a, p),
      failure: (a, reason, now) => this.#failure(a, reason, now),
      unsolicited: (u) => this.#unsolicited(u),
      protocol: (probe) => this.#protocolProbe(probe),
    });
    const deps = {
      config,
      settings,
      alerts: this.alerts,
      scanners: this.#scanners,
      attempts: this.#connections,
      floods: this.#connections,
      trackers: () => this.trackers(),
    };
    const enabled = (Object.keys(DETECTOR_FACTORIES) as DetectorName[])
      .filter((name) => settings[name].enabled);
    this.detectors = enabled.map((name) => DETECTOR_FACTORIES[name]!(deps));
    this.#onPacket = this.detectors.filter((d) => d.onPacket !== undefined);
    this.#onAttempt = this.detectors.filter((d) => d.onAttempt !== undefined);
    this.#onFailure = this.detectors.filter((d) => d.onFailure !== undefined);
    this.#onUnsolicited = this.detectors.filter((d) => d.onUnsolicited !== undefined);
    this.#onProtocolProbe = this.detectors.filter((d) => d.onProtocolProbe !== undefined);
    this.#onKernel = this.detectors.filter((d) => d.onKernelCounters !== undefined);
    this.#onArp = this.detectors.filter((d) => d.onArp !== undefined);
  }

  /** Runs detection over the packet record at `base`. */
  observe(fields: Int32Array, base: number, timestampUs: number, direction: number): void {
    if (this.detectors.length === 0) return; // every detector turned off: nothing to track
    const p = this.#packet;
    p.load(fields, base, timestampUs, direction);
    if (!p.hasAddresses) {
      if ((p.flags & ARP_WHOLE) === F_ARP && this.#onArp.length > 0) {
        this.#arp(fields, base, timestampUs, direction);
      }
      return;
    }
    const alerts = this.alerts;
    alerts.currentPacket = p; // an alert started now names it as its trigger
    this.#connections.observe(p);
    const detectors = this.#onPacket;
    for (let i = 0; i < detectors.length; i++) detectors[i]!.onPacket!(p);
    alerts.currentPacket = null;
  }

  /** Packet time moved on: timeouts, expiry, alert updates and ends. */
  tick(nowUs: number): void {
    this.#connections.tick(nowUs);
    this.#scanners.tick(nowUs);
    for (const d of this.detectors) d.tick(nowUs);
    this.alerts.tick(nowUs);
  }

  /** Kernel counters of a live capture. */
  kernelCounters(counters: KernelCounters, nowUs: number): void {
    for (const d of this.#onKernel) d.onKernelCounters!(counters, nowUs);
  }

  /**
   * The capture stopped at `nowUs`: attempts still pending count as unanswered now (as they
   * would once their timeout passed live), detectors flush, and every open alert ends, all
   * dated `nowUs`, so the records stay in time order.
   */
  finish(nowUs: number): void {
    this.#connections.finish(nowUs);
    this.#scanners.tick(nowUs);
    for (const d of this.detectors) {
      if (d.finish !== undefined) d.finish(nowUs);
      else d.tick(nowUs);
    }
    this.alerts.finish(nowUs);
  }

  /** Every table's size, cap and evictions. */
  trackers(): TrackerStats[] {
    return [
      ...this.#connections.trackers(),
      this.#scanners.stats(),
      ...this.detectors.flatMap((d) => d.trackers()),
      this.alerts.trackerStats(),
    ];
  }

  /** Alert counters for stats records. */
  alertCounts(): AlertCounts {
    return this.alerts.counts();
  }

  #arp(fields: Int32Array, base: number, timestampUs: number, direction: number): void {
    const arp = this.#arpPacket;
    arp.load(fields, base, timestampUs, direction);
    for (const d of this.#onArp) d.onArp!(arp);
  }

  #attempt(attempt: Attempt, packet: PacketContext): void {
    for (const d of this.#onAttempt) d.onAttempt!(attempt, packet);
  }

  #failure(attempt: Attempt, reason: FailureReason, nowUs: number): void {
    this.alerts.currentAttempt = attempt; // a scan's alert names its probe, not the refusal
    for (const d of this.#onFailure) d.onFailure!(attempt, reason, nowUs);
    this.alerts.currentAttempt = null;
  }

  #unsolicited(event: Unsolicited): void {
    for (const d of this.#onUnsolicited) d.onUnsolicited!(event);
  }

  #protocolProbe(probe: ProtocolProbe): void {
    for (const d of this.#onProtocolProbe) d.onProtocolProbe!(probe);
  }
}
