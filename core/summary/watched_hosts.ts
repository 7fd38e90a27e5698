/**
 * @module watched_hosts
 * Top peers and top service ports of a few hosts worth the detail: those named by an alert when
 * it starts and those opened in the UI (GET /api/hosts/{ip}). At most `capacity` hosts
 * (`summary.watched_hosts`) are watched; a new one replaces the one watched (or re-opened)
 * longest ago. Each keeps 2 x `topN` space-saving counters for peers and for ports, so its top
 * `topN` are right for every peer or port above 1/(2 x topN) of its packets, whatever the flood.
 *
 * Counting starts when the watch does (`since_us`): the page says the lists are partial. All
 * state is typed arrays sized once; per packet, a host that is not watched costs two loads from a
 * filter indexed by a hash of the addresses' last word, and nothing is made.
 */
import { mix32 } from "../packet/hash.ts";
import { hostKey, ipv6KeyWords, keyText, type TableKey } from "../packet/host_key.ts";
import {
  F_ADDRESSES,
  F_IPV6,
  F_UDP,
  W_DST_ADDR,
  W_DST_PORT,
  W_FLAGS,
  W_SRC_ADDR,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_WIRE_LEN,
} from "../packet/packet_batch.ts";
import { SpaceSaving } from "./space_saving.ts";
import { conversationServicePort } from "./service_port.ts";

/** Why a host is watched. */
export type WatchReason = "alert" | "ui";

/** One watched host's detail (`WatchedHosts.detail`). */
export interface WatchedDetail {
  /** Packet time the watch began, µs. */
  since_us: number;
  watched_by: WatchReason[];
  /** Packets counted since then (sent and received). */
  packets: number;
  /** Peers, most packets first; `error` bounds how many of `packets` may be another peer's. */
  peers: { ip: string; packets: number; bytes: number; error: number }[];
  /** Service ports of its traffic, most packets first. */
  ports: { proto: "TCP" | "UDP"; port: number; packets: number; error: number }[];
}

const FILTER_SLOTS = 4096;

/** The watched hosts and their peer and port counters. */
export class WatchedHosts {
  /** Address words of each slot (four; IPv4 in the first), its family, order and reasons. */
  readonly #words: Int32Array;
  readonly #v6: Uint8Array;
  readonly #inUse: Uint8Array;
  readonly #touched: Float64Array;
  readonly #sinceUs: Float64Array;
  readonly #packets: Float64Array;
  readonly #reasons: Uint8Array;
  /** Watched hosts per hash of their last address word. */
  readonly #filter = new Uint16Array(FILTER_SLOTS);
  /**
   * Per hash of the last address word, the slot + 1 watched last with that hash (0: none): a
   * packet of a watched host finds its slot in one compare, not a walk over every slot.
   */
  readonly #hint = new Int16Array(FILTER_SLOTS);
  readonly #peers: SpaceSaving;
  readonly #ports: SpaceSaving;
  readonly #scratch = new Int32Array(4);
  #size = 0;
  #sequence = 0;

  constructor(readonly capacity: number, readonly topN: number) {
    this.#words = new Int32Array(capacity * 4);
    this.#v6 = new Uint8Array(capacity);
    this.#inUse = new Uint8Array(capacity);
    this.#touched = new Float64Array(capacity);
    this.#sinceUs = new Float64Array(capacity);
    this.#packets = new Float64Array(capacity);
    this.#reasons = new Uint8Array(capacity);
    this.#peers = new SpaceSaving(capacity, 2 * topN, 5);
    this.#ports = new SpaceSaving(capacity, 2 * topN, 1);
  }

  /** Hosts watched now (the engine skips `count` while 0). */
  get size(): number {
    return this.#size;
  }

  /**
   * Watches `key` from packet time `nowUs` (or refreshes its place if already watched, keeping
   * its counters); false when watching is off (capacity 0).
   */
  watch(key: TableKey, nowUs: number, reason: WatchReason): boolean {
    if (this.capacity === 0) return false;
    const words = this.#scratch, v6 = typeof key === "string";
    words.fill(0);
    if (v6) ipv6KeyWords(key, words);
    else words[0] = key;
    let slot = this.#find(words, 0, v6 ? 1 : 0);
    if (slot < 0) slot = this.#claim(words, v6, nowUs);
    this.#touched[slot] = ++this.#sequence;
    this.#reasons[slot]! |= reason === "alert" ? 1 : 2;
    return true;
  }

  /** The detail collected for `key`, or null when it is not watched. */
  detail(key: TableKey): WatchedDetail | null {
    const words = new Int32Array(4), v6 = typeof key === "string";
    if (v6) ipv6KeyWords(key, words);
    else words[0] = key;
    const slot = this.#find(words, 0, v6 ? 1 : 0);
    if (slot < 0) return null;
    const reasons = this.#reasons[slot]!;
    return {
      since_us: this.#sinceUs[slot]!,
      watched_by: [
        ...(reasons & 1 ? ["alert" as const] : []),
        ...(reasons & 2 ? ["ui" as const] : []),
      ],
      packets: this.#packets[slot]!,
      peers: this.#peers.top(slot, this.topN).map((e) => ({
        ip: keyText(hostKey(e.key, 0, e.key[4] === 1)),
        packets: e.count,
        bytes: e.weight,
        error: e.error,
      })),
      ports: this.#ports.top(slot, this.topN).map((e) => ({
        proto: e.key[0]! >>> 16 === 0 ? "TCP" as const : "UDP" as const,
        port: e.key[0]! & 0xffff,
        packets: e.count,
        error: e.error,
      })),
    };
  }

  /** Counts the packet whose record starts at `base` for its watched end(s), if any. */
  count(fields: Int32Array, base: number): void {
    const flags = fields[base + W_FLAGS]!;
    if ((flags & F_ADDRESSES) === 0) return;
    const v6 = (flags & F_IPV6) !== 0 ? 1 : 0, last = v6 * 3;
    const filter = this.#filter, mask = FILTER_SLOTS - 1;
    const srcBucket = mix32(fields[base + W_SRC_ADDR + last]!) & mask;
    if (filter[srcBucket] !== 0) {
      this.#countEnd(fields, base, W_SRC_ADDR, W_DST_ADDR, v6, flags, srcBucket);
    }
    const dstBucket = mix32(fields[base + W_DST_ADDR + last]!) & mask;
    if (filter[dstBucket] !== 0) {
      this.#countEnd(fields, base, W_DST_ADDR, W_SRC_ADDR, v6, flags, dstBucket);
    }
  }

  #countEnd(
    fields: Int32Array,
    base: number,
    own: number,
    peer: number,
    v6: number,
    flags: number,
    bucket: number,
  ) {
    const hint = this.#hint[bucket]! - 1;
    const slot = hint >= 0 && this.#holds(hint, fields, base + own, v6)
      ? hint
      : this.#find(fields, base + own, v6);
    if (slot < 0) return;
    this.#packets[slot]!++;
    const bytes = fields[base + W_WIRE_LEN]!;
    this.#peers.addPeer(slot, fields, base + peer, v6, bytes);
    const port = servicePort(flags, fields, base);
    if (port >= 0) this.#ports.addOne(slot, port, bytes);
  }

  /** The slot watching the address at `words[at..]` of family `v6`, or -1. */
  #find(words: Int32Array, at: number, v6: number): number {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.#holds(slot, words, at, v6)) return slot;
    }
    return -1;
  }

  /** True when `slot` watches the address at `words[at..]` of family `v6`. */
  #holds(slot: number, words: Int32Array, at: number, v6: number): boolean {
    if (this.#inUse[slot] === 0 || this.#v6[slot] !== v6) return false;
    const w = this.#words, s = slot * 4;
    if (w[s] !== words[at]) return false;
    return v6 === 0 ||
      (w[s + 1] === words[at + 1] && w[s + 2] === words[at + 2] && w[s + 3] === words[at + 3]);
  }

  /** A slot for a new watch: a free one, or the one touched longest ago. */
  #claim(words: Int32Array, v6: boolean, nowUs: number): number {
    let slot = this.#inUse.indexOf(0);
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < this.capacity; s++) {
        if (this.#touched[s]! < this.#touched[slot]!) slot = s;
      }
      this.#filter[this.#filterSlot(slot)]!--;
      this.#size--;
    }
    this.#words.set(words, slot * 4);
    this.#v6[slot] = v6 ? 1 : 0;
    this.#inUse[slot] = 1;
    this.#sinceUs[slot] = nowUs;
    this.#packets[slot] = 0;
    this.#reasons[slot] = 0;
    this.#peers.clear(slot);
    this.#ports.clear(slot);
    this.#filter[this.#filterSlot(slot)]!++;
    this.#hint[this.#filterSlot(slot)] = slot + 1;
    this.#size++;
    return slot;
  }

  #filterSlot(slot: number): number {
    return mix32(this.#words[slot * 4 + this.#v6[slot]! * 3]!) & (FILTER_SLOTS - 1);
  }
}

/**
 * The service side's port of a TCP or UDP packet as `protocol << 16 | port` (0 TCP, 1 UDP), or
 * -1: the conversation's service port (core/summary/service_port.ts), either way it goes.
 */
export function servicePort(flags: number, fields: Int32Array, base: number): number {
  const port = conversationServicePort(
    flags,
    fields[base + W_TCP_FLAGS]!,
    fields[base + W_SRC_PORT]!,
    fields[base + W_DST_PORT]!,
  );
  return port < 0 || (flags & F_UDP) === 0 ? port : 0x10000 | port;
}
