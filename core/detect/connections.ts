/**
 * @module connections
 * The connection tracker: who started each TCP attempt and UDP exchange, whether it was
 * answered, failed (RST, ICMP unreachable) or went unanswered past the attempt timeout, and
 * which packets nobody asked for. Detectors get these findings instead of re-deriving them.
 *
 * Tracked: TCP packets without ACK (SYN, and the FIN/NULL/Xmas probes of stealth scans), their
 * SYN-ACK/RST answers, UDP in both directions, and ICMP errors quoting TCP/UDP.
 *
 * ACK probes (nmap -sA, -sW, -PA) carry no SYN: a bare ACK (no payload) on a TCP exchange the
 * tracker does not know starts a probe, which fails when answered by a RST or left unanswered,
 * and turns out to be a connection seen mid-way when the other side sends an ACK or FIN of its
 * own or its sender keeps acking. A RST without ACK for an exchange the tracker does not know
 * answers an ACK-bearing segment its sender has no connection for: a probe we did not see (a
 * capture of the replies only), failed at once. ACK probes are never announced as attempts.
 *
 * TCP exchanges have one key from either side. Segments carrying data are never looked up, so
 * bulk transfers cost the tracker one lookup per pure ACK (the receiver's side), as UDP costs
 * one per datagram.
 */
import type { TableKey } from "../host_key.ts";
import type { Config } from "../config.ts";
import { list, num } from "../config.ts";
import { mix32 } from "../hash.ts";
import { hostKey } from "../host_key.ts";
import { exchangeKey } from "./tuple_key.ts";
import {
  F_FRAGMENT,
  F_ICMP_ERROR,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_PAYLOAD_LEN,
} from "../packet_batch.ts";
import type { Attempt, FailureReason, ProtocolProbe, Unsolicited } from "./detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./keyed_state.ts";
import { BoundedQueue } from "./bounded_queue.ts";
import {
  type PacketContext,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  ROLE_INITIATOR,
  ROLE_RESPONDER,
  ROLE_UNSOLICITED,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "./packet_context.ts";

const PENDING = 0;
const ANSWERED = 1;
const FAILED = 2;

/**
 * Bare ACKs the sender of an ACK probe may repeat on the same exchange while it is pending
 * (nmap retransmits a probe left unanswered, usually once); one more makes it a connection
 * seen mid-way (a receiver acking data the tracker does not look up).
 */
const ACK_PROBE_REPEATS = 2;

interface Exchange extends KeyedEntry, Attempt {
  state: number;
  /** A reflector-port response nobody asked for: every packet of it is unsolicited. */
  unsolicited: boolean;
  /** Started by a bare ACK (an ACK probe, or a connection seen mid-way). */
  ackProbe: boolean;
  /** Bare ACKs from the initiator on an ACK probe. */
  acks: number;
}

interface FragmentEntry extends KeyedEntry {
  reflectorPort: number;
}

/** Where the tracker's findings go (the detection orchestrator fans them out). */
export interface ConnectionListener {
  attempt(attempt: Attempt, packet: PacketContext): void;
  failure(attempt: Attempt, reason: FailureReason, nowUs: number): void;
  unsolicited(event: Unsolicited): void;
  /** An IP protocol tried on a host (packets of other protocols, protocol unreachables). */
  protocol?(probe: ProtocolProbe): void;
}

/** Tracks exchanges in a bounded table, in packet time. */
export class ConnectionTracker {
  readonly #exchanges: KeyedState<Exchange>;
  readonly #fragments: KeyedState<FragmentEntry>;
  /** Pending attempts in arrival order, for timeouts (entries may be stale: checked on pop). */
  readonly #pending: BoundedQueue<Exchange>;
  readonly #timeoutUs: number;
  readonly #reflectorPorts: Uint8Array;
  readonly #unsolicitedEvent: Unsolicited = {
    reflector: 0,
    victim: 0,
    v6: false,
    proto: PROTO_UDP,
    reflectorPort: -1,
    kind: "udp",
    timestampUs: 0,
    direction: 0,
  };
  readonly #protocolProbe: ProtocolProbe = {
    src: 0,
    dst: 0,
    v6: false,
    proto: -1,
    reply: false,
    timestampUs: 0,
    direction: 0,
  };

  constructor(config: Config, readonly listener: ConnectionListener) {
    const idleUs = num(config, "detect.connections.idle_s") * 1e6;
    this.#timeoutUs = num(config, "detect.connections.attempt_timeout_s") * 1e6;
    this.#exchanges = new KeyedState(
      "connections",
      num(config, "detect.connections.max_tracked"),
      Math.max(idleUs, this.#timeoutUs),
    );
    this.#fragments = new KeyedState("connections.fragments", 10_000, 30e6);
    this.#pending = new BoundedQueue(this.#exchanges.cap);
    this.#reflectorPorts = new Uint8Array(65536);
    for (const port of list<number>(config, "detect.reflection.udp_ports")) {
      this.#reflectorPorts[port] = 1;
    }
  }

  /** Classifies one packet (sets `packet.role`) and reports what it reveals. */
  observe(p: PacketContext): void {
    const proto = p.proto;
    if (proto === PROTO_TCP) {
      if (p.srcPort >= 0) this.#tcp(p);
    } else if (proto === PROTO_UDP) {
      this.#udp(p);
    } else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
      if (p.flags & F_ICMP_ERROR) this.#icmpError(p);
    } else if (proto >= 0 && !p.isLaterFragment) {
      this.#reportProtocol(p.srcKey, p.dstKey, proto, false, p);
    }
  }

  /** Fails attempts unanswered for longer than the timeout; expires idle state. */
  tick(nowUs: number): void {
    const queue = this.#pending;
    for (let attempt = queue.peek(); attempt !== undefined; attempt = queue.peek()) {
      if (nowUs - attempt.firstUs < this.#timeoutUs) break;
      queue.shift();
      if (attempt.state === PENDING) {
        attempt.state = FAILED;
        this.listener.failure(attempt, "timeout", attempt.firstUs + this.#timeoutUs);
      }
    }
    this.#exchanges.sweep(nowUs);
    this.#fragments.sweep(nowUs);
  }

  /** End of capture: every attempt still pending counts as unanswered, dated `nowUs`. */
  finish(nowUs: number): void {
    this.tick(nowUs);
    const queue = this.#pending;
    for (let attempt = queue.shift(); attempt !== undefined; attempt = queue.shift()) {
      if (attempt.state !== PENDING) continue;
      attempt.state = FAILED;
      this.listener.failure(attempt, "timeout", Math.max(nowUs, attempt.firstUs));
    }
  }

  trackers(): TrackerStats[] {
    return [
      this.#exchanges.stats(),
      {
        name: "connections.pending",
        size: this.#pending.size,
        cap: this.#pending.cap,
        evictions: this.#pending.dropped,
        expired: 0,
      },
      this.#fragments.stats(),
    ];
  }

  #tcp(p: PacketContext): void {
    const flags = p.tcpFlags;
    if (!(flags & TCP_ACK)) {
      if (flags & TCP_RST) this.#bareReset(p);
      else this.#tcpProbe(p);
      return;
    }
    if (flags & TCP_SYN) this.#synAck(p);
    else if (flags & TCP_RST) this.#reset(p);
    else if (flags & TCP_FIN || p.fields[p.base + W_PAYLOAD_LEN] === 0) this.#ack(p);
    // Anything else carries data: never looked up.
  }

  /** SYN, or a FIN/NULL/Xmas probe: an attempt unless this exchange is already known. */
  #tcpProbe(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    p.role = ROLE_INITIATOR;
    if (this.#exchanges.get(key, p.timestampUs) !== undefined) return;
    this.#begin(key, p, false, true);
  }

  #synAck(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const exchange = this.#exchanges.get(key, p.timestampUs);
    if (exchange === undefined || !fromResponder(exchange, p)) {
      p.role = ROLE_UNSOLICITED;
      this.#reportUnsolicited(p, p.srcPort, "syn-ack");
      return;
    }
    p.role = ROLE_RESPONDER;
    if (exchange.state === PENDING) exchange.state = ANSWERED;
  }

  /** A RST (with ACK) from the contacted side ends a pending attempt as failed. */
  #reset(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const exchange = this.#exchanges.get(key, p.timestampUs);
    if (exchange === undefined || !fromResponder(exchange, p)) return;
    p.role = ROLE_RESPONDER;
    if (exchange.state !== PENDING) return;
    exchange.state = FAILED;
    this.listener.failure(exchange, "rst", p.timestampUs);
  }

  /**
   * A RST without ACK answers a segment that carried an ACK (RFC 9293 3.10.7.1): from the
   * contacted side of a pending attempt it fails it. For an exchange the tracker never saw, it
   * is the answer to an ACK probe the capture missed: that probe is inferred, failed at once.
   */
  #bareReset(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const exchange = this.#exchanges.get(key, p.timestampUs);
    if (exchange !== undefined) {
      if (!fromResponder(exchange, p)) return; // the prober's own RST (nmap -sS)
      p.role = ROLE_RESPONDER;
      if (exchange.state !== PENDING) return;
      exchange.state = FAILED;
      this.listener.failure(exchange, "rst", p.timestampUs);
      return;
    }
    p.role = ROLE_RESPONDER;
    const inferred: Exchange = {
      lastSeenUs: p.timestampUs,
      movedUs: p.timestampUs,
      src: p.dstKey,
      dst: p.srcKey,
      v6: p.v6,
      proto: PROTO_TCP,
      srcPort: p.dstPort,
      dstPort: p.srcPort,
      firstUs: p.timestampUs,
      direction: p.direction === 0 ? 0 : 3 - p.direction,
      tcpFlags: TCP_ACK,
      state: FAILED,
      unsolicited: false,
      ackProbe: true,
      acks: 0,
    };
    this.#exchanges.insert(key, inferred);
    this.listener.failure(inferred, "rst", p.timestampUs);
  }

  /**
   * A pure ACK or a FIN (the only ACK-bearing segments looked up). On a known exchange, a sign
   * of a connection: the initiator acking a pending SYN (its SYN-ACK was not captured), the
   * other side speaking, or an ACK probe's sender acking on and on. On an unknown exchange, a
   * bare ACK starts an ACK probe.
   */
  #ack(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const exchange = this.#exchanges.get(key, p.timestampUs);
    if (exchange !== undefined) {
      if (exchange.state !== PENDING) return;
      if (
        !exchange.ackProbe || p.tcpFlags & TCP_FIN || fromResponder(exchange, p) ||
        ++exchange.acks > ACK_PROBE_REPEATS
      ) {
        exchange.state = ANSWERED;
      }
      return;
    }
    if (p.tcpFlags & TCP_FIN) return;
    p.role = ROLE_INITIATOR;
    this.#begin(key, p, false, false);
  }

  #udp(p: PacketContext): void {
    if (p.srcPort < 0) {
      this.#laterFragment(p);
      return;
    }
    // One lookup for both directions; the entry says which side started the exchange.
    const key = udpKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort);
    const known = this.#exchanges.get(key, p.timestampUs);
    if (known !== undefined) {
      const fromStarter = known.src === p.srcKey && known.srcPort === p.srcPort;
      if (!fromStarter) {
        p.role = ROLE_RESPONDER;
        if (known.state === PENDING) known.state = ANSWERED;
      } else if (known.unsolicited) {
        p.role = ROLE_UNSOLICITED;
        this.#reportUnsolicited(p, p.srcPort, "udp");
      } else {
        p.role = ROLE_INITIATOR;
      }
      return;
    }
    if (this.#reflectorPorts[p.srcPort] === 1 && !this.#reflectorPorts[p.dstPort]) {
      p.role = ROLE_UNSOLICITED;
      this.#begin(key, p, true, false);
      this.#reportUnsolicited(p, p.srcPort, "udp");
      return;
    }
    p.role = ROLE_INITIATOR;
    this.#begin(key, p, false, true);
  }

  /** A UDP fragment without ports: unsolicited if its first fragment was. */
  #laterFragment(p: PacketContext): void {
    const entry = this.#fragments.get(fragmentKey(p), p.timestampUs);
    if (entry === undefined) return;
    p.role = ROLE_UNSOLICITED;
    this.#reportUnsolicited(p, entry.reflectorPort, "udp");
  }

  #icmpError(p: PacketContext): void {
    const f = p.fields, b = p.base;
    const proto = f[b + W_INNER_PROTO]!, sport = f[b + W_INNER_SRC_PORT]!;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) {
      // Only the host a packet was for says its protocol is unsupported (RFC 1122 3.2.2.1).
      if (proto >= 0 && isProtocolUnreachable(p)) {
        p.role = ROLE_RESPONDER; // the answer to a probe: no traffic of its own
        this.#reportProtocol(p.dstKey, p.srcKey, proto, true, p);
      }
      return;
    }
    if (sport < 0) return;
    // The quoted packet went from this error's destination to the quoted destination.
    const victim = hostKey(f, b + W_INNER_DST_ADDR, p.v6);
    const dport = f[b + W_INNER_DST_PORT]!;
    const key = pairedKey(p.dstKey, sport, victim, dport, proto);
    const exchange = this.#exchanges.get(key, p.timestampUs);
    if (exchange === undefined || exchange.state !== PENDING) return;
    // A TCP exchange has one key from both sides: the quoted packet must be the initiator's.
    if (proto === PROTO_TCP && (exchange.src !== p.dstKey || exchange.srcPort !== sport)) return;
    p.role = ROLE_RESPONDER;
    const verdict = icmpErrorVerdict(p);
    if (verdict === ICMP_NOT_FINAL) return;
    if (verdict === ICMP_EXPIRED_IN_TRANSIT) {
      // A router answered a probe sent with a short TTL (traceroute, mtr): it never reached
      // the destination, so it neither failed there nor should it time out as unanswered.
      exchange.state = ANSWERED;
      return;
    }
    exchange.state = FAILED;
    this.listener.failure(exchange, "unreachable", p.timestampUs);
  }

  /**
   * Tracks a new exchange started by `p`. `announce` tells the detectors of the attempt (ACK
   * probes are not: a connection seen mid-way starts one too, so only their failures count).
   */
  #begin(key: TableKey, p: PacketContext, unsolicited: boolean, announce: boolean): void {
    const exchange: Exchange = {
      lastSeenUs: p.timestampUs,
      movedUs: p.timestampUs,
      src: p.srcKey,
      dst: p.dstKey,
      v6: p.v6,
      proto: p.proto,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      firstUs: p.timestampUs,
      direction: p.direction,
      tcpFlags: p.tcpFlags,
      state: unsolicited ? ANSWERED : PENDING,
      unsolicited,
      ackProbe: !announce && !unsolicited,
      acks: 0,
    };
    this.#exchanges.insert(key, exchange);
    if (unsolicited) return;
    // Full: the oldest pending attempt is dropped, no longer timed out (counted).
    this.#pending.push(exchange);
    if (announce) this.listener.attempt(exchange, p);
  }

  #reportProtocol(
    src: TableKey,
    dst: TableKey,
    proto: number,
    reply: boolean,
    p: PacketContext,
  ): void {
    const e = this.#protocolProbe;
    e.src = src;
    e.dst = dst;
    e.v6 = p.v6;
    e.proto = proto;
    e.reply = reply;
    e.timestampUs = p.timestampUs;
    e.direction = reply && p.direction !== 0 ? 3 - p.direction : p.direction;
    this.listener.protocol?.(e);
  }

  #reportUnsolicited(p: PacketContext, reflectorPort: number, kind: "udp" | "syn-ack"): void {
    if (kind === "udp" && p.flags & F_FRAGMENT && !p.isLaterFragment) {
      this.#fragments.insert(fragmentKey(p), {
        lastSeenUs: p.timestampUs,
        movedUs: p.timestampUs,
        reflectorPort,
      });
    }
    const e = this.#unsolicitedEvent;
    e.reflector = p.srcKey;
    e.victim = p.dstKey;
    e.v6 = p.v6;
    e.proto = p.proto;
    e.reflectorPort = reflectorPort;
    e.kind = kind;
    e.timestampUs = p.timestampUs;
    e.direction = p.direction;
    this.listener.unsolicited(e);
  }
}

const ICMP_UNREACHABLE = 0;
const ICMP_EXPIRED_IN_TRANSIT = 1;
/** Path MTU, redirect, source quench, parameter problem: the attempt goes on or is retried. */
const ICMP_NOT_FINAL = 2;

/** ICMP protocol unreachable (3/2), or ICMPv6 parameter problem: unrecognized next header (4/1). */
function isProtocolUnreachable(p: PacketContext): boolean {
  return p.proto === PROTO_ICMP
    ? p.icmpType === 3 && p.icmpCode === 2
    : p.icmpType === 4 && p.icmpCode === 1;
}

/** What an ICMP/ICMPv6 error means for the attempt it quotes. */
function icmpErrorVerdict(p: PacketContext): number {
  const type = p.icmpType;
  if (p.proto === PROTO_ICMPV6) {
    if (type === 1) return ICMP_UNREACHABLE;
    return type === 3 ? ICMP_EXPIRED_IN_TRANSIT : ICMP_NOT_FINAL;
  }
  if (type === 3) return p.icmpCode === 4 ? ICMP_NOT_FINAL : ICMP_UNREACHABLE; // 4: needs frag
  return type === 11 ? ICMP_EXPIRED_IN_TRANSIT : ICMP_NOT_FINAL;
}

/** The key of an exchange, the same from either side (endpoints in a fixed order). */
function pairedKey(a: TableKey, ap: number, b: TableKey, bp: number, proto: number): TableKey {
  const aFirst = a < b || (a === b && ap <= bp);
  return aFirst ? exchangeKey(a, ap, b, bp, proto) : exchangeKey(b, bp, a, ap, proto);
}

function udpKey(a: TableKey, ap: number, b: TableKey, bp: number): TableKey {
  return pairedKey(a, ap, b, bp, PROTO_UDP);
}

/** True when `p` comes from the side the exchange's first packet went to. */
function fromResponder(exchange: Exchange, p: PacketContext): boolean {
  return exchange.dst === p.srcKey && exchange.dstPort === p.srcPort && exchange.src === p.dstKey;
}

function fragmentKey(p: PacketContext): TableKey {
  if (typeof p.srcKey === "number" && typeof p.dstKey === "number") {
    return (mix32(p.srcKey ^ mix32(p.dstKey)) >>> 0) * 0x10000 + (p.ipId & 0xffff);
  }
  return exchangeKey(p.srcKey, p.ipId & 0xffff, p.dstKey, 0, 0);
}
