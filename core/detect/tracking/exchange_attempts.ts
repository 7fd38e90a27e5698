/**
 * @module exchange_attempts
 * The life of the connection tracker's attempts, whatever the protocol: an exchange begins in
 * the exchange table (core/detect/tracking/exchange_table.ts), is answered, fails (RST, ICMP unreachable)
 * or times out unanswered in packet time, and the listener hears of new and failed attempts
 * through one reused Attempt (core/detect/tracking/attempt_view.ts). The TCP, UDP and ICMP-error
 * handlers (tcp_exchanges.ts, connections.ts) only decide which of these a packet means.
 */
import type { DetectionSettings } from "../settings.ts";
import { W_DST_ADDR, W_SRC_ADDR } from "../../packet/packet_batch.ts";
import type { Attempt, FailureReason, ProtocolProbe, Unsolicited } from "../detector.ts";
import { ATTEMPT_ANSWERED, ATTEMPT_FAILED, ATTEMPT_PENDING } from "../detector.ts";
import type { TrackerStats } from "./keyed_state.ts";
import { ExchangeTable, X_ACK_PROBE, X_UNSOLICITED, X_V6 } from "./exchange_table.ts";
import { SlotQueue } from "./slot_queue.ts";
import { AttemptView } from "./attempt_view.ts";
import { FloodShedding } from "./flood_shedding.ts";
import { copyAddress, sameAddress } from "./exchange_packets.ts";
import type { PacketContext } from "../packet_context.ts";

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

/** Exchanges in a bounded table, their pending attempts timed out in packet time. */
export class ExchangeAttempts {
  readonly table: ExchangeTable;
  /** Attempts toward flooded hosts left untracked (detect.connections.shed_during_floods). */
  readonly shedding: FloodShedding;
  /** Slots of pending attempts in arrival order, for timeouts (answered ones skipped on pop). */
  readonly #pending: SlotQueue;
  readonly #timeoutUs: number;
  readonly #view = new AttemptView();

  constructor(settings: DetectionSettings, readonly listener: ConnectionListener) {
    const idleUs = settings.connections.idle_s * 1e6;
    const cap = settings.connections.max_tracked;
    this.#timeoutUs = settings.connections.attempt_timeout_s * 1e6;
    this.table = new ExchangeTable("connections", cap, Math.max(idleUs, this.#timeoutUs), cap);
    this.#pending = new SlotQueue(cap);
    this.shedding = new FloodShedding(settings.connections.shed_during_floods);
  }

  /** Fails attempts unanswered for longer than the timeout; expires idle exchanges. */
  tick(nowUs: number): void {
    const queue = this.#pending, table = this.table;
    for (let slot = queue.peek(); slot !== -1; slot = queue.peek()) {
      const firstUs = table.firstUs[slot]!;
      if (nowUs - firstUs < this.#timeoutUs) break;
      queue.shift();
      if (table.state[slot] === ATTEMPT_PENDING) {
        table.state[slot] = ATTEMPT_FAILED;
        this.reportFailure(slot, "timeout", firstUs + this.#timeoutUs);
      }
      table.release(slot);
    }
    table.sweep(nowUs);
    this.shedding.tick(nowUs);
  }

  /** End of capture (after `tick`): every attempt still pending fails, dated `nowUs`. */
  finish(nowUs: number): void {
    const queue = this.#pending, table = this.table;
    for (let slot = queue.shift(); slot !== -1; slot = queue.shift()) {
      if (table.state[slot] === ATTEMPT_PENDING) {
        table.state[slot] = ATTEMPT_FAILED;
        this.reportFailure(slot, "timeout", Math.max(nowUs, table.firstUs[slot]!));
      }
      table.release(slot);
    }
  }

  /** The table's and the pending queue's. */
  stats(): TrackerStats[] {
    return [
      { ...this.table.stats(), shed: this.shedding.shed },
      {
        name: "connections.pending",
        size: this.#pending.size,
        cap: this.#pending.cap,
        evictions: this.#pending.dropped,
        expired: 0,
      },
    ];
  }

  /**
   * Tracks a new exchange started by `p`. `announce` tells the detectors of the attempt (ACK
   * probes are not: a connection seen mid-way starts one too, so only their failures count).
   */
  begin(key: number, p: PacketContext, unsolicited: boolean, announce: boolean): void {
    const table = this.table;
    const slot = table.add(key, p.timestampUs);
    copyAddress(p, W_SRC_ADDR, table.src, slot);
    copyAddress(p, W_DST_ADDR, table.dst, slot);
    table.srcPort[slot] = p.srcPort;
    table.dstPort[slot] = p.dstPort;
    table.proto[slot] = p.proto;
    table.firstUs[slot] = p.timestampUs;
    table.direction[slot] = p.direction;
    table.tcpFlags[slot] = p.tcpFlags;
    table.state[slot] = unsolicited ? ATTEMPT_ANSWERED : ATTEMPT_PENDING;
    table.bits[slot] = (p.v6 ? X_V6 : 0) |
      (unsolicited ? X_UNSOLICITED : announce ? 0 : X_ACK_PROBE);
    if (unsolicited) return;
    // Full: the oldest pending attempt is dropped, no longer timed out (counted).
    table.hold(slot);
    const dropped = this.#pending.push(slot);
    if (dropped !== -1) table.release(dropped);
    if (announce) this.listener.attempt(this.#view.fill(table, slot, p.srcKey, p.dstKey), p);
  }

  failIfPending(slot: number, reason: FailureReason, nowUs: number): void {
    if (this.table.state[slot] !== ATTEMPT_PENDING) return;
    this.table.state[slot] = ATTEMPT_FAILED;
    this.reportFailure(slot, reason, nowUs);
  }

  /** Tells the listener `slot` failed (its state already says so). */
  reportFailure(slot: number, reason: FailureReason, nowUs: number): void {
    this.listener.failure(this.#view.fillStored(this.table, slot), reason, nowUs);
  }

  /** True when `p` comes from the side the exchange's first packet went to. */
  fromResponder(slot: number, p: PacketContext): boolean {
    const table = this.table;
    return table.dstPort[slot] === p.srcPort &&
      sameAddress(table, table.dst, slot, p, W_SRC_ADDR) &&
      sameAddress(table, table.src, slot, p, W_DST_ADDR);
  }
}
