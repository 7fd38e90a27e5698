/**
 * @module brute_force
 * Password guessing seen from the network: one source opening many SHORT sessions to one login
 * service (port) of one host within the window (default more than 20 in 300 s). A session
 * counts when the server answered its SYN with a SYN-ACK (the handshake completed, so it is no
 * scan of a closed port) and a FIN or an RST with ACK closed it within
 * `detect.brute_force.max_session_s` (30 s): a failed login is over in seconds, an interactive
 * or polling session lasts longer or comes rarely. Zeek's SSH::Password_Guessing counts failed
 * logins (30 in 30 min); a sensor without the payload counts sessions, so its threshold sits
 * higher and its window shorter than fail2ban's (5 failures in 10 min).
 *
 * Only SYN-ACK, FIN and RST packets of TCP are looked at (established data never costs a
 * lookup, so bulk transfers cost nothing), and only on the listed service ports. A bare RST
 * (without ACK) is what a host sends for a SYN-ACK it never asked for (a SYN scan, a SYN flood
 * from a real source): it ends the session without counting it.
 *
 * Not silenced for a source flagged as a scanner: a scan counts failed attempts on many ports,
 * this completed sessions on one, and guessing after a scan is the escalation to report.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { keyText } from "../../packet/host_key.ts";
import type { AlertManager } from "../alerts/alerts.ts";
import { detectorInfo } from "../catalog.ts";
import type { Detector, DetectorDeps, ScannerFlags } from "../detector.ts";
import { type NetworkThreshold, networkThreshold } from "../network_thresholds.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "../tracking/keyed_state.ts";
import {
  type PacketContext,
  PROTO_TCP,
  ROLE_RESPONDER,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "../packet_context.ts";
import { seconds } from "../alerts/evidence_text.ts";
import { exchangeKey } from "../tracking/tuple_key.ts";
import { SlidingCount } from "../tracking/windows.ts";

/** Names of well-known login services, for the evidence sentence. */
const SERVICE_NAMES: Readonly<Record<number, string>> = {
  21: "FTP",
  22: "SSH",
  23: "Telnet",
  25: "SMTP",
  80: "HTTP",
  110: "POP3",
  143: "IMAP",
  389: "LDAP",
  443: "HTTPS",
  445: "SMB",
  465: "SMTPS",
  512: "rexec",
  513: "rlogin",
  587: "SMTP submission",
  636: "LDAPS",
  993: "IMAPS",
  995: "POP3S",
  1433: "MSSQL",
  1521: "Oracle",
  3306: "MySQL",
  3389: "RDP",
  5432: "PostgreSQL",
  5900: "VNC",
  6379: "Redis",
  8080: "HTTP",
  27017: "MongoDB",
};

/** The service's name for sentences, or "port N". */
export function serviceName(port: number): string {
  return SERVICE_NAMES[port] ?? `port ${port}`;
}

/** A session from its SYN-ACK until its first FIN or RST. */
interface Session extends KeyedEntry {
  /** Packet time of the SYN-ACK, µs. */
  startUs: number;
}

/** Short sessions of one (client, server, service port) in the window, and the current run. */
class ServicePair implements KeyedEntry {
  lastSeenUs: number;
  movedUs: number;
  readonly sessions = new SlidingCount();
  /** First short session of the run (a run starts after a window without any). */
  firstUs: number;
  lastUs: number;
  /** Most short sessions in one window during the alert, reached `peakElapsedUs` into the run. */
  peak = 0;
  peakElapsedUs = 0;

  constructor(
    nowUs: number,
    /** The client's threshold (detect.network_thresholds), looked up once. */
    readonly threshold: number,
  ) {
    this.lastSeenUs =
      this.movedUs =
      this.firstUs =
      this.lastUs =
        nowUs;
  }
}

/** Fires when one (source, destination, service port) exceeds `detect.brute_force.threshold`. */
export class BruteForce implements Detector {
  readonly info = detectorInfo("brute_force");
  readonly #scanners: ScannerFlags;
  readonly #threshold: NetworkThreshold;
  readonly #windowUs: number;
  readonly #maxSessionUs: number;
  /** 1 at each service port watched. */
  readonly #ports = new Uint8Array(65536);
  readonly #sessions: KeyedState<Session>;
  readonly #pairs: KeyedState<ServicePair>;
  readonly #alerts: AlertManager;

  constructor(deps: DetectorDeps) {
    const c = deps.config;
    this.#threshold = networkThreshold(c, "detect.brute_force.threshold");
    this.#windowUs = deps.settings.brute_force.window_s * 1e6;
    this.#maxSessionUs = deps.settings.brute_force.max_session_s * 1e6;
    for (const port of deps.settings.brute_force.ports) this.#ports[port] = 1;
    const cap = deps.settings.brute_force.max_tracked;
    // A session older than max_session_s can no longer count: it expires then.
    this.#sessions = new KeyedState("brute_force.sessions", cap, this.#maxSessionUs);
    this.#pairs = new KeyedState("brute_force.pairs", cap, this.#windowUs);
    this.#alerts = deps.alerts;
    this.#scanners = deps.scanners;
  }

  onPacket(p: PacketContext): void {
    if (p.proto !== PROTO_TCP) return;
    const flags = p.tcpFlags;
    if ((flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 || p.srcPort < 0) return; // data: no cost
    const ports = this.#ports;
    if (flags & TCP_SYN) {
      // A SYN-ACK answering a SYN the tracker saw: the server accepted the session.
      if ((flags & (TCP_ACK | TCP_RST)) !== TCP_ACK) return;
      if (ports[p.srcPort] !== 1 || p.role !== ROLE_RESPONDER) return;
      this.#open(p);
      return;
    }
    // FIN or RST: the side sending it is the client when the destination port is watched.
    if (ports[p.dstPort] === 1) {
      const key = exchangeKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
      if (this.#close(key, p, true)) return;
    }
    if (ports[p.srcPort] === 1) {
      this.#close(exchangeKey(p.dstKey, p.dstPort, p.srcKey, p.srcPort, PROTO_TCP), p, false);
    }
  }

  #open(p: PacketContext): void {
    const now = p.timestampUs;
    const key = exchangeKey(p.dstKey, p.dstPort, p.srcKey, p.srcPort, PROTO_TCP);
    // A retransmitted SYN-ACK keeps the session's start.
    if (this.#sessions.get(key, now) !== undefined) return;
    this.#sessions.insert(key, { lastSeenUs: now, movedUs: now, startUs: now });
  }

  /** Ends the session `key` if tracked; counts it when short. False when it was not tracked. */
  #close(key: TableKey, p: PacketContext, fromClient: boolean): boolean {
    const session = this.#sessions.peek(key);
    if (session === undefined) return false;
    this.#sessions.delete(key);
    const now = p.timestampUs;
    // A bare RST answers a SYN-ACK nobody asked for (SYN scan, SYN flood): no session.
    if ((p.tcpFlags & (TCP_RST | TCP_ACK)) === TCP_RST) return true;
    if (now - session.startUs > this.#maxSessionUs) return true;
    const client = fromClient ? p.srcKey : p.dstKey;
    const server = fromClient ? p.dstKey : p.srcKey;
    const port = fromClient ? p.dstPort : p.srcPort;
    const pairKey = exchangeKey(client, 0, server, port, PROTO_TCP);
    let pair = this.#pairs.get(pairKey, now);
    if (pair === undefined) {
      pair = this.#pairs.insert(pairKey, new ServicePair(now, this.#threshold.of(client)));
    }
    if (now - pair.lastUs >= this.#windowUs) pair.firstUs = now;
    if (now > pair.lastUs) pair.lastUs = now;
    const count = pair.sessions.add(now, this.#windowUs);
    if (count <= pair.threshold) return true;
    // Flagged like a scanner: the victim's answers to it are not the victim's own traffic.
    this.#scanners.flag(client, now);
    if (count > pair.peak) {
      pair.peak = count;
      pair.peakElapsedUs = now - pair.firstUs;
    }
    if (this.#alerts.observe(this.info, pairKey, now, count)) return true;
    const direction = fromClient ? p.direction : reversed(p.direction);
    this.#start(pairKey, pair, client, server, port, count, now, direction);
    return true;
  }

  #start(
    key: TableKey,
    pair: ServicePair,
    client: TableKey,
    server: TableKey,
    port: number,
    count: number,
    now: number,
    direction: number,
  ): void {
    pair.peak = count;
    pair.peakElapsedUs = now - pair.firstUs;
    const src = keyText(client), dst = keyText(server), service = serviceName(port);
    const threshold = pair.threshold, windowS = this.#windowUs / 1e6;
    const maxSessionS = this.#maxSessionUs / 1e6;
    this.#alerts.start(this.info, {
      key,
      timestampUs: now,
      srcIp: src,
      destIp: dst,
      destPort: port,
      proto: "TCP",
      observed: count,
      threshold,
      windowS,
      direction,
      render: (observed) =>
        `${src} made ${observed} short sessions to ${service} on ${dst} in ` +
        `${seconds(pair.peakElapsedUs)} s`,
      explanation: `More than ${threshold} sessions from one source to one service port of one ` +
        `host within ${windowS} s, each accepted (SYN-ACK) and closed within ${maxSessionS} s: ` +
        "the pattern of password guessing.",
    });
  }

  tick(nowUs: number): void {
    this.#sessions.sweep(nowUs);
    this.#pairs.sweep(nowUs);
  }

  trackers(): TrackerStats[] {
    return [this.#sessions.stats(), this.#pairs.stats()];
  }
}

/** The direction of the reply to a packet of direction `d` (0 other, 1 incoming, 2 outgoing). */
function reversed(d: number): number {
  return d === 1 ? 2 : d === 2 ? 1 : d;
}

/** Registry entry. */
export function createBruteForce(deps: DetectorDeps): Detector {
  return new BruteForce(deps);
}
