/**
 * @module arp_sweep
 * The ARP side of host_sweep: one sender asking who-has for more than N distinct addresses
 * (`detect.host_sweep.threshold`, 25) that went unanswered within the window, as `nmap -sn`,
 * `arp-scan` or `netdiscover` do on a LAN. Only unanswered requests count, as for port sweeps
 * (Zeek's address scan counts failed attempts): a gateway resolving the hosts it serves gets
 * answers. A request is answered when the target replies to the sender, or when the target
 * itself was heard on ARP within the window (from a host that sees only broadcast requests the
 * unicast replies are missing, but live hosts ARP themselves). Gratuitous ARP (sender asking for
 * its own address) and RFC 5227 probes (sender 0.0.0.0) are announcements, never counted.
 * A request is unanswered once `detect.connections.attempt_timeout_s` passed without a reply,
 * so the alert comes that much after the request that crossed the threshold.
 */
import type { TableKey } from "../../packet/host_key.ts";
import type { AlertManager } from "../alerts/alerts.ts";
import { ARP_REPLY, ARP_REQUEST, arpAddressText, type ArpPacket } from "../arp_packet.ts";
import type { DetectorInfo } from "../catalog.ts";
import type { ScannerFlags } from "../detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import { seconds } from "../alerts/evidence_text.ts";
import { pairKey } from "../tracking/tuple_key.ts";
import { DistinctRun } from "../tracking/windows.ts";

/** A request waiting for its reply. */
interface PendingRequest extends KeyedEntry {
  sender: TableKey;
  target: TableKey;
  /** First request of this (sender, target) pair, µs. */
  askedUs: number;
}

/** An address heard as an ARP sender: it is alive. */
type Heard = KeyedEntry;

/** Unanswered targets of one sender in the window. */
class ArpTargets extends DistinctRun {}

/** What ArpSweep needs of its host_sweep detector. */
export interface ArpSweepOptions {
  info: DetectorInfo;
  alerts: AlertManager;
  scanners: ScannerFlags;
  threshold: number;
  windowUs: number;
  /** Seconds without a reply after which a request is unanswered, in µs. */
  timeoutUs: number;
  /** Keys tracked at most per table. */
  cap: number;
}

/** Counts unanswered ARP requests per sender and starts host_sweep alerts. */
export class ArpSweep {
  readonly #o: ArpSweepOptions;
  /** Targets kept per sender: twice the threshold, so `peak` shows how far above it went. */
  readonly #distinctCap: number;
  /** Requests in flight, keyed by the (sender, target) pair. */
  readonly #pending: KeyedState<PendingRequest>;
  /** Addresses heard as ARP senders within the window. */
  readonly #heard: KeyedState<Heard>;
  /** Unanswered targets per sender. */
  readonly #senders: KeyedState<ArpTargets>;
  /** Bound once: `sweep` calls it for every request that timed out. */
  readonly #onTimeout = (_key: TableKey, request: PendingRequest) => this.#unanswered(request);
  #nowUs = 0;

  constructor(options: ArpSweepOptions) {
    this.#o = options;
    this.#distinctCap = 2 * options.threshold;
    this.#pending = new KeyedState("host_sweep.arp_requests", options.cap, options.timeoutUs);
    this.#heard = new KeyedState("host_sweep.arp_heard", options.cap, options.windowUs);
    this.#senders = new KeyedState("host_sweep.arp", options.cap, options.windowUs);
  }

  observe(p: ArpPacket): void {
    if (p.probe) return;
    const now = p.timestampUs;
    if (this.#heard.get(p.sender, now) === undefined) {
      this.#heard.insert(p.sender, { lastSeenUs: now, movedUs: now });
    }
    if (p.op === ARP_REPLY) {
      this.#pending.delete(pairKey(p.target, p.sender));
    } else if (p.op === ARP_REQUEST && !p.gratuitous && p.target !== 0) {
      const key = pairKey(p.sender, p.target);
      if (this.#pending.get(key, now) === undefined) {
        this.#pending.insert(key, {
          lastSeenUs: now,
          movedUs: now,
          sender: p.sender,
          target: p.target,
          askedUs: now,
        });
      }
    }
  }

  tick(nowUs: number): void {
    this.#nowUs = nowUs;
    this.#pending.sweep(nowUs, this.#onTimeout);
    this.#heard.sweep(nowUs);
    this.#senders.sweep(nowUs);
  }

  /** The capture stopped: requests still waiting count as unanswered now. */
  finish(nowUs: number): void {
    this.#nowUs = nowUs;
    for (const [key, request] of this.#pending.entries()) {
      this.#pending.delete(key);
      this.#unanswered(request);
    }
    this.tick(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#pending.stats(), this.#heard.stats(), this.#senders.stats()];
  }

  #unanswered(request: PendingRequest): void {
    const o = this.#o, now = this.#nowUs;
    const heard = this.#heard.peek(request.target);
    if (heard !== undefined && heard.lastSeenUs > request.askedUs - o.windowUs) return;
    // Counted at the time of the request (requests time out in about the order they were
    // made), so the window and the sweep's duration are the requests'; the alert is dated now.
    const sender = request.sender, asked = request.askedUs;
    const targets = this.#senders.get(sender, asked) ??
      this.#senders.insert(sender, new ArpTargets(this.#distinctCap, asked));
    const count = targets.addInRun(request.target, asked, o.windowUs);
    if (count <= o.threshold) return;
    o.scanners.flag(sender, now);
    const key = alertKey(sender);
    if (o.alerts.observe(o.info, key, now, count)) return;
    const src = arpAddressText(sender);
    const cap = this.#distinctCap, windowS = o.windowUs / 1e6;
    o.alerts.start(o.info, {
      key,
      timestampUs: now,
      srcIp: src,
      observed: count,
      threshold: o.threshold,
      windowS,
      direction: 0,
      render: (observed) =>
        `${src} swept ${observed >= cap ? "at least " : ""}${observed} hosts with unanswered ` +
        `ARP requests in ${seconds(targets.peakElapsedUs)} s`,
      explanation: `More than ${o.threshold} distinct addresses asked for with ARP requests ` +
        `by one sender and left unanswered within ${windowS} s (an ARP sweep).`,
    });
  }
}

/**
 * The alert key of an ARP sweep, apart from host_sweep's other keys: a number above any port
 * sweep's endpointKey (< 2^49), so no string is made while the alert is open.
 */
function alertKey(sender: TableKey): TableKey {
  return typeof sender === "number" ? 2 ** 50 + (sender >>> 0) : `${sender}|arp`;
}
