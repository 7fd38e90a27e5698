/**
 * @module unusual_port
 * The user's port rule: a connection attempt to a service port outside the common lists. For
 * TCP that is a SYN (FIN, NULL and Xmas probes are scans, left to port_scan and host_sweep) to
 * any port outside `detect.unusual_port.tcp_ports`, exactly as the user asked. The connection
 * tracker only reports initiators, so replies never count. One alert per (source, protocol,
 * port): repeats while it is open are counted in it.
 *
 * UDP is judged like an admin would: an exchange the source started and the other side
 * answered (UDP has no handshake: an unanswered datagram is a probe, left to port_scan and
 * host_sweep, as Zeek tells S0 from SF), to a well-known port (at most `detect.unusual_port.udp_max_port`, 1023) outside
 * `detect.unusual_port.udp_ports`, sent to one host (not multicast, not a broadcast, not a
 * directed broadcast ending in .255) and not from a common service port (a reply whose request
 * came before the capture). Registered and dynamic ports above 1023 carry peer-to-peer media,
 * games, VPNs and app protocols whose ports are chosen freely: judging them one by one cries
 * wolf, and UDP probing of many ports is port_scan's job.
 *
 * A candidate waits `detect.unusual_port.hold_s` of packet time (when above 0, at least
 * `detect.connections.attempt_timeout_s` + 1 s) before it alerts, and is dropped if its source
 * was flagged as a scanner meanwhile: a port scan's probes then raise one port_scan alert, not
 * one unusual_port alert per port. The alert's timestamp is the attempt's.
 *
 * A service on an unusual port that many sources use (a game server, or the target of a flood
 * from spoofed sources) is one finding, not one per client: once more than
 * `detect.unusual_port.max_sources_per_service` sources alerted for the same (destination,
 * protocol, port) within a minute, further sources count into one alert about the service.
 *
 * A burst of candidates from many sources (more than `detect.unusual_port.max_new_per_second`
 * new (source, port) candidates within a second: spoofed SYNs to random ports, decoys) is one
 * alert about the burst: every candidate of the burst still held is folded into it.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { W_DST_ADDR } from "../../packet/packet_batch.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertManager } from "../alerts/alerts.ts";
import { attemptTrigger } from "../alerts/alert_trigger.ts";
import { detectorInfo } from "../catalog.ts";
import {
  type Attempt,
  ATTEMPT_ANSWERED,
  type AttemptStates,
  type Detector,
  type DetectorDeps,
  type ScannerFlags,
} from "../detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import { DistinctWindow, SlidingCount } from "../tracking/windows.ts";
import { endpointKey } from "../tracking/tuple_key.ts";
import {
  type PacketContext,
  PROTO_TCP,
  PROTO_UDP,
  protoName,
  TCP_FIN,
  TCP_SYN,
} from "../packet_context.ts";

/** What an alert needs of an attempt. */
type AttemptFields = Pick<
  Attempt,
  "src" | "dst" | "v6" | "proto" | "srcPort" | "dstPort" | "firstUs" | "direction"
>;

/**
 * A held attempt: a copy of the first attempt's fields (the tracker reuses its Attempt object)
 * and its `ref`, to ask the tracker at the end of the hold whether a UDP exchange was answered.
 */
interface Candidate extends KeyedEntry, AttemptFields {
  ref: number;
  /** Packet time of the latest attempt to the same (source, protocol, port) during the hold. */
  latestUs: number;
}

/** The candidates folded into one alert because they came in a burst. */
interface Burst {
  /** Candidates first seen from here on (a second before the burst was recognised) fold. */
  fromUs: number;
  /** Packet time of the latest candidate over the rate: the burst lasts while they come. */
  lastUs: number;
}

interface Service extends KeyedEntry {
  sources: DistinctWindow;
}

const SERVICE_WINDOW_US = 60e6;
const SERVICE_SOURCE_CAP = 1024;

/** Fires on attempts to ports outside `detect.unusual_port.tcp_ports` / `udp_ports`. */
export class UnusualPort implements Detector {
  readonly info = detectorInfo("unusual_port");
  readonly #commonTcp = new Uint8Array(65536);
  readonly #commonUdp = new Uint8Array(65536);
  readonly #holdUs: number;
  /**
   * Candidates in their hold, keyed like their alert, in arrival order: only `peek` is used,
   * never `get`, so the Map stays in order of first attempt and `tick` stops at the first
   * candidate still held. When full, the oldest candidate is evicted (counted) unalerted.
   */
  readonly #candidates: KeyedState<Candidate>;
  /** Sources that alerted per (destination, protocol, port), to fold busy services into one. */
  readonly #services: KeyedState<Service>;
  readonly #maxSources: number;
  readonly #udpMaxPort: number;
  readonly #maxNewPerSecond: number;
  /** New candidates in the last second, to recognise a burst. */
  readonly #newCandidates = new SlidingCount();
  #burst: Burst | null = null;
  readonly #alerts: AlertManager;
  readonly #scanners: ScannerFlags;
  readonly #attempts: AttemptStates;

  constructor(deps: DetectorDeps) {
    for (const port of deps.settings.unusual_port.tcp_ports) {
      this.#commonTcp[port] = 1;
    }
    for (const port of deps.settings.unusual_port.udp_ports) {
      this.#commonUdp[port] = 1;
    }
    // Unanswered probes (filtered ports) are known to be failed only once they time out, and
    // the tracker reports them once a second: a hold shorter than that would let a scan's
    // first probes alert before port_scan or host_sweep can flag their source.
    const holdUs = deps.settings.unusual_port.hold_s * 1e6;
    const timeoutUs = deps.settings.connections.attempt_timeout_s * 1e6;
    this.#holdUs = holdUs === 0 ? 0 : Math.max(holdUs, timeoutUs + 1e6);
    this.#candidates = new KeyedState(
      "unusual_port.candidates",
      deps.settings.unusual_port.max_tracked,
      this.#holdUs,
    );
    this.#services = new KeyedState(
      "unusual_port.services",
      deps.settings.unusual_port.max_tracked,
      SERVICE_WINDOW_US,
    );
    this.#maxSources = deps.settings.unusual_port.max_sources_per_service;
    this.#udpMaxPort = deps.settings.unusual_port.udp_max_port;
    this.#maxNewPerSecond = deps.settings.unusual_port.max_new_per_second;
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
    this.#attempts = deps.attempts;
  }

  onAttempt(attempt: Attempt, p: PacketContext): void {
    if (!this.#isUnusual(attempt, p)) return;
    const now = attempt.firstUs;
    const key = endpointKey(attempt.src, attempt.dstPort, attempt.proto);
    if (this.#alerts.observe(this.info, key, now, 1)) return;
    if (this.#scanners.isScanner(attempt.src, now)) return;
    if (this.#holdUs === 0) {
      this.#start(key, attempt, p.dstText());
      return;
    }
    const waiting = this.#candidates.peek(key);
    if (waiting !== undefined) {
      waiting.latestUs = now;
      return;
    }
    this.#noteNewCandidate(now);
    this.#candidates.insert(key, {
      lastSeenUs: now,
      movedUs: now,
      src: attempt.src,
      dst: attempt.dst,
      v6: attempt.v6,
      proto: attempt.proto,
      srcPort: attempt.srcPort,
      dstPort: attempt.dstPort,
      firstUs: now,
      direction: attempt.direction,
      ref: attempt.ref,
      latestUs: now,
    });
  }

  /** Counts a new candidate; past the rate, a burst starts (or goes on). */
  #noteNewCandidate(now: number): void {
    if (this.#newCandidates.add(now, 1e6) <= this.#maxNewPerSecond) return;
    const burst = this.#burst;
    if (burst !== null && now - burst.lastUs < 1e6) burst.lastUs = now;
    else this.#burst = { fromUs: now - 1e6, lastUs: now };
  }

  /** True when the candidate came during the current (or latest) burst. */
  #inBurst(candidate: Candidate): boolean {
    const burst = this.#burst;
    if (burst === null) return false;
    const at = candidate.firstUs;
    return at >= burst.fromUs && at <= burst.lastUs + 1e6;
  }

  #isUnusual(a: Attempt, p: PacketContext): boolean {
    if (a.proto === PROTO_TCP) {
      // A SYN (SYN+FIN is a scanner's trick, not a connection).
      return (a.tcpFlags & (TCP_SYN | TCP_FIN)) === TCP_SYN && this.#commonTcp[a.dstPort] !== 1;
    }
    if (a.proto !== PROTO_UDP || a.dstPort > this.#udpMaxPort) return false;
    if (this.#commonUdp[a.dstPort] === 1) return false;
    // Announcements to a group (SSDP, LLMNR, NetBIOS broadcasts) are not connections to a
    // service; a datagram from a common service port to an uncommon one is that service's
    // reply to a request the capture missed (a QUIC session already running at start).
    return !isGroupAddress(p.fields[p.base + W_DST_ADDR]!, a.v6) &&
      this.#commonUdp[a.srcPort] !== 1;
  }

  /** Ends the holds that ran out by `nowUs`: alert, or drop when the source turned scanner. */
  tick(nowUs: number): void {
    this.#services.sweep(nowUs);
    for (const [key, candidate] of this.#candidates.entries()) {
      if (nowUs - candidate.lastSeenUs < this.#holdUs) break;
      this.#candidates.delete(key);
      if (this.#scanners.isScanner(candidate.src, nowUs)) continue;
      // A datagram nobody answered is a probe, not a connection. An exchange the tracker
      // evicted and reused the place of (-1: a full table under a flood) counts as unanswered.
      if (
        candidate.proto === PROTO_UDP &&
        this.#attempts.stateOf(candidate.ref) !== ATTEMPT_ANSWERED
      ) {
        continue;
      }
      if (this.#inBurst(candidate)) {
        this.#foldIntoBurst(candidate);
        continue;
      }
      // The destination's text only now: a flood makes candidates that never alert.
      this.#start(key, candidate, keyText(candidate.dst));
      // Repeats during the hold count as one more observation, and keep the alert open from
      // the latest of them.
      const latest = candidate.latestUs;
      if (latest > candidate.firstUs) {
        this.#alerts.observe(this.info, key, latest, 1);
      }
    }
  }

  /** End of capture: the holds run out as they would have live (a scan flagged by then wins). */
  finish(nowUs: number): void {
    this.tick(nowUs + this.#holdUs);
  }

  #start(key: TableKey, attempt: AttemptFields, destIp: string): void {
    const now = attempt.firstUs;
    const serviceKey = endpointKey(attempt.dst, attempt.dstPort, attempt.proto);
    const service = this.#services.get(serviceKey, now) ??
      this.#services.insert(serviceKey, {
        lastSeenUs: now,
        movedUs: now,
        sources: new DistinctWindow(SERVICE_SOURCE_CAP),
      });
    const sources = service.sources.add(attempt.src, now, SERVICE_WINDOW_US);
    if (sources > this.#maxSources) this.#startService(serviceKey, attempt, destIp, sources);
    else this.#startSource(key, attempt, destIp);
  }

  #foldIntoBurst(candidate: Candidate): void {
    const burst = this.#burst!;
    const proto = protoName(candidate.proto);
    const key = `burst|${proto}|${burst.fromUs}`;
    const at = candidate.firstUs;
    if (this.#alerts.observe(this.info, key, at, 1)) return;
    const max = this.#maxNewPerSecond;
    this.#alerts.start(this.info, {
      key,
      timestampUs: at,
      proto,
      observed: 1,
      threshold: max,
      windowS: 1,
      direction: candidate.direction,
      render: () =>
        `A burst of ${proto} connection attempts to unusual ports from more than ${max} ` +
        "sources or ports within 1 s: too many to alert one by one",
      explanation: `More than ${max} new (source, unusual port) attempts within 1 s: spoofed ` +
        "sources, decoys or many scanners at once. They count here (detection.count) instead " +
        "of raising one alert each.",
    });
  }

  #startService(
    serviceKey: TableKey,
    attempt: AttemptFields,
    destIp: string,
    sources: number,
  ): void {
    const key = `service|${serviceKey}`;
    if (this.#alerts.observe(this.info, key, attempt.firstUs, sources)) return;
    const proto = protoName(attempt.proto), port = attempt.dstPort, max = this.#maxSources;
    this.#alerts.start(this.info, {
      key,
      timestampUs: attempt.firstUs,
      destIp,
      destPort: port,
      proto,
      // Started after a hold, with no packet in hand: the attempt's first packet names it.
      trigger: attemptTrigger(attempt, destIp),
      observed: sources,
      threshold: max,
      windowS: SERVICE_WINDOW_US / 1e6,
      direction: attempt.direction,
      render: (observed) =>
        `${observed >= SERVICE_SOURCE_CAP ? "at least " : ""}${observed} sources made ` +
        `connection attempts to ${destIp} on ${proto} port ${port}, which is not a common ` +
        "service port",
      explanation: `More than ${max} sources used ${proto} port ${port} of ${destIp} within ` +
        `${SERVICE_WINDOW_US / 1e6} s: a service (or a flood target) rather than one odd ` +
        "client, so further sources count here instead of alerting one by one.",
    });
  }

  #startSource(key: TableKey, attempt: AttemptFields, destIp: string): void {
    const src = keyText(attempt.src), proto = protoName(attempt.proto);
    const port = attempt.dstPort;
    const list = attempt.proto === PROTO_TCP ? "tcp_ports" : "udp_ports";
    this.#alerts.start(this.info, {
      key,
      timestampUs: attempt.firstUs,
      srcIp: src,
      destIp,
      destPort: port,
      proto,
      trigger: attemptTrigger(attempt, destIp),
      observed: 1,
      threshold: 0,
      windowS: this.#holdUs / 1e6,
      direction: attempt.direction,
      render: () =>
        `${src} made a connection attempt to ${destIp} on ${proto} port ${port}, ` +
        "which is not a common service port",
      explanation: `${proto} port ${port} is not in detect.unusual_port.${list}; the ` +
        `attempt waited ${this.#holdUs / 1e6} s and its source was not flagged as a scanner.`,
    });
  }

  trackers(): TrackerStats[] {
    return [this.#candidates.stats(), this.#services.stats()];
  }
}

/**
 * IPv4 multicast (224/4), limited broadcast, or a directed broadcast of a /24 or longer prefix
 * (host part all ones: an address ending in .255), IPv6 multicast (ff00::/8), from the first
 * word.
 */
function isGroupAddress(firstWord: number, v6: boolean): boolean {
  if (v6) return firstWord >>> 24 === 0xff;
  return firstWord >>> 28 === 0xe || (firstWord & 0xff) === 0xff;
}

/** Registry entry. */
export function createUnusualPort(deps: DetectorDeps): Detector {
  return new UnusualPort(deps);
}
