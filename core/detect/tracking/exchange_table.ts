/**
 * @module exchange_table
 * The connection tracker's table of exchanges as a struct of arrays: one pool slot per exchange,
 * its fields in typed columns indexed by the slot, so tracking an attempt allocates nothing (an
 * object per attempt, kept 5 s, was most of a spoofed flood's garbage). Keys are found through
 * a NumericIndex; order, eviction and idle expiry are KeyedState's (core/detect/tracking/keyed_state.ts):
 * entries touched within the last second keep their place, older ones move to the back when
 * touched, a full table evicts from the front with up to four second chances.
 *
 * A slot has two owners: the table, and the pending-attempt queue. An attempt evicted from the
 * table while pending keeps its slot (its fields) until the queue lets it go, so it still times
 * out as unanswered, as the object of an evicted attempt did. The pool therefore holds at most
 * `cap` + `queueCap` slots. Each reuse of a slot bumps its generation, so a reference kept past
 * a callback (`ref`) tells a reused slot from the exchange it named.
 */
import { NumericIndex } from "../../packet/numeric_index.ts";
import type { TrackerStats } from "./keyed_state.ts";
import { NONE, PoolOrder } from "./pool_order.ts";

const LRU_REFRESH_US = 1_000_000;
/** Active entries moved to the back per eviction at most (bounds the work of one insert). */
const SECOND_CHANCES = 4;
const INITIAL_POOL = 256;
const IN_TABLE = 1;
const IN_QUEUE = 2;
/** Generations wrap at 2^21, so a reference (generation * 2^32 + slot) stays below 2^53. */
const GENERATION_MASK = 0x1fffff;
const TWO_POW_32 = 4294967296;

/** `bits` column: the exchange is IPv6. */
export const X_V6 = 1;
/** `bits` column: a reflector-port response nobody asked for (every packet is unsolicited). */
export const X_UNSOLICITED = 2;
/** `bits` column: started by a bare ACK (an ACK probe, or a connection seen mid-way). */
export const X_ACK_PROBE = 4;

/** Exchanges by key, with a hard cap, idle expiry and eviction counters. */
export class ExchangeTable {
  /** Initiator and responder addresses: 4 words per slot (an IPv4 address in the first). */
  src = new Int32Array(0);
  dst = new Int32Array(0);
  srcPort = new Uint16Array(0);
  dstPort = new Uint16Array(0);
  proto = new Uint8Array(0);
  /** Direction of the first packet (0 other, 1 incoming, 2 outgoing). */
  direction = new Uint8Array(0);
  /** TCP flags of the first packet. */
  tcpFlags = new Uint8Array(0);
  /** ATTEMPT_PENDING, ATTEMPT_ANSWERED or ATTEMPT_FAILED. */
  state = new Uint8Array(0);
  /** X_V6, X_UNSOLICITED, X_ACK_PROBE. */
  bits = new Uint8Array(0);
  /** Bare ACKs from the initiator on an ACK probe. */
  acks = new Uint8Array(0);
  /** Packet time of the first packet, µs. */
  firstUs = new Float64Array(0);
  #keys = new Float64Array(0);
  #lastSeenUs = new Float64Array(0);
  #movedUs = new Float64Array(0);
  readonly #order = new PoolOrder();
  #owners = new Uint8Array(0);
  #generation = new Int32Array(0);
  readonly #index = new NumericIndex();
  readonly #poolLimit: number;
  #poolSize = 0;
  #size = 0;
  #evictions = 0;
  #expired = 0;

  /**
   * @param name shown in stats ("connections")
   * @param cap exchanges kept at most
   * @param idleUs exchanges idle longer than this are dropped by `sweep`
   * @param queueCap slots the pending queue may hold beyond the table's
   */
  constructor(
    readonly name: string,
    readonly cap: number,
    readonly idleUs: number,
    queueCap: number,
  ) {
    this.#poolLimit = cap + queueCap;
    this.#grow(Math.min(this.#poolLimit, INITIAL_POOL));
  }

  get size(): number {
    return this.#size;
  }

  /** The slot of `key`, marked as seen at `nowUs`; -1 when absent. */
  find(key: number, nowUs: number): number {
    const i = this.#index.get(key);
    if (i === NONE) return NONE;
    if (nowUs - this.#movedUs[i]! >= LRU_REFRESH_US) {
      this.#order.moveToBack(i);
      this.#movedUs[i] = nowUs;
    }
    if (nowUs > this.#lastSeenUs[i]!) this.#lastSeenUs[i] = nowUs;
    return i;
  }

  /**
   * A slot for a new exchange under `key` (absent: the caller looked), seen at `nowUs`, evicting
   * the least recently active exchange when full. The caller fills the columns.
   */
  add(key: number, nowUs: number): number {
    if (this.#size >= this.cap) this.#evictOne(nowUs);
    if (this.#order.free === NONE) this.#grow(Math.min(this.#poolLimit, this.#poolSize * 2));
    const i = this.#order.take();
    this.#generation[i] = (this.#generation[i]! + 1) & GENERATION_MASK;
    this.#owners[i] = IN_TABLE;
    this.#keys[i] = key + 0; // -0 is 0, as in a Map
    this.#lastSeenUs[i] = nowUs;
    this.#movedUs[i] = nowUs;
    this.acks[i] = 0;
    this.#index.set(key, i);
    this.#order.linkAtBack(i);
    this.#size++;
    return i;
  }

  /** The pending queue holds `slot`: it keeps its fields after the table drops it. */
  hold(slot: number): void {
    this.#owners[slot]! |= IN_QUEUE;
  }

  /** The pending queue let `slot` go. */
  release(slot: number): void {
    this.#owners[slot]! &= ~IN_QUEUE;
    if (this.#owners[slot] === 0) this.#freeSlot(slot);
  }

  /** A reference to the exchange in `slot` that outlives the slot's reuse (see `stateOf`). */
  refOf(slot: number): number {
    return this.#generation[slot]! * TWO_POW_32 + slot;
  }

  /**
   * The state of the exchange `ref` names, its last one if it left the table; -1 once its slot
   * holds another exchange.
   */
  stateOf(ref: number): number {
    const slot = ref % TWO_POW_32;
    if (slot >= this.#poolSize) return -1;
    const generation = (ref - slot) / TWO_POW_32;
    return this.#generation[slot] === generation ? this.state[slot]! : -1;
  }

  /**
   * Drops exchanges idle since before `nowUs - idleUs`. The table is ordered by the time each
   * entry last moved, within a second of its last touch (or after it, for a second chance), so
   * the walk stops at the first entry moved after the limit.
   */
  sweep(nowUs: number): void {
    const limit = nowUs - this.idleUs;
    for (let i = this.#order.head; i !== NONE;) {
      if (this.#movedUs[i]! >= limit) break;
      const next = this.#order.next[i]!;
      if (this.#lastSeenUs[i]! < limit) {
        this.#remove(i);
        this.#expired++;
      }
      i = next;
    }
  }

  stats(): TrackerStats {
    return {
      name: this.name,
      size: this.#size,
      cap: this.cap,
      evictions: this.#evictions,
      expired: this.#expired,
    };
  }

  #evictOne(nowUs: number): void {
    for (let chances = 0; chances <= SECOND_CHANCES; chances++) {
      const front = this.#order.head;
      if (front === NONE) return;
      const lastSeen = this.#lastSeenUs[front]!;
      if (chances < SECOND_CHANCES && lastSeen > this.#movedUs[front]!) {
        this.#order.moveToBack(front);
        this.#movedUs[front] = Math.max(lastSeen, nowUs);
        continue;
      }
      this.#remove(front);
      this.#evictions++;
      return;
    }
  }

  /** Takes `i` out of the table; its slot is freed unless the pending queue still holds it. */
  #remove(i: number): void {
    this.#index.delete(this.#keys[i]!);
    this.#order.unlink(i);
    this.#size--;
    this.#owners[i]! &= ~IN_TABLE;
    if (this.#owners[i] === 0) this.#freeSlot(i);
  }

  #freeSlot(i: number): void {
    this.#order.release(i);
  }

  /** Resizes every column to `size` slots. */
  #grow(size: number): void {
    const old = this.#poolSize;
    if (size <= old) size = old + 1; // a cap of 0: room for one
    this.src = resized(this.src, new Int32Array(size * 4));
    this.dst = resized(this.dst, new Int32Array(size * 4));
    this.srcPort = resized(this.srcPort, new Uint16Array(size));
    this.dstPort = resized(this.dstPort, new Uint16Array(size));
    this.proto = resized(this.proto, new Uint8Array(size));
    this.direction = resized(this.direction, new Uint8Array(size));
    this.tcpFlags = resized(this.tcpFlags, new Uint8Array(size));
    this.state = resized(this.state, new Uint8Array(size));
    this.bits = resized(this.bits, new Uint8Array(size));
    this.acks = resized(this.acks, new Uint8Array(size));
    this.firstUs = resized(this.firstUs, new Float64Array(size));
    this.#keys = resized(this.#keys, new Float64Array(size));
    this.#lastSeenUs = resized(this.#lastSeenUs, new Float64Array(size));
    this.#movedUs = resized(this.#movedUs, new Float64Array(size));
    this.#order.grow(old, size);
    this.#owners = resized(this.#owners, new Uint8Array(size));
    this.#generation = resized(this.#generation, new Int32Array(size));
    this.#poolSize = size;
  }
}

type Column = Int32Array | Uint16Array | Uint8Array | Float64Array;

function resized<T extends Column>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)) as never);
  return to;
}
