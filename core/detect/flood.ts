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
 */
import { num } from "../config.ts";
import { keyText } from "../host_key.ts";
import type { AlertCache, AlertHandle, AlertManager } from "./alerts.ts";
import { detectorInfo } from "./catalog.ts";
import type { Detector, DetectorDeps } from "./detector.ts";
import type { TableKey } from "../host_key.ts";
import { type NetworkThreshold, networkThreshold } from "./network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./keyed_state.ts";
import {
  type PacketContext,
  PROTO_TCP,
  PROTO_UDP,
  protoName,
  ROLE_RESPONDER,
  TCP_ACK,
  TCP_SYN,
} from "./packet_context.ts";
import { RecentDistinct, SlidingCount } from "./windows.ts";

const WINDOW_US = 1_000_000;
/** Distinct sources counted per (destination, kind) and window; beyond: "at least N". */
const SOURCE_CAP = 16;

const SYN = 0, UDP = 1, ICMP = 2;
const KIND_NAMES = ["SYN", "UDP", "ICMP"] as const;
const KIND_KEYS = ["syn", "udp", "icmp"] as const;
const KIND_WHAT = ["TCP SYNs", "UDP packets", "ICMP echo requests"] as const;

/** One kind of flood toward one destination. */
interface KindRate extends AlertCache {
  packets: SlidingCount;
  sources: RecentDistinct;
  /** Made once: no string per packet while the alert is open. */
  alertKey: string | null;
  /** Shared with the open alert's sentence: the most sources seen while alerting. */
  evidence: { sources: number; atLeast: boolean };
  /**
   * A new source arrived since `evidence` was last brought up to date: between arrivals the
   * count of sources can only fall, so the evidence (a maximum) needs no recount.
   */
  sourcesGrew: boolean;
  /** The open alert, counted without a lookup on every packet over the threshold. */
  alert: AlertHandle | null;
  /** Destination port of the latest packet, and packets in the window that changed it. */
  lastPort: number;
  portChanges: SlidingCount;
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
  readonly #alerts: AlertManager;

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
      num(c, "detect.flood.max_tracked"),
      2 * WINDOW_US,
    );
    this.#alerts = deps.alerts;
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
    if (entry === undefined) {
      entry = this.#destinations.insert(p.dstKey, {
        lastSeenUs: now,
        movedUs: now,
        kinds: [null, null, null],
        thresholds: this.#thresholdsOf(p.dstKey),
      });
    }
    const rate = entry.kinds[kind] ?? (entry.kinds[kind] = newRate());
    if (rate.sources.add(p.srcKey, now, WINDOW_US)) rate.sourcesGrew = true;
    if (p.dstPort !== rate.lastPort) {
      rate.lastPort = p.dstPort;
      rate.portChanges.add(now, WINDOW_US);
    }
    const count = rate.packets.add(now, WINDOW_US);
    if (count > entry.thresholds[kind]!) this.#fire(kind, rate, p, count, entry.thresholds[kind]!);
  }

  #thresholdsOf(destination: TableKey): readonly number[] {
    if (!this.#thresholds.some((t) => t.varies)) return this.#baseThresholds;
    return this.#thresholds.map((t) => t.of(destination));
  }

  #fire(kind: number, rate: KindRate, p: PacketContext, count: number, threshold: number): void {
    const now = p.timestampUs;
    if (rate.sourcesGrew) this.#updateEvidence(rate, now);
    const key = rate.alertKey ??= `${KIND_KEYS[kind]}|${keyText(p.dstKey)}`;
    if (this.#alerts.observeCached(rate, this.info, key, now, count)) return;
    if (kind !== ICMP && this.#isScan(rate, now, count)) return;
    // A new alert: its sentence reads a fresh evidence object this entry keeps updating, which
    // starts from the sources in the window now.
    const fresh = rate.evidence = this.#updateEvidence(rate, now);
    const single = rate.sources.only(now, WINDOW_US);
    const dest = keyText(p.dstKey);
    const name = KIND_NAMES[kind]!, what = KIND_WHAT[kind]!;
    rate.alert = this.#alerts.start(this.info, {
      key,
      timestampUs: now,
      srcIp: single === undefined ? undefined : keyText(single),
      destIp: dest,
      proto: protoName(p.proto),
      observed: count,
      threshold,
      windowS: 1,
      direction: p.direction,
      render: (observed) =>
        `${name} flood toward ${dest}: ${observed} ${what} in 1 s from ` +
        `${fresh.atLeast ? "at least " : ""}${fresh.sources} ` +
        `${fresh.sources === 1 && !fresh.atLeast ? "source" : "sources"} (threshold ${threshold})`,
      explanation: `More than ${threshold} ${what} toward one destination in a 1-second window, ` +
        "counted over every source together (spoofed floods included).",
    });
  }

  /** Few sources, spread over ports: a fast scan of the destination rather than a flood. */
  #isScan(rate: KindRate, now: number, count: number): boolean {
    if (rate.sources.saturated(now, WINDOW_US)) return false;
    return rate.portChanges.count(now, WINDOW_US) * 2 > count;
  }

  /** Brings the evidence up to the sources in the window now; returns them, as a new object. */
  #updateEvidence(rate: KindRate, now: number): { sources: number; atLeast: boolean } {
    rate.sourcesGrew = false;
    const sources = rate.sources.count(now, WINDOW_US);
    const atLeast = rate.sources.saturated(now, WINDOW_US);
    const evidence = rate.evidence;
    if (sources > evidence.sources) evidence.sources = sources;
    if (atLeast) evidence.atLeast = true;
    return { sources, atLeast };
  }

  tick(nowUs: number): void {
    this.#destinations.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#destinations.stats()];
  }
}

function newRate(): KindRate {
  return {
    packets: new SlidingCount(),
    sources: new RecentDistinct(SOURCE_CAP),
    alertKey: null,
    evidence: { sources: 0, atLeast: false },
    sourcesGrew: false,
    alert: null,
    lastPort: -1,
    portChanges: new SlidingCount(),
  };
}

/** Registry entry. */
export function createFlood(deps: DetectorDeps): Detector {
  return new Flood(deps);
}
