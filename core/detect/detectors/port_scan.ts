/**
 * @module port_scan
 * Vertical scan (Zeek's Port_Scan, Snort's portscan): one source probing more than N distinct
 * ports of ONE host with attempts that failed (RST, ICMP unreachable) or went unanswered, within
 * the window (default 15 in 60 s). Only failures count, so a client opening many working
 * connections to one server is not a scanner. TCP and UDP ports are counted together as
 * (protocol, port) pairs; TCP probes include ACK probes (nmap -sA, -sW), see connections.ts.
 *
 * IP protocol scans (nmap -sO) are counted apart, as distinct IP protocol numbers per (source,
 * destination) within the same window: every protocol other than TCP, UDP and ICMP a source
 * sends to the host, and every ICMP protocol unreachable (ICMPv6 unrecognized next header) the
 * host sends back, so a capture of either side is enough. Sent protocols count answered or not:
 * no ordinary pair of hosts speaks more than a few. Over `detect.port_scan.protocol_threshold`
 * the alert says IP protocols.
 *
 * While over a threshold the source is flagged as a scanner, which silences unusual_port and
 * unique_connections for it.
 *
 * A pair's first failure (first protocol) is parked in a FirstSightings gate, not in the table:
 * spoofed sources cost no entry; a second one makes the entry and replays the first at its time.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertCache, AlertHandle, AlertManager } from "../alerts/alerts.ts";
import {
  AlertEvidence,
  type EvidenceLimits,
  IP_PROTOCOL,
  UDP_PORT,
} from "../alerts/alert_evidence.ts";
import { evidenceOf } from "../alerts/alert_record.ts";
import { detectorInfo } from "../catalog.ts";
import type {
  Attempt,
  Detector,
  DetectorDeps,
  FailureReason,
  ProtocolProbe,
  ScannerFlags,
} from "../detector.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  FirstSightings,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../tracking/first_sightings.ts";
import { PROTO_TCP, PROTO_UDP } from "../packet_context.ts";
import { named, seconds } from "../alerts/evidence_text.ts";
import { exchangeKey, pairKey } from "../tracking/tuple_key.ts";
import { DistinctRun } from "../tracking/windows.ts";

const SEEN_TCP = 1;
const SEEN_UDP = 2;
/** How a protocol scan was seen: its probes, the victim's protocol-unreachable replies. */
const SEEN_PROBES = 4;
const SEEN_REPLIES = 8;

/**
 * A (source, destination) pair: distinct ports (or IP protocols) in the window; `seen` holds
 * SEEN_* bits. It keeps twice its threshold (Zeek's unique_max idea): enough to show how far
 * above it went.
 */
class ScannedPair extends DistinctRun implements AlertCache {
  /** The open alert and the ports it counts (its evidence), once the pair alerted. */
  alert: AlertHandle | null = null;
  evidence: AlertEvidence | null = null;

  constructor(
    /** The source's threshold (detect.network_thresholds), looked up once. */
    readonly threshold: number,
    nowUs: number,
  ) {
    super(2 * threshold, nowUs);
  }
}

/** Fires when a (source, destination) pair exceeds `detect.port_scan.threshold`. */
export class PortScan implements Detector {
  readonly info = detectorInfo("port_scan");
  readonly #threshold: NetworkThreshold;
  readonly #windowUs: number;
  readonly #pairs: KeyedState<ScannedPair>;
  /** First failures of pairs not in #pairs yet (value: port code; a: threshold, seen bits). */
  readonly #firstFailures: FirstSightings;
  readonly #protocolThreshold: NetworkThreshold;
  /** IP protocol scans: distinct protocol numbers per (source, destination). */
  readonly #protocolPairs: KeyedState<ScannedPair>;
  /** First protocols of pairs not in #protocolPairs yet (value and a: as #firstFailures). */
  readonly #firstProtocols: FirstSightings;
  readonly #alerts: AlertManager;
  readonly #scanners: ScannerFlags;
  readonly #limits: EvidenceLimits;

  constructor(deps: DetectorDeps) {
    this.#threshold = networkThreshold(deps.config, "detect.port_scan.threshold");
    this.#windowUs = deps.settings.port_scan.window_s * 1e6;
    this.#pairs = new KeyedState(
      "port_scan.pairs",
      deps.settings.port_scan.max_tracked,
      this.#windowUs,
    );
    this.#protocolThreshold = networkThreshold(deps.config, "detect.port_scan.protocol_threshold");
    this.#protocolPairs = new KeyedState(
      "port_scan.protocols",
      deps.settings.port_scan.max_tracked,
      this.#windowUs,
    );
    this.#firstFailures = FirstSightings.forTable(this.#pairs);
    this.#firstProtocols = FirstSightings.forTable(this.#protocolPairs);
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
    const a = deps.settings.alerts;
    this.#limits = { listMax: a.evidence_list_max, exactMax: a.evidence_exact_max };
  }

  /** IP protocol scans: one protocol tried on a host (connections.ts reports it). */
  onProtocolProbe(probe: ProtocolProbe): void {
    const now = probe.timestampUs, src = probe.src, dst = probe.dst;
    const key = protocolPairKey(src, dst);
    const seen = probe.reply ? SEEN_REPLIES : SEEN_PROBES;
    const pair = this.#protocolPairs.get(key, now) ??
      this.#secondSighting(
        this.#protocolPairs,
        this.#firstProtocols,
        key,
        now,
        probe.proto,
        this.#protocolThreshold.of(src) * 16 + seen,
      );
    if (pair === undefined) return;
    pair.seen |= seen;
    const count = pair.addInRun(probe.proto, now, this.#windowUs);
    pair.evidence?.addPort(IP_PROTOCOL + probe.proto);
    if (count <= pair.threshold) return;
    this.#scanners.flag(src, now);
    if (this.#alerts.observeCached(pair, this.info, key, now, count)) {
      this.#linkEvidence(pair, IP_PROTOCOL);
      return;
    }
    const srcIp = keyText(src), dstIp = keyText(dst);
    const threshold = pair.threshold, cap = pair.cap;
    const windowS = this.#windowUs / 1e6;
    const evidence = this.#seeded(pair, IP_PROTOCOL);
    pair.alert = this.#alerts.start(this.info, {
      key,
      timestampUs: now,
      evidence,
      srcIp,
      destIp: dstIp,
      observed: count,
      threshold,
      windowS,
      direction: probe.direction,
      render: (observed, total) =>
        `${srcIp} tried ${named(observed, cap, total)} IP protocols on ` +
        `${dstIp} in ${seconds(pair.peakElapsedUs)} s` +
        (pair.seen & SEEN_PROBES ? "" : " (counted from its protocol-unreachable replies)"),
      explanation: `More than ${threshold} distinct IP protocols tried on one host by one ` +
        `source (protocols other than TCP, UDP and ICMP sent, or ICMP protocol-unreachable ` +
        `replies) within ${windowS} s.`,
    });
    pair.evidence = evidenceOf(pair.alert);
  }

  onFailure(attempt: Attempt, _reason: FailureReason, nowUs: number): void {
    if (attempt.proto !== PROTO_TCP && attempt.proto !== PROTO_UDP) return;
    const key = pairKey(attempt.src, attempt.dst);
    const udp = attempt.proto === PROTO_UDP;
    const port = udp ? UDP_PORT + attempt.dstPort : attempt.dstPort;
    const seen = udp ? SEEN_UDP : SEEN_TCP;
    const pair = this.#pairs.get(key, nowUs) ??
      this.#secondSighting(
        this.#pairs,
        this.#firstFailures,
        key,
        nowUs,
        port,
        this.#threshold.of(attempt.src) * 16 + seen,
      );
    if (pair === undefined) return;
    pair.seen |= seen;
    const count = pair.addInRun(port, nowUs, this.#windowUs);
    pair.evidence?.addPort(port);
    if (count > pair.threshold) this.#fire(key, pair, attempt, count, nowUs);
  }

  /**
   * The entry of a pair whose first port (or protocol) was parked, with it counted at its
   * time; undefined while this is the pair's first (parked now). `thresholdAndSeen` is the
   * prober's threshold times 16 plus the probe's SEEN_* bits (thresholds are at most 10^8).
   */
  #secondSighting(
    pairs: KeyedState<ScannedPair>,
    gate: FirstSightings,
    key: TableKey,
    now: number,
    value: number,
    thresholdAndSeen: number,
  ): ScannedPair | undefined {
    const sighting = gate.sight(key, 0, now, value, thresholdAndSeen);
    if (sighting === SIGHTING_FIRST) return undefined;
    if (sighting === SIGHTING_DISPLACED) {
      // Another pair's first probe lost its slot: kept in the table while it has room.
      if (gate.keepsDisplaced(pairs.size, pairs.cap)) {
        this.#replayParked(pairs, gate, gate.parkedKey());
      } else gate.lose();
      return undefined;
    }
    const pair = this.#replayParked(pairs, gate, key);
    pair.lastSeenUs = now;
    return pair;
  }

  /** A new entry for `key` holding the observation `gate` handed back. */
  #replayParked(
    pairs: KeyedState<ScannedPair>,
    gate: FirstSightings,
    key: TableKey,
  ): ScannedPair {
    const pair = pairs.insert(key, new ScannedPair(gate.parkedA >>> 4, gate.parkedUs));
    pair.seen = gate.parkedA & 15;
    pair.addInRun(gate.parkedValue(), gate.parkedUs, this.#windowUs);
    return pair;
  }

  #fire(key: TableKey, pair: ScannedPair, attempt: Attempt, count: number, nowUs: number): void {
    // Flagged on every failure over the threshold, also when an allow-list holds the alert
    // back: a known scanner's probes should not turn into unusual_port alerts either.
    this.#scanners.flag(attempt.src, nowUs);
    if (this.#alerts.observeCached(pair, this.info, key, nowUs, count)) {
      this.#linkEvidence(pair, 0);
      return;
    }
    const src = keyText(attempt.src), dst = keyText(attempt.dst);
    const threshold = pair.threshold, cap = pair.cap;
    const windowS = this.#windowUs / 1e6;
    const evidence = this.#seeded(pair, 0);
    pair.alert = this.#alerts.start(this.info, {
      key,
      timestampUs: nowUs,
      evidence,
      srcIp: src,
      destIp: dst,
      // EVE's proto where one protocol was probed; a mixed TCP and UDP scan has none.
      ...(pair.seen === SEEN_TCP ? { proto: "TCP" } : {}),
      ...(pair.seen === SEEN_UDP ? { proto: "UDP" } : {}),
      observed: count,
      threshold,
      windowS,
      direction: attempt.direction,
      render: (observed, total) =>
        `${src} probed ${named(observed, cap, total)} ` +
        `${protocolText(pair.seen)} ports on ${dst} in ${seconds(pair.peakElapsedUs)} s`,
      explanation: `More than ${threshold} distinct ports of one host probed by one source ` +
        `with failed or unanswered attempts (RST, ICMP unreachable, timeout) within ${windowS} s.`,
    });
    pair.evidence = evidenceOf(pair.alert);
  }

  /** New evidence holding the ports (plus `offset`: protocols) in the pair's window now. */
  #seeded(pair: ScannedPair, offset: number): AlertEvidence {
    const evidence = new AlertEvidence(this.#limits, { ports: true });
    for (const value of pair.sample(pair.cap)) evidence.addPort(offset + (value as number));
    return evidence;
  }

  /**
   * A pair made again while its alert is open (its window had expired) counts into the open
   * alert's evidence again, from the ports in its window.
   */
  #linkEvidence(pair: ScannedPair, offset: number): void {
    if (pair.evidence !== null) return;
    pair.evidence = evidenceOf(pair.alert);
    for (const value of pair.sample(pair.cap)) pair.evidence?.addPort(offset + (value as number));
  }

  tick(nowUs: number): void {
    this.#pairs.sweep(nowUs);
    this.#protocolPairs.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [
      withLosses(this.#pairs.stats(), this.#firstFailures),
      withLosses(this.#protocolPairs.stats(), this.#firstProtocols),
    ];
  }
}

/** The alert key of a protocol scan: apart from the pair's port scan (pairKey uses 0). */
function protocolPairKey(src: TableKey, dst: TableKey): TableKey {
  return exchangeKey(src, 0, dst, 0, 256);
}

function protocolText(seen: number): string {
  if (seen === (SEEN_TCP | SEEN_UDP)) return "TCP and UDP";
  return seen === SEEN_UDP ? "UDP" : "TCP";
}

/** Registry entry. */
export function createPortScan(deps: DetectorDeps): Detector {
  return new PortScan(deps);
}
