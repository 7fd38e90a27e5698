/**
 * @module first_sightings
 * A gate in front of a detector's per-key table: a key seen once costs no table entry. Under
 * spoofed and random floods nearly every packet brings a key (source, destination, pair) that
 * is never seen again, and making an object for each, only to evict it, was most of the
 * detectors' time and garbage. Every detector gated here needs a key seen at least twice to
 * fire (its thresholds are at least 1 and it fires above them), so the gate parks a key's FIRST
 * observation (its packet time and up to three numbers or addresses the detector needs) in
 * typed arrays; on the key's second sighting the detector makes its entry and replays the
 * parked observation at its original time, so counts, windows and thresholds stay exact.
 *
 * The table is set-associative: a key hashes to a bucket of WAYS slots, and a new key takes an
 * empty or expired slot, else the oldest. Taking the slot of a live parked observation hands
 * that one back (`SIGHTING_DISPLACED`): the detector moves it into its table while the table
 * has room (exactly what happened before the gate, so nothing is lost below the cap), and only
 * when the table is full, and would have evicted anyway, drops it and calls `lose()`: the
 * detector reports losses as evictions, so state_saturation and the stats record show them.
 *
 * Under churn, when more first observations are handed back within a second of packet time than
 * the gate has slots (it turned over completely: a spoofed or random flood), `keepsDisplaced`
 * says no and the detector drops them (`lose()`) instead of filling its table with keys seen
 * once: the table stays small, so the flood's lookups miss in a table that fits the caches, and
 * its keys seen twice still get entries (a key sending faster than the gate turns over is still
 * parked when it comes again).
 *
 * Nothing is allocated per call: addresses are stored as an IPv4 word or an IPv6 key's four
 * words, and text is rebuilt (through hostKey's cache) only when a handed-back observation is
 * read.
 */
import { hostKey, ipv6KeyWords, type TableKey } from "../../packet/host_key.ts";
import { mix32 } from "../../packet/hash.ts";
import type { KeyedEntry, KeyedState, TrackerStats } from "./keyed_state.ts";

/** `sight()`: the key was not parked; its observation is parked now. */
export const SIGHTING_FIRST = 0;
/** `sight()`: the key's first observation was parked: it is handed back (`parked*`). */
export const SIGHTING_AGAIN = 1;
/**
 * `sight()`: the observation is parked in the slot of another key's live one, which is handed
 * back (`parkedKey()`, `parked*`): keep it in the table, or `lose()` it.
 */
export const SIGHTING_DISPLACED = 2;

/** Slots per bucket: a few, so that collisions below the table's cap are rare. */
const WAYS = 4;
/**
 * Table entries per gate slot (`forTable`). Under a flood the table is full whatever the gate's
 * size, so the slots only hold the one-shot keys of moderate traffic; a quarter of the cap keeps
 * every gate at default caps under 1 MiB.
 */
const ENTRIES_PER_SLOT = 4;
const OCCUPIED = 1;
const KEY_V6 = 2;
const VALUE_V6 = 4;
const TWO_POW_32 = 4294967296;
/**
 * Numbers per slot, side by side so that a bucket is a few cache lines (separate arrays cost a
 * cache miss each under a flood): meta (flags, and kind << 8; 0 when empty), packet time, key,
 * value, a, b.
 */
const STRIDE = 6;
const META = 0, TIME = 1, KEY = 2, VALUE = 3, A = 4, B = 5;

/** The smallest power of two of at least `n` slots (and at least one bucket). */
export function firstSightingSlots(n: number): number {
  let slots = WAYS;
  while (slots < n) slots *= 2;
  return slots;
}

/** First observations of keys not yet in a detector's table, in a fixed number of slots. */
export class FirstSightings {
  readonly slots: number;
  readonly #mask: number;
  readonly #cells: Float64Array;
  /** IPv6 keys' and values' words, 4 per slot: made when the first IPv6 address comes. */
  #keyWords: Int32Array | null = null;
  #valueWords: Int32Array | null = null;
  readonly #scratch = new Int32Array(4);
  #losses = 0;
  /** Observations handed back by displacement in the current and the previous second. */
  #displacedSecond = -1;
  #displacedNow = 0;
  #displacedBefore = 0;

  /** The observation handed back by the last `sight()` (AGAIN or DISPLACED). */
  parkedUs = 0;
  parkedKind = 0;
  parkedA = 0;
  parkedB = 0;
  #parkedFlags = 0;
  #parkedKeyNumber = 0;
  #parkedValueNumber = 0;
  /** Key words 0-3, value words 4-7 of the handed-back observation. */
  readonly #parkedWords = new Int32Array(8);

  /**
   * @param slots observations parked at most (rounded up to a power of two); a collision in a
   *   full bucket costs an early table entry, or a loss when the table is full
   * @param idleUs a parked observation older than this is forgotten (the table's idle expiry)
   */
  constructor(slots: number, readonly idleUs: number) {
    this.slots = firstSightingSlots(slots);
    this.#mask = this.slots / WAYS - 1;
    this.#cells = new Float64Array(this.slots * STRIDE);
  }

  /** A gate for `table`: a quarter as many slots as its cap, and its idle expiry. */
  static forTable<V extends KeyedEntry>(table: KeyedState<V>): FirstSightings {
    return new FirstSightings(table.cap / ENTRIES_PER_SLOT, table.idleUs);
  }

  /** Parked observations dropped for want of room (`lose()`), reported as evictions. */
  get losses(): number {
    return this.#losses;
  }

  /**
   * Looks `key` (with `kind`, 0-255: one gate can serve a few kinds of key) up at `nowUs`.
   * If its first observation is parked and younger than `idleUs`, hands it back and frees the
   * slot (SIGHTING_AGAIN); otherwise parks this observation (`value`, `a`, `b` are the
   * detector's, replayed later) and returns SIGHTING_FIRST, or SIGHTING_DISPLACED when it took
   * the slot of another key's live observation, which it hands back.
   */
  sight(key: TableKey, kind: number, nowUs: number, value: TableKey, a = 0, b = 0): number {
    kind &= 0xff;
    const v6 = typeof key === "string";
    const words = this.#scratch;
    let h: number;
    if (v6) {
      ipv6KeyWords(key, words);
      h = mix32(words[0]! ^ mix32(words[1]! ^ mix32(words[2]! ^ mix32(words[3]! + kind))));
    } else {
      h = mix32((key | 0) ^ mix32(((key / TWO_POW_32) | 0) + kind));
    }
    const base = (h & this.#mask) * WAYS;
    const cells = this.#cells, limit = nowUs - this.idleUs;
    let victim = base, victimUs = Infinity;
    for (let i = base; i < base + WAYS; i++) {
      const at = i * STRIDE, meta = cells[at + META]!;
      if (meta === 0) {
        if (victimUs !== -Infinity) victim = i, victimUs = -Infinity;
        continue;
      }
      if (meta >>> 8 === kind && this.#holds(i, meta, key, v6)) {
        if (cells[at + TIME]! > limit) {
          this.#handBack(i);
          cells[at + META] = 0;
          return SIGHTING_AGAIN;
        }
        victim = i, victimUs = -Infinity; // expired: reuse its slot
        break;
      }
      const seenUs = cells[at + TIME]!;
      if (seenUs < victimUs) victim = i, victimUs = seenUs;
    }
    const displaced = victimUs > limit;
    if (displaced) {
      this.#handBack(victim);
      this.#countDisplaced(nowUs);
    }
    this.#park(victim, key, v6, kind, nowUs, value, a, b);
    return displaced ? SIGHTING_DISPLACED : SIGHTING_FIRST;
  }

  /** The key of the observation handed back (after SIGHTING_DISPLACED; AGAIN: the caller's). */
  parkedKey(): TableKey {
    if ((this.#parkedFlags & KEY_V6) === 0) return this.#parkedKeyNumber;
    return hostKey(this.#parkedWords, 0, true);
  }

  /** The value parked with the observation handed back. */
  parkedValue(): TableKey {
    if ((this.#parkedFlags & VALUE_V6) === 0) return this.#parkedValueNumber;
    return hostKey(this.#parkedWords, 4, true);
  }

  /**
   * Whether a displaced observation should go into the detector's table (`size` of `cap`): while
   * it has room, unless the gate is churning (more displacements within a second than slots).
   */
  keepsDisplaced(size: number, cap: number): boolean {
    return size < cap && Math.max(this.#displacedNow, this.#displacedBefore) <= this.slots;
  }

  #countDisplaced(nowUs: number): void {
    const second = Math.floor(nowUs / 1e6);
    if (second !== this.#displacedSecond) {
      this.#displacedBefore = second === this.#displacedSecond + 1 ? this.#displacedNow : 0;
      this.#displacedNow = 0;
      this.#displacedSecond = second;
    }
    this.#displacedNow++;
  }

  /** The observation handed back could not be kept (the table was full): counts the loss. */
  lose(): void {
    this.#losses++;
  }

  #holds(i: number, meta: number, key: TableKey, v6: boolean): boolean {
    if (!v6) return (meta & KEY_V6) === 0 && this.#cells[i * STRIDE + KEY] === key;
    if ((meta & KEY_V6) === 0) return false;
    const words = this.#keyWords!, scratch = this.#scratch, at = i * 4;
    return words[at] === scratch[0] && words[at + 1] === scratch[1] &&
      words[at + 2] === scratch[2] && words[at + 3] === scratch[3];
  }

  #handBack(i: number): void {
    const cells = this.#cells, at = i * STRIDE, meta = cells[at + META]!;
    this.#parkedFlags = meta & 0xff;
    this.parkedKind = meta >>> 8;
    this.parkedUs = cells[at + TIME]!;
    this.#parkedKeyNumber = cells[at + KEY]!;
    this.#parkedValueNumber = cells[at + VALUE]!;
    this.parkedA = cells[at + A]!;
    this.parkedB = cells[at + B]!;
    const out = this.#parkedWords, words = i * 4;
    if (meta & KEY_V6) { for (let w = 0; w < 4; w++) out[w] = this.#keyWords![words + w]!; }
    if (meta & VALUE_V6) { for (let w = 0; w < 4; w++) out[4 + w] = this.#valueWords![words + w]!; }
  }

  #park(
    i: number,
    key: TableKey,
    v6: boolean,
    kind: number,
    nowUs: number,
    value: TableKey,
    a: number,
    b: number,
  ): void {
    const cells = this.#cells, at = i * STRIDE;
    let flags = OCCUPIED;
    if (v6) {
      flags |= KEY_V6;
      (this.#keyWords ??= new Int32Array(this.slots * 4)).set(this.#scratch, i * 4);
    } else {
      cells[at + KEY] = key as number;
    }
    if (typeof value === "string") {
      flags |= VALUE_V6;
      ipv6KeyWords(value, this.#valueWords ??= new Int32Array(this.slots * 4), i * 4);
    } else {
      cells[at + VALUE] = value;
    }
    cells[at + META] = flags | (kind << 8);
    cells[at + TIME] = nowUs;
    cells[at + A] = a;
    cells[at + B] = b;
  }
}

/**
 * `stats` of a gated table with the gate's losses counted as its evictions: a lost first
 * observation is a key the table could not keep, as an eviction is.
 */
export function withLosses(stats: TrackerStats, gate: FirstSightings): TrackerStats {
  stats.evictions += gate.losses;
  return stats;
}
