/**
 * @module port_scan
 * Vertical scan (Zeek's Port_Scan, Snort's portscan): one source probing more than N distinct
 * ports of ONE host with attempts that failed (RST, ICMP unreachable) or went unanswered, within
 * the window (default 15 in 60 s). Only failures count, so a client opening many working
 * connections to one server is not a scanner. TCP and UDP ports are counted together as
 * (protocol, port) pairs. While over the threshold the source is flagged as a scanner, which
 * silences unusual_port and unique_connections for it.
 */
import type { TableKey } from "../host_key.ts";
import { num } from "../config.ts";
import { keyText } from "../host_key.ts";
import type { AlertManager } from "./alerts.ts";
import { detectorInfo } from "./catalog.ts";
import type { Attempt, Detector, DetectorDeps, FailureReason, ScannerFlags } from "./detector.ts";
import { KeyedState, type TrackerStats } from "./keyed_state.ts";
import { PROTO_TCP, PROTO_UDP } from "./packet_context.ts";
import { pairKey } from "./tuple_key.ts";
import { DistinctRun } from "./windows.ts";

const SEEN_TCP = 1;
const SEEN_UDP = 2;

/** A (source, destination) pair: distinct ports in the window; `seen` holds SEEN_* bits. */
type ScannedPair = DistinctRun;

/** Fires when a (source, destination) pair exceeds `detect.port_scan.threshold`. */
export class PortScan implements Detector {
  readonly info = detectorInfo("port_scan");
  readonly #threshold: number;
  readonly #windowUs: number;
  /** Ports kept per pair (Zeek's unique_max idea): enough to show how far above it went. */
  readonly #distinctCap: number;
  readonly #pairs: KeyedState<ScannedPair>;
  readonly #alerts: AlertManager;
  readonly #scanners: ScannerFlags;

  constructor(deps: DetectorDeps) {
    this.#threshold = num(deps.config, "detect.port_scan.threshold");
    this.#windowUs = num(deps.config, "detect.port_scan.window_s") * 1e6;
    this.#distinctCap = 2 * this.#threshold;
    this.#pairs = new KeyedState(
      "port_scan.pairs",
      num(deps.config, "detect.port_scan.max_tracked"),
      this.#windowUs,
    );
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
  }

  onFailure(attempt: Attempt, _reason: FailureReason, nowUs: number): void {
    if (attempt.proto !== PROTO_TCP && attempt.proto !== PROTO_UDP) return;
    const key = pairKey(attempt.src, attempt.dst);
    let pair = this.#pairs.get(key, nowUs);
    if (pair === undefined) {
      pair = this.#pairs.insert(key, new DistinctRun(this.#distinctCap, nowUs));
    }
    const udp = attempt.proto === PROTO_UDP;
    pair.seen |= udp ? SEEN_UDP : SEEN_TCP;
    const count = pair.addInRun(
      udp ? 0x10000 + attempt.dstPort : attempt.dstPort,
      nowUs,
      this.#windowUs,
    );
    if (count > this.#threshold) this.#fire(key, pair, attempt, count, nowUs);
  }

  #fire(key: TableKey, pair: ScannedPair, attempt: Attempt, count: number, nowUs: number): void {
    // Flagged on every failure over the threshold, also when an allow-list holds the alert
    // back: a known scanner's probes should not turn into unusual_port alerts either.
    this.#scanners.flag(attempt.src, nowUs);
    if (this.#alerts.observe(this.info, key, nowUs, count)) return;
    const src = keyText(attempt.src), dst = keyText(attempt.dst);
    const threshold = this.#threshold, cap = this.#distinctCap;
    const windowS = this.#windowUs / 1e6;
    this.#alerts.start(this.info, {
      key,
      timestampUs: nowUs,
      srcIp: src,
      destIp: dst,
      // EVE's proto where one protocol was probed; a mixed TCP and UDP scan has none.
      ...(pair.seen === SEEN_TCP ? { proto: "TCP" } : {}),
      ...(pair.seen === SEEN_UDP ? { proto: "UDP" } : {}),
      observed: count,
      threshold,
      windowS,
      direction: attempt.direction,
      render: (observed) =>
        `${src} probed ${observed >= cap ? "at least " : ""}${observed} ` +
        `${protocolText(pair.seen)} ports on ${dst} in ${seconds(pair.peakElapsedUs)} s`,
      explanation: `More than ${threshold} distinct ports of one host probed by one source ` +
        `with failed or unanswered attempts (RST, ICMP unreachable, timeout) within ${windowS} s.`,
    });
  }

  tick(nowUs: number): void {
    this.#pairs.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#pairs.stats()];
  }
}

function protocolText(seen: number): string {
  if (seen === (SEEN_TCP | SEEN_UDP)) return "TCP and UDP";
  return seen === SEEN_UDP ? "UDP" : "TCP";
}

/** Elapsed time for sentences: tenths below 10 s, whole seconds above. */
export function seconds(us: number): number {
  const s = us / 1e6;
  return s < 10 ? Math.round(s * 10) / 10 : Math.round(s);
}

/** Registry entry. */
export function createPortScan(deps: DetectorDeps): Detector {
  return new PortScan(deps);
}
