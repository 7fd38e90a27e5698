/**
 * @module connections
 * The connection tracker: who started each TCP attempt and UDP exchange, whether it was
 * answered, failed (RST, ICMP unreachable) or went unanswered past the attempt timeout, and
 * which packets nobody asked for. Detectors get these findings instead of re-deriving them.
 *
 * Tracked: TCP packets without ACK (SYN, and the FIN/NULL/Xmas probes of stealth scans), their
 * SYN-ACK/RST answers and ACK probes (core/detect/tracking/tcp_exchanges.ts), UDP in both directions,
 * and ICMP errors quoting TCP/UDP. Here: the dispatch, UDP, ICMP errors and the reports of
 * unsolicited packets and IP protocols tried; the attempts' life (begin, answer, failure,
 * timeout) is core/detect/tracking/exchange_attempts.ts.
 *
 * TCP exchanges have one key from either side. Segments carrying data are never looked up, so
 * bulk transfers cost the tracker one lookup per pure ACK (the receiver's side), as UDP costs
 * one per datagram.
 *
 * Exchanges live in typed columns (core/detect/tracking/exchange_table.ts), not one object each: a
 * spoofed flood adds and evicts one per packet. Detectors get one reused Attempt, filled from
 * the columns before each call and valid only during it; `stateOf(attempt.ref)` answers later.
 */
import type { TableKey } from "../../packet/host_key.ts";
import type { DetectionSettings } from "../settings.ts";
import { hostKey } from "../../packet/host_key.ts";
import { fragmentKey, pairedKey } from "./tuple_key.ts";
import {
  F_FRAGMENT,
  F_ICMP_ERROR,
  W_DST_ADDR,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_SRC_ADDR,
} from "../../packet/packet_batch.ts";
import type { AttemptStates, FloodFlags, ProtocolProbe, Unsolicited } from "../detector.ts";
import { ATTEMPT_ANSWERED, ATTEMPT_PENDING } from "../detector.ts";
import { type KeyedEntry, KeyedState, type TrackerStats } from "./keyed_state.ts";
import { X_UNSOLICITED } from "./exchange_table.ts";
import { type ConnectionListener, ExchangeAttempts } from "./exchange_attempts.ts";
import { observeTcp } from "./tcp_exchanges.ts";
import {
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
} from "../packet_context.ts";

export type { ConnectionListener } from "./exchange_attempts.ts";

interface FragmentEntry extends KeyedEntry {
  reflectorPort: number;
}

/** Tracks exchanges in a bounded table, in packet time. */
export class ConnectionTracker implements AttemptStates, FloodFlags {
  readonly #attempts: ExchangeAttempts;
  readonly #fragments: KeyedState<FragmentEntry>;
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

  constructor(settings: DetectionSettings, readonly listener: ConnectionListener) {
    this.#attempts = new ExchangeAttempts(settings, listener);
    this.#fragments = new KeyedState("connections.fragments", 10_000, 30e6);
    this.#reflectorPorts = new Uint8Array(65536);
    for (const port of settings.reflection.udp_ports) {
      this.#reflectorPorts[port] = 1;
    }
  }

  /** Classifies one packet (sets `packet.role`) and reports what it reveals. */
  observe(p: PacketContext): void {
    const proto = p.proto;
    if (proto === PROTO_TCP) {
      if (p.srcPort >= 0 && observeTcp(this.#attempts, p)) {
        this.#reportUnsolicited(p, p.srcPort, "syn-ack");
      }
    } else if (proto === PROTO_UDP) {
      this.#udp(p);
    } else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
      if (p.flags & F_ICMP_ERROR) this.#icmpError(p);
    } else if (proto >= 0 && !p.isLaterFragment) {
      this.#reportProtocol(p.srcKey, p.dstKey, proto, false, p);
    }
    this.#attempts.shedding.noteSource(p.srcKey);
  }

  /** Fails attempts unanswered for longer than the timeout; expires idle state. */
  tick(nowUs: number): void {
    this.#attempts.tick(nowUs);
    this.#fragments.sweep(nowUs);
  }

  /** End of capture: every attempt still pending counts as unanswered, dated `nowUs`. */
  finish(nowUs: number): void {
    this.tick(nowUs);
    this.#attempts.finish(nowUs);
  }

  /** `victim` is under an open SYN or UDP flood alert (FloodFlags, for the flood detector). */
  flagFlooded(victim: TableKey, nowUs: number): void {
    this.#attempts.shedding.flag(victim, nowUs);
  }

  stateOf(ref: number): number {
    return this.#attempts.table.stateOf(ref);
  }

  trackers(): TrackerStats[] {
    return [...this.#attempts.stats(), this.#fragments.stats()];
  }

  #udp(p: PacketContext): void {
    if (p.srcPort < 0) {
      this.#laterFragment(p);
      return;
    }
    // One lookup for both directions; the entry says which side started the exchange.
    const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_UDP);
    const attempts = this.#attempts, table = attempts.table;
    const known = table.find(key, p.timestampUs);
    if (known !== -1) {
      const fromStarter = table.srcPort[known] === p.srcPort &&
        sameAddress(table, table.src, known, p, W_SRC_ADDR);
      if (!fromStarter) {
        p.role = ROLE_RESPONDER;
        if (table.state[known] === ATTEMPT_PENDING) table.state[known] = ATTEMPT_ANSWERED;
      } else if (table.bits[known]! & X_UNSOLICITED) {
        p.role = ROLE_UNSOLICITED;
        this.#reportUnsolicited(p, p.srcPort, "udp");
      } else {
        p.role = ROLE_INITIATOR;
      }
      return;
    }
    if (attempts.shedding.answersShed(key, p.srcKey, p.timestampUs, false)) {
      p.role = ROLE_RESPONDER; // a flooded host answering a datagram left untracked
      return;
    }
    if (this.#reflectorPorts[p.srcPort] === 1 && !this.#reflectorPorts[p.dstPort]) {
      p.role = ROLE_UNSOLICITED;
      attempts.begin(key, p, true, false);
      this.#reportUnsolicited(p, p.srcPort, "udp");
      return;
    }
    p.role = ROLE_INITIATOR;
    if (attempts.shedding.sheds(key, p.srcKey, p.dstKey, p.timestampUs)) return;
    attempts.begin(key, p, false, true);
  }

  /** A UDP fragment without ports: unsolicited if its first fragment was. */
  #laterFragment(p: PacketContext): void {
    const entry = this.#fragments.get(fragmentKey(p.srcKey, p.dstKey, p.ipId), p.timestampUs);
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
    const attempts = this.#attempts, table = attempts.table;
    const slot = table.find(key, p.timestampUs);
    if (slot === -1) {
      // The answer to a datagram left untracked toward a flooded host: not traffic of its own.
      if (attempts.shedding.answersShed(key, p.srcKey, p.timestampUs, false)) {
        p.role = ROLE_RESPONDER;
      }
      return;
    }
    if (table.state[slot] !== ATTEMPT_PENDING) return;
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
      table.state[slot] = ATTEMPT_ANSWERED;
      return;
    }
    attempts.failIfPending(slot, "unreachable", p.timestampUs);
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
      this.#fragments.insert(fragmentKey(p.srcKey, p.dstKey, p.ipId), {
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
