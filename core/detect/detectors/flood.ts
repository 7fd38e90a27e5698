/**
 * @module flood
 * Traffic toward ONE destination beyond a rate, from one source or many (spoofed) ones, in a
 * 1-second sliding window of packet time: TCP SYNs without ACK (SYN flood), UDP packets that
 * are not replies to the destination's own requests (UDP flood; later fragments count), and
 * ICMP/ICMPv6 echo requests (ICMP flood). State is keyed by the destination only, so a flood
 * whose every packet has a new spoofed source costs one entry and is still caught.
 *
 * A flood concentrates on a destination; a scan spreads over its ports. SYNs or datagrams from
 * fewer than 16 sources whose destination port changes on more than half of the packets are a
 * fast port scan (port_scan reports it), not a flood.
 *
 * The first packet of a (destination, kind) is parked in a FirstSightings gate (its source and
 * port), not in the table: a random flood's destinations, each hit once, cost no entry; a
 * second packet makes the kind's state (and the destination's entry) and replays the first at
 * its time.
 */
import { keyText } from "../../packet/host_key.ts";
import type { AlertCache, AlertHandle, AlertManager } from "../alerts/alerts.ts";
import { AlertEvidence, type EvidenceLimits } from "../alerts/alert_evidence.ts";
import { evidenceOf } from "../alerts/alert_record.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps, FloodFlags } from "../detector.ts";
import type { TableKey } from "../../packet/host_key.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  type PacketContext,
  PROTO_TCP,
  PROTO_UDP,
  protoName,
  ROLE_RESPONDER,
  TCP_ACK,
  TCP_SYN,
} from "../packet_context.ts";
import { RecentDistinct, SlidingCount } from "../tracking/windows.ts";
import {
  FirstSightings,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../tracking/first_sightings.ts";

const WINDOW_US = 1_000_000;
/** SlidingCount's steps per window (windows.ts): the first packet's change expires with them. */
const WINDOW_SLOTS = 10;
/** Distinct sources counted per (destination, kind) and window; beyond: "at least N". */
const SOURCE_CAP = 16;
/** How often an open SYN or UDP flood alert renews its destination's flag in the tracker. */
const FLAG_EVERY_US = 100_000;

const SYN = 0, UDP = 1, ICMP = 2;
const KIND_NAMES = ["SYN", "UDP", "ICMP"] as const;
const KIND_KEYS = ["syn", "udp", "icmp"] as const;
const KIND_WHAT = ["TCP SYNs", "UDP packets", "ICMP echo requests"] as const;

/** Sources seen while alerting, shared with the open alert's sentence. */
interface Evidence {
  sources: number;
  atLeast: boolean;
}

/**
 * One kind of flood toward one destination: made on the kind's second packet, and kept small
 * (three objects: itself, its packet count and its sources) until it alerts.
 */
class KindRate implements AlertCache {
  readonly packets = new SlidingCount();
  readonly sources = new RecentDistinct(SOURCE_CAP);
  /** Made once: no string per packet while the alert is open. */
  alertKey: string | null = null;
  /** The open alert's evidence: the most sources seen while alerting (null before). */
  evidence: Evidence | null = null;
  /**
   * A new source arrived since `evidence` was last brought up to date: between arrivals the
   * count of sources can only fall, so the evidence (a maximum) needs no recount.
   */
  sourcesGrew = false;
  /** The open alert, counted without a lookup on every packet over the threshold. */
  alert: AlertHandle | null = null;
  /** The open alert's `detection.evidence`: every source it saw (null before it starts). */
  counted: AlertEvidence | null = null;
  /** Destination port of the latest packet. */
  lastPort: number;
  /** Packet time of the first packet (it counts as a port change: see `portChangesIn`). */
  readonly firstUs: number;
  /** Packets in the window that changed the port: made at the first change (scans only). */
  portChanges: SlidingCount | null = null;
  /** Packet time the tracker was last told the destination is flooded. */
  flaggedUs = -Infinity;

  constructor(port: number, firstUs: number) {
    this.lastPort = port;
    this.firstUs = firstUs;
  }

  /** Counts a packet from `source` to `port` at `nowUs`; returns the packets in the window. */
  add(source: TableKey, port: number, nowUs: number): number {
    if (this.sources.add(source, nowUs, WINDOW_US)) this.sourcesGrew = true;
    if (port !== this.lastPort) {
      this.lastPort = port;
      if (this.portChanges === null) {
        this.portChanges = new SlidingCount();
        this.portChanges.add(this.firstUs, WINDOW_US);
      }
      this.portChanges.add(nowUs, WINDOW_US);
    }
    return this.packets.add(nowUs, WINDOW_US);
  }

  /**
   * Packets in the window that changed the destination port; the first packet counts as one
   * (the port changed from none), as a SlidingCount holding it alone would count it.
   */
  portChangesIn(nowUs: number): number {
    if (this.portChanges !== null) return this.portChanges.count(nowUs, WINDOW_US);
    const step = WINDOW_US / WINDOW_SLOTS;
    return Math.floor(nowUs / step) - Math.floor(this.firstUs / step) < WINDOW_SLOTS ? 1 : 0;
  }
}

interface Destination extends KeyedEntry {
  /** By kind (SYN, UDP, ICMP), made when the kind is first seen. */
  kinds: (KindRate | null)[];
  /** The destination's thresholds by kind (detect.network_thresholds), looked up once. */
  thresholds: readonly number[];
}

/** Fires when one destination receives more SYNs, UDP packets or echo requests than allowed. */
export class Flood implements Detector {
  readonly info = detectorInfo("flood");
  readonly #thresholds: NetworkThreshold[];
  /** The thresholds of every destination when no network sets its own (shared). */
  readonly #baseThresholds: readonly number[];
  readonly #destinations: KeyedState<Destination>;
  /** First packets of (destination, kind) without state yet (value: source; a: port). */
  readonly #firstSeen: FirstSightings;
  readonly #alerts: AlertManager;
  readonly #limits: EvidenceLimits;
  readonly #floods: FloodFlags;

  constructor(deps: DetectorDeps) {
    const c = deps.config;
    this.#thresholds = [
      networkThreshold(c, "detect.flood.syn_per_second"),
      networkThreshold(c, "detect.flood.udp_per_second"),
      networkThreshold(c, "detect.flood.icmp_per_second"),
    ];
    this.#baseThresholds = this.#thresholds.map((t) => t.base);
    this.#destinations = new KeyedState(
      "flood.destinations",
      deps.settings.flood.max_tracked,
      2 * WINDOW_US,
    );
    this.#firstSeen = FirstSightings.forTable(this.#destinations);
    this.#alerts = deps.alerts;
    const a = deps.settings.alerts;
    this.#limits = { listMax: a.evidence_list_max, exactMax: a.evidence_exact_max };
    this.#floods = deps.floods;
  }

  onPacket(p: PacketContext): void {
    let kind: number;
    if (p.proto === PROTO_TCP) {
      if (p.srcPort < 0 || (p.tcpFlags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return;
      kind = SYN;
    } else if (p.proto === PROTO_UDP) {
      if (p.role === ROLE_RESPONDER) return;
      kind = UDP;
    } else if (p.isEchoRequest) {
      kind = ICMP;
    } else {
      return;
    }
    const now = p.timestampUs;
    let entry = this.#destinations.get(p.dstKey, now);
    let rate = entry === undefined ? null : entry.kinds[kind]!;
    if (rate === null) {
      rate = this.#secondSighting(p.dstKey, kind, now, p.srcKey, p.dstPort);
      if (rate === null) return;
      entry = this.#destinations.peek(p.dstKey)!;
    }
    const count = rate.add(p.srcKey, p.dstPort, now);
    rate.counted?.addSource(p.srcKey); // a spoofed flood's sources: counted, nothing made
    const threshold = entry!.thresholds[kind]!;
    if (count > threshold) this.#fire(kind, rate, p, count, threshold);
  }

  /**
   * The state of a (destination, kind) whose first packet was parked, with that packet
   * counted at its time; null while this packet is its first (parked now).
   */
  #secondSighting(
    destination: TableKey,
    kind: number,
    now: number,
    source: TableKey,
    port: number,
  ): KindRate | null {
    const gate = this.#firstSeen;
    const sighting = gate.sight(destination, kind, now, source, port);
    if (sighting === SIGHTING_FIRST) return null;
    if (sighting === SIGHTING_DISPLACED) {
      // Another destination's first packet lost its slot: kept while the table has room.
      const parked = gate.parkedKey();
      const entry = this.#destinations.peek(parked);
      if (
        entry !== undefined || gate.keepsDisplaced(this.#destinations.size, this.#destinations.cap)
      ) {
        this.#replayParked(parked, entry);
      } else {
        gate.lose();
      }
      return null;
    }
    const rate = this.#replayParked(destination, this.#destinations.peek(destination));
    this.#destinations.get(destination, now);
    return rate;
  }

  /** New state for the (destination, kind) `gate` handed back, holding its packet. */
  #replayParked(destination: TableKey, entry: Destination | undefined): KindRate {
    const gate = this.#firstSeen, at = gate.parkedUs, port = gate.parkedA;
    entry ??= this.#destinations.insert(destination, {
      lastSeenUs: at,
      movedUs: at,
      kinds: [null, null, null],
      thresholds: this.#thresholdsOf(destination),
    });
    const rate = entry.kinds[gate.parkedKind] = new KindRate(port, at);
    rate.add(gate.parkedValue(), port, at);
    return rate;
  }

  #thresholdsOf(destination: TableKey): readonly number[] {
    if (!this.#thresholds.some((t) => t.varies)) return this.#baseThresholds;
    return this.#thresholds.map((t) => t.of(destination));
  }

  #fire(kind: number, rate: KindRate, p: PacketContext, count: number, threshold: number): void {
    const now = p.timestampUs;
    if (rate.sourcesGrew) this.#refreshEvidence(rate, now);
    const key = rate.alertKey ??= `${KIND_KEYS[kind]}|${keyText(p.dstKey)}`;
    if (this.#alerts.observeCached(rate, this.info, key, now, count)) {
      // State made again while its alert is open (the entry had expired): count into it again.
      if (rate.counted === null) this.#linkEvidence(rate, now);
      if (now - rate.flaggedUs >= FLAG_EVERY_US) this.#flagFlooded(kind, rate, p.dstKey, now);
      return;
    }
    if (kind !== ICMP && this.#isScan(rate, now, count)) return;
    // A new alert: its sentence reads a fresh evidence object this entry keeps updating, which
    // starts from the sources in the window now.
    rate.sourcesGrew = false;
    const fresh: Evidence = rate.evidence = {
      sources: rate.sources.count(now, WINDOW_US),
      atLeast: rate.sources.saturated(now, WINDOW_US),
    };
    const single = rate.sources.only(now, WINDOW_US);
    const dest = keyText(p.dstKey);
    const name = KIND_NAMES[kind]!, what = KIND_WHAT[kind]!;
    const counted = new AlertEvidence(this.#limits, { sources: true });
    for (const source of rate.sources.valuesIn(now, WINDOW_US)) counted.addSource(source);
    rate.alert = this.#alerts.start(this.info, {
      key,
      timestampUs: now,
      evidence: counted,
      srcIp: single === undefined ? undefined : keyText(single),
      destIp: dest,
      proto: protoName(p.proto),
      observed: count,
      threshold,
      windowS: 1,
      direction: p.direction,
      render: (observed, total) => {
        // Later records name every source counted since the start (a lower bound when the
        // start's window already held more than it could list).
        const all = total !== undefined && total.count >= fresh.sources;
        const sources = all ? total.count : fresh.sources;
        const atLeast = fresh.atLeast || (all && !total.exact);
        return `${name} flood toward ${dest}: ${observed} ${what} in 1 s from ` +
          `${atLeast ? "at least " : ""}${sources} ` +
          `${sources === 1 && !atLeast ? "source" : "sources"} (threshold ${threshold})`;
      },
      explanation: `More than ${threshold} ${what} toward one destination in a 1-second window, ` +
        "counted over every source together (spoofed floods included).",
    });
    rate.counted = evidenceOf(rate.alert);
    if (rate.alert !== null) this.#flagFlooded(kind, rate, p.dstKey, now);
  }

  /** Tells the tracker a SYN or UDP flood's destination is flooded (it sheds new attempts). */
  #flagFlooded(kind: number, rate: KindRate, destination: TableKey, now: number): void {
    if (kind === ICMP) return; // echo requests are not tracked: nothing to shed
    rate.flaggedUs = now;
    this.#floods.flagFlooded(destination, now);
  }

  /** Links `rate` to its open alert's evidence, adding the sources in its window now. */
  #linkEvidence(rate: KindRate, now: number): void {
    const counted = rate.counted = evidenceOf(rate.alert);
    if (counted === null) return;
    for (const source of rate.sources.valuesIn(now, WINDOW_US)) counted.addSource(source);
  }

  /** Few sources, spread over ports: a fast scan of the destination rather than a flood. */
  #isScan(rate: KindRate, now: number, count: number): boolean {
    if (rate.sources.saturated(now, WINDOW_US)) return false;
    return rate.portChangesIn(now) * 2 > count;
  }

  /** Brings the open alert's evidence up to the sources in the window now (no object made). */
  #refreshEvidence(rate: KindRate, now: number): void {
    rate.sourcesGrew = false;
    const evidence = rate.evidence;
    if (evidence === null) return;
    const sources = rate.sources.count(now, WINDOW_US);
    if (sources > evidence.sources) evidence.sources = sources;
    if (rate.sources.saturated(now, WINDOW_US)) evidence.atLeast = true;
  }

  tick(nowUs: number): void {
    this.#destinations.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [withLosses(this.#destinations.stats(), this.#firstSeen)];
  }
}

/** Registry entry. */
export function createFlood(deps: DetectorDeps): Detector {
  return new Flood(deps);
}
