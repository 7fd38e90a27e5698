/**
 * @module host_sweep
 * Horizontal scan (Zeek's Address_Scan, Snort's portsweep and icmp_sweep): one source probing
 * more than N distinct hosts within the window (default 25 in 60 s), either on one port with
 * attempts that failed or went unanswered (key: source, protocol, port), or with ICMP echo and
 * timestamp requests (key: source; answered or not, since a ping sweep's answers are the point),
 * or with ARP requests left unanswered (key: sender; see arp_sweep.ts).
 * While over the threshold the source is flagged as a scanner, which silences unusual_port and
 * unique_connections for it.
 *
 * A key's first probe (its host) is parked in a FirstSightings gate, not in the table: spoofed
 * sources cost no entry; a second probe makes the entry and replays the first at its time.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertCache, AlertHandle, AlertManager } from "../alerts/alerts.ts";
import { AlertEvidence, type EvidenceLimits } from "../alerts/alert_evidence.ts";
import { evidenceOf } from "../alerts/alert_record.ts";
import type { ArpPacket } from "../arp_packet.ts";
import { ArpSweep } from "./arp_sweep.ts";
import { detectorInfo } from "../catalog.ts";
import type { Attempt, Detector, DetectorDeps, FailureReason, ScannerFlags } from "../detector.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  FirstSightings,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../tracking/first_sightings.ts";
import {
  type PacketContext,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  protoName,
} from "../packet_context.ts";
import { named, seconds } from "../alerts/evidence_text.ts";
import { DistinctRun } from "../tracking/windows.ts";
import { endpointKey, exchangeKey } from "../tracking/tuple_key.ts";

/** ICMPv4 timestamp request: older sweeps (and nmap -PP) use it where echo is filtered. */
const ICMP_TIMESTAMP_REQUEST = 13;
const SEEN_ECHO = 1;
const SEEN_TIMESTAMP = 2;

/** Distinct hosts probed in the window; `seen` holds SEEN_* bits (ICMP sweeps only). */
class Sweep extends DistinctRun implements AlertCache {
  /** The /16 of the first IPv4 host probed, and whether a later one lay outside it. */
  prefix16 = -1;
  scattered = false;
  /** The open alert and the hosts it counts (its evidence), once the sweep alerted. */
  alert: AlertHandle | null = null;
  evidence: AlertEvidence | null = null;

  constructor(
    /** The AlertManager key, made once per tracked key rather than per probe. */
    readonly alertKey: TableKey,
    /** The source's thresholds (detect.network_thresholds), looked up once. */
    readonly threshold: number,
    readonly scatteredThreshold: number,
    nowUs: number,
  ) {
    // Twice the larger threshold, so `peak` shows how far above it went.
    super(2 * Math.max(threshold, scatteredThreshold), nowUs);
  }

  /** The threshold that applies now. */
  get limit(): number {
    return this.scattered ? this.scatteredThreshold : this.threshold;
  }
}

/** What a sweep alert says, fixed when it starts. */
interface SweepTarget {
  source: TableKey;
  v6: boolean;
  proto: number;
  /** -1 for ICMP. */
  port: number;
  direction: number;
}

/** Fires when a source probes more than `detect.host_sweep.threshold` hosts. */
export class HostSweep implements Detector {
  readonly info = detectorInfo("host_sweep");
  readonly #threshold: NetworkThreshold;
  readonly #scatteredThreshold: NetworkThreshold;
  readonly #windowUs: number;
  /** Port sweeps, keyed "source|proto|port". */
  readonly #portSweeps: KeyedState<Sweep>;
  /** ICMP sweeps, keyed by the source's address key: no string per echo request. */
  readonly #icmpSweeps: KeyedState<Sweep>;
  /** First probes of keys not in #portSweeps, #icmpSweeps yet (see `#secondSighting`). */
  readonly #firstPortProbes: FirstSightings;
  readonly #firstPings: FirstSightings;
  readonly #alerts: AlertManager;
  readonly #scanners: ScannerFlags;
  /** ARP sweeps (arp_sweep.ts): unanswered who-has requests per sender. */
  readonly #arp: ArpSweep;
  readonly #limits: EvidenceLimits;

  constructor(deps: DetectorDeps) {
    this.#threshold = networkThreshold(deps.config, "detect.host_sweep.threshold");
    this.#windowUs = deps.settings.host_sweep.window_s * 1e6;
    this.#scatteredThreshold = networkThreshold(
      deps.config,
      "detect.host_sweep.scattered_threshold",
    );
    const cap = deps.settings.host_sweep.max_tracked;
    this.#portSweeps = new KeyedState("host_sweep.ports", cap, this.#windowUs);
    this.#icmpSweeps = new KeyedState("host_sweep.icmp", cap, this.#windowUs);
    this.#firstPortProbes = FirstSightings.forTable(this.#portSweeps);
    this.#firstPings = FirstSightings.forTable(this.#icmpSweeps);
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
    const a = deps.settings.alerts;
    this.#limits = { listMax: a.evidence_list_max, exactMax: a.evidence_exact_max };
    this.#arp = new ArpSweep({
      info: this.info,
      alerts: deps.alerts,
      scanners: deps.scanners,
      threshold: this.#threshold.base,
      windowUs: this.#windowUs,
      timeoutUs: deps.settings.connections.attempt_timeout_s * 1e6,
      cap,
    });
  }

  onArp(p: ArpPacket): void {
    this.#arp.observe(p);
  }

  onPacket(p: PacketContext): void {
    if (p.proto !== PROTO_ICMP && p.proto !== PROTO_ICMPV6) return;
    let kind = 0;
    if (p.isEchoRequest) kind = SEEN_ECHO;
    else if (p.proto === PROTO_ICMP && p.icmpType === ICMP_TIMESTAMP_REQUEST) kind = SEEN_TIMESTAMP;
    else return;
    const now = p.timestampUs;
    const sweep = this.#icmpSweeps.get(p.srcKey, now) ??
      this.#secondSighting(this.#icmpSweeps, this.#firstPings, p.srcKey, kind, now, p.dstKey);
    if (sweep === undefined) return;
    sweep.seen |= kind;
    const count = sweep.addInRun(p.dstKey, now, this.#windowUs);
    sweep.evidence?.addHost(p.dstKey);
    if (count <= sweep.threshold) return;
    this.#scanners.flag(p.srcKey, now);
    if (this.#observe(sweep, sweep.alertKey, now, count)) return;
    this.#start(sweep, count, now, {
      source: p.srcKey,
      v6: p.v6,
      proto: p.proto,
      port: -1,
      direction: p.direction,
    });
  }

  onFailure(attempt: Attempt, _reason: FailureReason, nowUs: number): void {
    if (attempt.proto !== PROTO_TCP && attempt.proto !== PROTO_UDP) return;
    const key = endpointKey(attempt.src, attempt.dstPort, attempt.proto);
    const sweep = this.#portSweeps.get(key, nowUs) ??
      this.#secondSighting(
        this.#portSweeps,
        this.#firstPortProbes,
        key,
        0,
        nowUs,
        attempt.dst,
        attempt.src,
      );
    if (sweep === undefined) return;
    const count = sweep.addInRun(attempt.dst, nowUs, this.#windowUs);
    sweep.evidence?.addHost(attempt.dst);
    noteNetwork(sweep, attempt.dst);
    if (count <= sweep.limit) return;
    this.#scanners.flag(attempt.src, nowUs);
    if (this.#observe(sweep, key, nowUs, count)) return;
    this.#start(sweep, count, nowUs, {
      source: attempt.src,
      v6: attempt.v6,
      proto: attempt.proto,
      port: attempt.dstPort,
      direction: attempt.direction,
    });
  }

  /**
   * Starts the alert (the caller flagged the source already: on every probe over the
   * threshold, also when an allow-list holds the alert back, so that a known scanner's probes
   * do not turn into unusual_port alerts either).
   */
  #start(sweep: Sweep, count: number, now: number, target: SweepTarget): void {
    const src = keyText(target.source);
    const threshold = sweep.limit, cap = sweep.cap;
    const windowS = this.#windowUs / 1e6;
    const how = target.port < 0 ? "" : `on ${protoName(target.proto)} port ${target.port} `;
    const evidence = new AlertEvidence(this.#limits, { hosts: true });
    for (const host of sweep.sample(cap)) evidence.addHost(host);
    sweep.alert = this.#alerts.start(this.info, {
      key: sweep.alertKey,
      timestampUs: now,
      evidence,
      srcIp: src,
      ...(target.port < 0 ? {} : { destPort: target.port }),
      proto: protoName(target.proto),
      observed: count,
      threshold,
      windowS,
      direction: target.direction,
      render: (observed, total) =>
        `${src} swept ${named(observed, cap, total)} hosts ` +
        `${how || `with ${icmpText(sweep.seen, target.v6)} `}` +
        `in ${seconds(sweep.peakElapsedUs)} s`,
      explanation: target.port < 0
        ? `More than ${threshold} distinct hosts sent ICMP echo or timestamp requests by one ` +
          `source within ${windowS} s.`
        : `More than ${threshold} distinct hosts${
          sweep.scattered ? " (in more than one /16 network)" : ""
        } probed on one port by one source with failed or unanswered attempts (RST, ICMP ` +
          `unreachable, timeout) within ${windowS} s.`,
    });
    sweep.evidence = evidenceOf(sweep.alert);
  }

  /**
   * `observe` through the sweep's cached alert. A sweep made again while its alert is open (its
   * window had expired) counts into that alert's evidence again, from the hosts in its window.
   */
  #observe(sweep: Sweep, key: TableKey, now: number, count: number): boolean {
    if (!this.#alerts.observeCached(sweep, this.info, key, now, count)) return false;
    if (sweep.evidence === null) {
      const evidence = sweep.evidence = evidenceOf(sweep.alert);
      if (evidence !== null) { for (const host of sweep.sample(sweep.cap)) evidence.addHost(host); }
    }
    return true;
  }

  /**
   * The sweep of a key whose first probe was parked, with it counted at its time; undefined
   * while this is the key's first probe (parked now, with `source`'s thresholds and `seen`:
   * parkedA = threshold * 4 + SEEN_* bits, thresholds being at most 10^8; parkedB = scattered).
   */
  #secondSighting(
    sweeps: KeyedState<Sweep>,
    gate: FirstSightings,
    key: TableKey,
    seen: number,
    now: number,
    host: TableKey,
    source: TableKey = key,
  ): Sweep | undefined {
    const a = this.#threshold.of(source) * 4 + seen;
    const sighting = gate.sight(key, 0, now, host, a, this.#scatteredThreshold.of(source));
    if (sighting === SIGHTING_FIRST) return undefined;
    if (sighting === SIGHTING_DISPLACED) {
      // Another key's first probe was handed back: kept while the table has room.
      if (gate.keepsDisplaced(sweeps.size, sweeps.cap)) {
        this.#replayParked(sweeps, gate, gate.parkedKey());
      } else gate.lose();
      return undefined;
    }
    const sweep = this.#replayParked(sweeps, gate, key);
    sweep.lastSeenUs = now;
    return sweep;
  }

  /** A new sweep for `key` holding the probe `gate` handed back. */
  #replayParked(sweeps: KeyedState<Sweep>, gate: FirstSightings, key: TableKey): Sweep {
    const icmp = sweeps === this.#icmpSweeps, at = gate.parkedUs, host = gate.parkedValue();
    const alertKey = icmp ? icmpAlertKey(key) : key, threshold = Math.floor(gate.parkedA / 4);
    const sweep = sweeps.insert(key, new Sweep(alertKey, threshold, gate.parkedB, at));
    sweep.seen = gate.parkedA & 3;
    sweep.addInRun(host, at, this.#windowUs);
    if (!icmp) noteNetwork(sweep, host);
    return sweep;
  }

  tick(nowUs: number): void {
    this.#portSweeps.sweep(nowUs);
    this.#icmpSweeps.sweep(nowUs);
    this.#arp.tick(nowUs);
  }

  finish(nowUs: number): void {
    this.#arp.finish(nowUs);
    this.tick(nowUs);
  }

  trackers(): TrackerStats[] {
    return [
      withLosses(this.#portSweeps.stats(), this.#firstPortProbes),
      withLosses(this.#icmpSweeps.stats(), this.#firstPings),
      ...this.#arp.trackers(),
    ];
  }
}

/**
 * Peer-to-peer clients bootstrapping (Gnutella, BitTorrent) try many dead peers on one port, in
 * networks all over the Internet; a sweep probes the hosts of one network. A port sweep whose
 * IPv4 hosts span more than one /16 is held to `detect.host_sweep.scattered_threshold`.
 */
function noteNetwork(sweep: Sweep, host: TableKey): void {
  if (typeof host !== "number") return;
  const prefix = host >>> 16;
  if (sweep.prefix16 < 0) sweep.prefix16 = prefix;
  else if (prefix !== sweep.prefix16) sweep.scattered = true;
}

function icmpText(kinds: number, v6: boolean): string {
  const family = v6 ? "ICMPv6" : "ICMP";
  if (kinds === (SEEN_ECHO | SEEN_TIMESTAMP)) return `${family} echo and timestamp requests`;
  return kinds === SEEN_TIMESTAMP ? `${family} timestamp requests` : `${family} echo`;
}

/**
 * The alert key of a source's ICMP sweep: a number apart from the port sweeps' endpoint keys
 * (below 2^49) and the ARP sweeps' (2^50 + address), built without a string.
 */
function icmpAlertKey(source: TableKey): TableKey {
  if (typeof source === "number") return 2 ** 51 + (source >>> 0);
  return exchangeKey(source, 0xffff, source, 0xffff, 1);
}

/** Registry entry. */
export function createHostSweep(deps: DetectorDeps): Detector {
  return new HostSweep(deps);
}
