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
 *
 * Exchanges live in typed columns (core/detect/exchange_table.ts), not one object each: a
 * spoofed flood adds and evicts one per packet. Detectors get one reused Attempt, filled from
 * the columns before each call and valid only during it; `stateOf(attempt.ref)` answers later.
 */
import type { TableKey } from "../packet/host_key.ts";
import type { Config } from "../config/config.ts";
import { list, num } from "../config/config.ts";
import { mix32 } from "../packet/hash.ts";
import { hostKey } from "../packet/host_key.ts";
import { exchangeKey } from "./tuple_key.ts";
import {
  F_FRAGMENT,
  F_ICMP_ERROR,
  W_DST_ADDR,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_PAYLOAD_LEN,
  W_SRC_ADDR,
} from "../packet/packet_batch.ts";
import type {
  Attempt,
  AttemptStates,
  FailureReason,
  ProtocolProbe,
  Unsolicited,
} from "./detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./keyed_state.ts";
import { ExchangeTable, X_ACK_PROBE, X_UNSOLICITED, X_V6 } from "./exchange_table.ts";
import { SlotQueue } from "./slot_queue.ts";
import {
  copyAddress,
  ICMP_EXPIRED_IN_TRANSIT,
  ICMP_NOT_FINAL,
  icmpErrorVerdict,
  isProtocolUnreachable,
  sameAddress,
} from "./exchange_packets.ts";
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

interface FragmentEntry extends KeyedEntry {
  reflectorPort: number;
}

/** The one Attempt detectors see, refilled from the table's columns before each call. */
class AttemptView implements Attempt {
  src: TableKey = 0;
  dst: TableKey = 0;
  v6 = false;
  proto = 0;
  srcPort = 0;
  dstPort = 0;
  firstUs = 0;
  direction = 0;
  tcpFlags = 0;
  state = PENDING;
  ref = 0;
}

/** Where the tracker's findings go (the detection orchestrator fans them out). */
export interface ConnectionListener {
  /** A new attempt; `attempt` is valid only during the call (the object is reused). */
  attempt(attempt: Attempt, packet: PacketContext): void;
  /** A failed attempt; `attempt` is valid only during the call (the object is reused). */
  failure(attempt: Attempt, reason: FailureReason, nowUs: number): void;
  unsolicited(event: Unsolicited): void;
  /** An IP protocol tried on a host (packets of other protocols, protocol unreachables). */
  protocol?(probe: ProtocolProbe): void;
}

/** Tracks exchanges in a bounded table, in packet time. */
export class ConnectionTracker implements AttemptStates {
  readonly #table: ExchangeTable;
  readonly #fragments: KeyedState<FragmentEntry>;
  /** Slots of pending attempts in arrival order, for timeouts (answered ones skipped on pop). */
  readonly #pending: SlotQueue;
  readonly #timeoutUs: number;
  readonly #reflectorPorts: Uint8Array;
  readonly #view = new AttemptView();
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
    const cap = num(config, "detect.connections.max_tracked");
    this.#timeoutUs = num(config, "detect.connections.attempt_timeout_s") * 1e6;
    this.#table = new ExchangeTable("connections", cap, Math.max(idleUs, this.#timeoutUs), cap);
    this.#fragments = new KeyedState("connections.fragments", 10_000, 30e6);
    this.#pending = new SlotQueue(cap);
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
    const queue = this.#pending, table = this.#table;
    for (let slot = queue.peek(); slot !== -1; slot = queue.peek()) {
      const firstUs = table.firstUs[slot]!;
      if (nowUs - firstUs < this.#timeoutUs) break;
      queue.shift();
      if (table.state[slot] === PENDING) {
        table.state[slot] = FAILED;
        this.listener.failure(this.#stored(slot), "timeout", firstUs + this.#timeoutUs);
      }
      table.release(slot);
    }
    table.sweep(nowUs);
    this.#fragments.sweep(nowUs);
  }

  /** End of capture: every attempt still pending counts as unanswered, dated `nowUs`. */
  finish(nowUs: number): void {
    this.tick(nowUs);
    const queue = this.#pending, table = this.#table;
    for (let slot = queue.shift(); slot !== -1; slot = queue.shift()) {
      if (table.state[slot] === PENDING) {
        table.state[slot] = FAILED;
        this.listener.failure(this.#stored(slot), "timeout", Math.max(nowUs, table.firstUs[slot]!));
      }
      table.release(slot);
    }
  }

  stateOf(ref: number): number {
    return this.#table.stateOf(ref);
  }

  trackers(): TrackerStats[] {
    return [
      this.#table.stats(),
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
    if (this.#table.find(key, p.timestampUs) !== -1) return;
    this.#begin(key, p, false, true);
  }

  #synAck(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const slot = this.#table.find(key, p.timestampUs);
    if (slot === -1 || !this.#fromResponder(slot, p)) {
      p.role = ROLE_UNSOLICITED;
      this.#reportUnsolicited(p, p.srcPort, "syn-ack");
      return;
    }
    p.role = ROLE_RESPONDER;
    if (this.#table.state[slot] === PENDING) this.#table.state[slot] = ANSWERED;
  }

  /** A RST (with ACK) from the contacted side ends a pending attempt as failed. */
  #reset(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const slot = this.#table.find(key, p.timestampUs);
    if (slot === -1 || !this.#fromResponder(slot, p)) return;
    p.role = ROLE_RESPONDER;
    this.#failIfPending(slot, "rst", p.timestampUs);
  }

  /**
   * A RST without ACK answers a segment that carried an ACK (RFC 9293 3.10.7.1): from the
   * contacted side of a pending attempt it fails it. For an exchange the tracker never saw, it
   * is the answer to an ACK probe the capture missed: that probe is inferred, failed at once.
   */
  #bareReset(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const table = this.#table;
    const known = table.find(key, p.timestampUs);
    if (known !== -1) {
      if (!this.#fromResponder(known, p)) return; // the prober's own RST (nmap -sS)
      p.role = ROLE_RESPONDER;
      this.#failIfPending(known, "rst", p.timestampUs);
      return;
    }
    p.role = ROLE_RESPONDER;
    // The inferred probe went the other way: from this RST's destination to its source.
    const slot = table.add(key, p.timestampUs);
    copyAddress(p, W_DST_ADDR, table.src, slot);
    copyAddress(p, W_SRC_ADDR, table.dst, slot);
    table.srcPort[slot] = p.dstPort;
    table.dstPort[slot] = p.srcPort;
    table.proto[slot] = PROTO_TCP;
    table.firstUs[slot] = p.timestampUs;
    table.direction[slot] = p.direction === 0 ? 0 : 3 - p.direction;
    table.tcpFlags[slot] = TCP_ACK;
    table.state[slot] = FAILED;
    table.bits[slot] = (p.v6 ? X_V6 : 0) | X_ACK_PROBE;
    this.listener.failure(this.#stored(slot), "rst", p.timestampUs);
  }

  /**
   * A pure ACK or a FIN (the only ACK-bearing segments looked up). On a known exchange, a sign
   * of a connection: the initiator acking a pending SYN (its SYN-ACK was not captured), the
   * other side speaking, or an ACK probe's sender acking on and on. On an unknown exchange, a
   * bare ACK starts an ACK probe.
   */
  #ack(p: PacketContext): void {
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
    const table = this.#table;
    const slot = table.find(key, p.timestampUs);
    if (slot !== -1) {
      if (table.state[slot] !== PENDING) return;
      if (
        !(table.bits[slot]! & X_ACK_PROBE) || p.tcpFlags & TCP_FIN ||
        this.#fromResponder(slot, p) ||
        (table.acks[slot] = table.acks[slot]! + 1) > ACK_PROBE_REPEATS
      ) {
        table.state[slot] = ANSWERED;
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
    const table = this.#table;
    const known = table.find(key, p.timestampUs);
    if (known !== -1) {
      const fromStarter = table.srcPort[known] === p.srcPort &&
        sameAddress(table, table.src, known, p, W_SRC_ADDR);
      if (!fromStarter) {
        p.role = ROLE_RESPONDER;
        if (table.state[known] === PENDING) table.state[known] = ANSWERED;
      } else if (table.bits[known]! & X_UNSOLICITED) {
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
    const table = this.#table;
    const slot = table.find(key, p.timestampUs);
    if (slot === -1 || table.state[slot] !== PENDING) return;
    // A TCP exchange has one key from both sides: the quoted packet must be the initiator's.
    if (
      proto === PROTO_TCP &&
      (table.srcPort[slot] !== sport || !sameAddress(table, table.src, slot, p, W_DST_ADDR))
    ) {
      return;
    }
    p.role = ROLE_RESPONDER;
    const verdict = icmpErrorVerdict(p);
    if (verdict === ICMP_NOT_FINAL) return;
    if (verdict === ICMP_EXPIRED_IN_TRANSIT) {
      // A router answered a probe sent with a short TTL (traceroute, mtr): it never reached
      // the destination, so it neither failed there nor should it time out as unanswered.
      table.state[slot] = ANSWERED;
      return;
    }
    this.#failIfPending(slot, "unreachable", p.timestampUs);
  }

  #failIfPending(slot: number, reason: FailureReason, nowUs: number): void {
    if (this.#table.state[slot] !== PENDING) return;
    this.#table.state[slot] = FAILED;
    this.listener.failure(this.#stored(slot), reason, nowUs);
  }

  /**
   * Tracks a new exchange started by `p`. `announce` tells the detectors of the attempt (ACK
   * probes are not: a connection seen mid-way starts one too, so only their failures count).
   */
  #begin(key: number, p: PacketContext, unsolicited: boolean, announce: boolean): void {
    const table = this.#table;
    const slot = table.add(key, p.timestampUs);
    copyAddress(p, W_SRC_ADDR, table.src, slot);
    copyAddress(p, W_DST_ADDR, table.dst, slot);
    table.srcPort[slot] = p.srcPort;
    table.dstPort[slot] = p.dstPort;
    table.proto[slot] = p.proto;
    table.firstUs[slot] = p.timestampUs;
    table.direction[slot] = p.direction;
    table.tcpFlags[slot] = p.tcpFlags;
    table.state[slot] = unsolicited ? ANSWERED : PENDING;
    table.bits[slot] = (p.v6 ? X_V6 : 0) |
      (unsolicited ? X_UNSOLICITED : announce ? 0 : X_ACK_PROBE);
    if (unsolicited) return;
    // Full: the oldest pending attempt is dropped, no longer timed out (counted).
    table.hold(slot);
    const dropped = this.#pending.push(slot);
    if (dropped !== -1) table.release(dropped);
    if (announce) this.listener.attempt(this.#fill(slot, p.srcKey, p.dstKey), p);
  }

  /** The view of `slot`, its address keys rebuilt from the columns. */
  #stored(slot: number): Attempt {
    const table = this.#table, v6 = (table.bits[slot]! & X_V6) !== 0;
    return this.#fill(slot, hostKey(table.src, slot * 4, v6), hostKey(table.dst, slot * 4, v6));
  }

  #fill(slot: number, src: TableKey, dst: TableKey): Attempt {
    const table = this.#table, view = this.#view;
    view.src = src;
    view.dst = dst;
    view.v6 = (table.bits[slot]! & X_V6) !== 0;
    view.proto = table.proto[slot]!;
    view.srcPort = table.srcPort[slot]!;
    view.dstPort = table.dstPort[slot]!;
    view.firstUs = table.firstUs[slot]!;
    view.direction = table.direction[slot]!;
    view.tcpFlags = table.tcpFlags[slot]!;
    view.state = table.state[slot]!;
    view.ref = table.refOf(slot);
    return view;
  }

  /** True when `p` comes from the side the exchange's first packet went to. */
  #fromResponder(slot: number, p: PacketContext): boolean {
    const table = this.#table;
    return table.dstPort[slot] === p.srcPort &&
      sameAddress(table, table.dst, slot, p, W_SRC_ADDR) &&
      sameAddress(table, table.src, slot, p, W_DST_ADDR);
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

/** The key of an exchange, the same from either side (endpoints in a fixed order). */
function pairedKey(a: TableKey, ap: number, b: TableKey, bp: number, proto: number): number {
  const aFirst = a < b || (a === b && ap <= bp);
  return aFirst ? exchangeKey(a, ap, b, bp, proto) : exchangeKey(b, bp, a, ap, proto);
}

function udpKey(a: TableKey, ap: number, b: TableKey, bp: number): number {
  return pairedKey(a, ap, b, bp, PROTO_UDP);
}

function fragmentKey(p: PacketContext): TableKey {
  if (typeof p.srcKey === "number" && typeof p.dstKey === "number") {
    return (mix32(p.srcKey ^ mix32(p.dstKey)) >>> 0) * 0x10000 + (p.ipId & 0xffff);
  }
  return exchangeKey(p.srcKey, p.ipId & 0xffff, p.dstKey, 0, 0);
}
