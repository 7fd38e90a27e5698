/**
 * @module high_packet_rate
 * The user's first rule: one source IP sending more than N packets in any 1-second window of
 * packet time (default 100). Every packet with an IP source counts, whatever its protocol,
 * except a host's answers to connection attempts it was sent (SYN-ACK, RST, ICMP errors quoting
 * a tracked attempt): those are the scanned or flooded host reacting, and the scan or flood
 * alert names the one who sent the attempts.
 *
 * The start waits out a hold (`detect.high_packet_rate.hold_s`) and is dropped if the source
 * was flagged as a scanner meanwhile: a fast scan is one port_scan or host_sweep alert.
 *
 * A source's first packet is parked in a FirstSightings gate, not in the table: a spoofed
 * source sends one packet and costs no entry; a second packet makes the entry and replays the
 * first at its time.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertHandle, AlertManager } from "../alerts/alerts.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps, ScannerFlags } from "../detector.ts";
import { type HeldStart, HeldStarts, type HoldingEntry } from "../alerts/held_start.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  FirstSightings,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../tracking/first_sightings.ts";
import { F_ICMP_ERROR } from "../../packet/packet_batch.ts";
import { type PacketContext, ROLE_RESPONDER, TCP_RST, TCP_SYN } from "../packet_context.ts";
import { SlidingCount } from "../tracking/windows.ts";

const WINDOW_US = 1_000_000;

/** A source's packets in the window; one object per source (a spoofed flood makes millions). */
class SourceRate extends SlidingCount implements KeyedEntry, HoldingEntry {
  lastSeenUs: number;
  movedUs: number;
  /** The alert key, made once: a string's hash is cached, so repeat lookups stay cheap. */
  alertKey: string | null = null;
  /** The open alert, counted without a lookup on every packet over the threshold. */
  alert: AlertHandle | null = null;
  /** The start waiting out its hold, counted without a lookup meanwhile. */
  held: HeldStart | null = null;

  constructor(nowUs: number, readonly threshold: number) {
    super();
    this.lastSeenUs = this.movedUs = nowUs;
  }
}

/** Fires when a source exceeds `detect.high_packet_rate.packets_per_second`. */
export class HighPacketRate implements Detector {
  readonly info = detectorInfo("high_packet_rate");
  readonly #threshold: NetworkThreshold;
  readonly #sources: KeyedState<SourceRate>;
  /** First packets of sources not in #sources yet. */
  readonly #firstSeen: FirstSightings;
  readonly #alerts: AlertManager;
  readonly #held: HeldStarts;
  readonly #scanners: ScannerFlags;

  constructor(deps: DetectorDeps) {
    this.#threshold = networkThreshold(deps.config, "detect.high_packet_rate.packets_per_second");
    this.#held = new HeldStarts(
      this.info,
      deps.settings.high_packet_rate.hold_s * 1e6,
      deps.alerts,
      deps.scanners,
    );
    this.#sources = new KeyedState(
      "high_packet_rate.sources",
      deps.settings.high_packet_rate.max_tracked,
      2 * WINDOW_US,
    );
    this.#firstSeen = FirstSightings.forTable(this.#sources);
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
  }

  onPacket(p: PacketContext): void {
    if (p.role === ROLE_RESPONDER && isAnswerToAttempt(p)) return;
    const now = p.timestampUs;
    // Sent to a flagged scanner or password guesser: the victim answering the attack.
    if (this.#scanners.isScanner(p.dstKey, now)) return;
    const entry = this.#sources.get(p.srcKey, now) ?? this.#secondSighting(p.srcKey, now);
    if (entry === undefined) return;
    const count = entry.add(now, WINDOW_US);
    if (count > entry.threshold) this.#fire(p.srcKey, entry, p, count);
  }

  /**
   * The entry of a source whose first packet was parked, with that packet counted at its time;
   * undefined while this packet is the source's first (parked now).
   */
  #secondSighting(source: TableKey, now: number): SourceRate | undefined {
    const gate = this.#firstSeen;
    const sighting = gate.sight(source, 0, now, 0);
    if (sighting === SIGHTING_FIRST) return undefined;
    if (sighting === SIGHTING_DISPLACED) {
      // Another source's first packet lost its slot: kept in the table while it has room.
      if (gate.keepsDisplaced(this.#sources.size, this.#sources.cap)) {
        this.#newEntry(gate.parkedKey(), gate.parkedUs);
      } else gate.lose();
      return undefined;
    }
    const entry = this.#newEntry(source, gate.parkedUs);
    entry.lastSeenUs = now;
    return entry;
  }

  /** A new entry holding one packet at `firstUs`. */
  #newEntry(source: TableKey, firstUs: number): SourceRate {
    const entry = this.#sources.insert(source, new SourceRate(firstUs, this.#threshold.of(source)));
    entry.add(firstUs, WINDOW_US);
    return entry;
  }

  #fire(source: TableKey, entry: SourceRate, p: PacketContext, count: number): void {
    if (entry.held !== null) {
      entry.held.observe(p.timestampUs, count);
      return;
    }
    const key = entry.alertKey ??= String(source);
    if (this.#alerts.observeCached(entry, this.info, key, p.timestampUs, count)) return;
    const ip = keyText(source);
    const threshold = entry.threshold;
    this.#held.hold(entry, source, {
      key,
      timestampUs: p.timestampUs,
      srcIp: ip,
      observed: count,
      threshold,
      windowS: 1,
      direction: p.direction,
      render: (observed) => `${ip} sent ${observed} packets in 1 s (threshold ${threshold})`,
      explanation: `More than ${threshold} packets from one source in a 1-second window.`,
    }, p.dstKey);
  }

  tick(nowUs: number): void {
    this.#held.tick(nowUs);
    this.#sources.sweep(nowUs);
  }

  finish(nowUs: number): void {
    this.#held.finish(nowUs);
    this.#sources.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [withLosses(this.#sources.stats(), this.#firstSeen)];
  }
}

/** A SYN-ACK, RST or ICMP error: how a host answers attempts (the caller checked the role). */
function isAnswerToAttempt(p: PacketContext): boolean {
  if (p.isTcp) return (p.tcpFlags & (TCP_SYN | TCP_RST)) !== 0;
  return (p.flags & F_ICMP_ERROR) !== 0;
}

/** Registry entry. */
export function createHighPacketRate(deps: DetectorDeps): Detector {
  return new HighPacketRate(deps);
}
