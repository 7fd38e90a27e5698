/**
 * @module unique_connections
 * The user's fan-out rule: one source opening connection attempts to more than N distinct
 * (destination IP, destination port, protocol) within the window (default 50 in 60 s). Answered
 * or not, every attempt (TCP SYN, first UDP datagram of an exchange) counts: this is about how widely a host reaches out, not about failures
 * (port_scan and host_sweep cover those). A source already flagged as a scanner is left to
 * those detectors, so one scan does not raise a second, less precise alert; since a scan of
 * filtered ports is recognised only once its probes time out, the start waits out a hold
 * (`detect.unique_connections.hold_s`) and is dropped if the source turned scanner meanwhile.
 *
 * A source's first attempt is parked in a FirstSightings gate (its destination's endpoint key),
 * not in the table: spoofed sources cost no entry; a second attempt makes the entry and replays
 * the first at its time.
 */
import { keyText } from "../../packet/host_key.ts";
import type { AlertHandle, AlertManager } from "../alerts/alerts.ts";
import { AlertEvidence, type EvidenceLimits } from "../alerts/alert_evidence.ts";
import { evidenceOf } from "../alerts/alert_record.ts";
import { detectorInfo } from "../catalog.ts";
import type { Attempt, Detector, DetectorDeps, ScannerFlags } from "../detector.ts";
import { type HeldStart, HeldStarts, type HoldingEntry } from "../alerts/held_start.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  FirstSightings,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../tracking/first_sightings.ts";
import type { TableKey } from "../../packet/host_key.ts";
import { PROTO_TCP, TCP_SYN } from "../packet_context.ts";
import { DistinctWindow } from "../tracking/windows.ts";
import { endpointKey } from "../tracking/tuple_key.ts";

/** IPv4 endpoint keys lie below 2^49 (core/detect/tracking/tuple_key.ts endpointKey). */
const IPV4_ENDPOINTS = 2 ** 49;

/**
 * A source's distinct destinations in the window; one object per source. It keeps twice its
 * threshold, so `peak` can show how far above it a source went while memory stays bounded.
 */
class SourceFanOut extends DistinctWindow implements KeyedEntry, HoldingEntry {
  lastSeenUs: number;
  movedUs: number;
  /** The alert key, made once per source rather than per attempt over the threshold. */
  alertKey: string | null = null;
  alert: AlertHandle | null = null;
  held: HeldStart | null = null;
  /** The destination hosts its alert counts (`detection.evidence`), from its hold on. */
  evidence: AlertEvidence | null = null;

  constructor(readonly threshold: number, nowUs: number) {
    super(2 * threshold);
    this.lastSeenUs = this.movedUs = nowUs;
  }
}

/** Fires when a source exceeds `detect.unique_connections.threshold` within the window. */
export class UniqueConnections implements Detector {
  readonly info = detectorInfo("unique_connections");
  readonly #threshold: NetworkThreshold;
  readonly #windowUs: number;
  readonly #sources: KeyedState<SourceFanOut>;
  /** First attempts of sources not in #sources yet. */
  readonly #firstSeen: FirstSightings;
  readonly #alerts: AlertManager;
  readonly #scanners: ScannerFlags;
  readonly #held: HeldStarts;
  readonly #limits: EvidenceLimits;

  constructor(deps: DetectorDeps) {
    this.#threshold = networkThreshold(deps.config, "detect.unique_connections.threshold");
    this.#windowUs = deps.settings.unique_connections.window_s * 1e6;
    this.#sources = new KeyedState(
      "unique_connections.sources",
      deps.settings.unique_connections.max_tracked,
      this.#windowUs,
    );
    this.#firstSeen = FirstSightings.forTable(this.#sources);
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
    this.#held = new HeldStarts(
      this.info,
      deps.settings.unique_connections.hold_s * 1e6,
      deps.alerts,
      deps.scanners,
    );
    const a = deps.settings.alerts;
    this.#limits = { listMax: a.evidence_list_max, exactMax: a.evidence_exact_max };
  }

  onAttempt(attempt: Attempt): void {
    // FIN, NULL and Xmas probes open nothing: they are scans, left to port_scan and host_sweep.
    if (attempt.proto === PROTO_TCP && (attempt.tcpFlags & TCP_SYN) === 0) return;
    const now = attempt.firstUs;
    const endpoint = endpointKey(attempt.dst, attempt.dstPort, attempt.proto);
    const entry = this.#sources.get(attempt.src, now) ??
      this.#secondSighting(attempt.src, now, endpoint);
    if (entry === undefined) return;
    const count = entry.add(endpoint, now, this.#windowUs);
    entry.evidence?.addHost(attempt.dst);
    if (count > entry.threshold) this.#fire(entry, attempt, count);
  }

  /**
   * The entry of a source whose first attempt was parked, with that attempt counted at its
   * time; undefined while this attempt is the source's first (parked now).
   */
  #secondSighting(source: TableKey, now: number, endpoint: TableKey): SourceFanOut | undefined {
    const gate = this.#firstSeen;
    const sighting = gate.sight(source, 0, now, endpoint);
    if (sighting === SIGHTING_FIRST) return undefined;
    if (sighting === SIGHTING_DISPLACED) {
      // Another source's first attempt lost its slot: kept in the table while it has room.
      if (gate.keepsDisplaced(this.#sources.size, this.#sources.cap)) {
        this.#newEntry(gate.parkedKey(), gate.parkedUs, gate.parkedValue());
      } else {
        gate.lose();
      }
      return undefined;
    }
    const entry = this.#newEntry(source, gate.parkedUs, gate.parkedValue());
    entry.lastSeenUs = now;
    return entry;
  }

  /** A new entry holding one attempt to `endpoint` at `firstUs`. */
  #newEntry(source: TableKey, firstUs: number, endpoint: TableKey): SourceFanOut {
    const entry = this.#sources.insert(
      source,
      new SourceFanOut(this.#threshold.of(source), firstUs),
    );
    entry.add(endpoint, firstUs, this.#windowUs);
    return entry;
  }

  #fire(entry: SourceFanOut, attempt: Attempt, count: number): void {
    const source = attempt.src, now = attempt.firstUs;
    if (entry.held !== null) {
      entry.held.observe(now, count);
      return;
    }
    const key = entry.alertKey ??= String(source);
    if (this.#alerts.observeCached(entry, this.info, key, now, count)) {
      // An entry made again while its alert is open (it had expired) counts into it again.
      if (entry.evidence === null) {
        entry.evidence = evidenceOf(entry.alert);
        if (entry.evidence !== null) this.#seed(entry.evidence, entry);
      }
      return;
    }
    if (this.#scanners.isScanner(source, now)) return;
    const ip = keyText(source);
    const threshold = entry.threshold, cap = entry.cap;
    const windowS = this.#windowUs / 1e6;
    const evidence = entry.evidence = this.#seed(
      new AlertEvidence(this.#limits, { hosts: true }),
      entry,
    );
    evidence.addHost(attempt.dst); // an IPv6 one too
    this.#held.hold(entry, source, {
      key,
      timestampUs: now,
      evidence,
      srcIp: ip,
      observed: count,
      threshold,
      windowS,
      direction: attempt.direction,
      render: (observed) =>
        `${ip} opened connections to ${observed >= cap ? "at least " : ""}${observed} distinct ` +
        `destinations (host, port, protocol) in ${windowS} s`,
      explanation: `More than ${threshold} distinct (destination, port, protocol) connection ` +
        `attempts from one source within ${windowS} s.`,
    });
  }

  /**
   * Adds the hosts of the entry's window to `evidence`. The window holds endpoint keys; an IPv4
   * one gives back its host (address * 2^17 + port * 2 + udp), an IPv6 one is a hash, so IPv6
   * hosts count from the alert's hold on.
   */
  #seed(evidence: AlertEvidence, entry: SourceFanOut): AlertEvidence {
    for (const endpoint of entry.sample(entry.cap)) {
      if (typeof endpoint === "number" && endpoint < IPV4_ENDPOINTS) {
        evidence.addHost(Math.floor(endpoint / 0x20000) | 0);
      }
    }
    return evidence;
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

/** Registry entry. */
export function createUniqueConnections(deps: DetectorDeps): Detector {
  return new UniqueConnections(deps);
}
