/**
 * @module flood_shedding
 * The connection tracker's emergency mode (the role of Suricata's flow emergency mode and of
 * FastNetMon counting floods instead of tracking them): while a destination is under an open
 * SYN or UDP flood alert, a new attempt toward it from a source that sent nothing lately is
 * counted (`shed`), not tracked. A spoofed flood's million one-packet sources then
 * cost no exchange each, which would evict real exchanges from the table and gets no detector
 * closer to an alert: every detector fed by attempts needs several from one source. A source's
 * next attempt within the memory of the filter below is tracked as usual, so scanners, password
 * guessers and the flood's own repeat sources are still seen (minus their first attempt).
 *
 * The victim's answers to shed attempts (SYN-ACK, RST, ICMP errors, UDP replies) are recognised
 * as answers, not as traffic of the victim's own: the tracker remembers the keys of recent shed
 * attempts in a direct-mapped table, and takes a SYN-ACK or RST from a flooded host that
 * answers nothing it tracks as an answer too.
 *
 * Everything here is fixed-size typed arrays: a shed packet costs two array probes and no
 * allocation, whatever the flood's rate.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { mix32 } from "../../packet/hash.ts";
import { textHash } from "../../packet/numeric_index.ts";

/** How long a flood alert's last packet over threshold keeps its destination flooded. */
const FLOODED_FOR_US = 1_000_000;
/** Flooded destinations remembered at once (the oldest flag is replaced beyond). */
const MAX_VICTIMS = 64;
/**
 * Sources remembered while some host is flooded: a source sending again within about
 * SOURCE_SLOTS / (new sources per second) is tracked (at 250,000 spoofed sources/s, 0.5 s).
 */
const SOURCE_SLOTS = 1 << 17;
/** Keys of shed attempts remembered for their answers (answers come within milliseconds). */
const SHED_SLOTS = 1 << 16;
const TWO_POW_32 = 4294967296;

/** Flooded destinations, and the attempts toward them left untracked. */
export class FloodShedding {
  readonly #victims: TableKey[] = [];
  readonly #flaggedUs = new Float64Array(MAX_VICTIMS);
  /** A 32-bit tag of each source seen while some host is flooded, by slot (0: none). */
  readonly #sourceTags = new Int32Array(SOURCE_SLOTS);
  /** The exchange key of each recent shed attempt, by slot (NaN: none). */
  readonly #shedKeys = new Float64Array(SHED_SLOTS).fill(NaN);
  /** Attempts not tracked. */
  shed = 0;
  /** Answers to shed attempts recognised as answers. */
  answers = 0;

  constructor(readonly enabled: boolean) {}

  /** `victim` is under an open SYN or UDP flood alert at `nowUs` (the flood detector says so). */
  flag(victim: TableKey, nowUs: number): void {
    if (!this.enabled) return;
    const victims = this.#victims;
    let at = victims.indexOf(victim);
    if (at === -1) {
      if (victims.length < MAX_VICTIMS) at = victims.push(victim) - 1;
      else at = this.#oldestFlag();
      victims[at] = victim;
    }
    this.#flaggedUs[at] = nowUs;
  }

  /** Forgets destinations whose flood ended (no flag renewed for a second). */
  tick(nowUs: number): void {
    const victims = this.#victims, flagged = this.#flaggedUs;
    for (let i = victims.length - 1; i >= 0; i--) {
      if (nowUs - flagged[i]! < FLOODED_FOR_US) continue;
      const last = victims.length - 1;
      victims[i] = victims[last]!;
      flagged[i] = flagged[last]!;
      victims.pop();
    }
  }

  /**
   * Remembers the source of every packet while some host is flooded (a shed one's is already
   * remembered by `sheds`): a scanner or client busy elsewhere has its first attempt toward
   * the flooded host tracked.
   */
  noteSource(source: TableKey): void {
    if (this.#victims.length === 0) return;
    const tag = sourceTag(source);
    this.#sourceTags[tag & (SOURCE_SLOTS - 1)] = tag;
  }

  /** True when `host` is flagged as flooded within the last second of packet time. */
  isFlooded(host: TableKey, nowUs: number): boolean {
    const victims = this.#victims;
    for (let i = 0; i < victims.length; i++) {
      if (victims[i] === host) return nowUs - this.#flaggedUs[i]! < FLOODED_FOR_US;
    }
    return false;
  }

  /**
   * True when the new attempt `key` from `source` toward `destination` is to be shed: the
   * destination is flooded and the source sent nothing lately (it is remembered now, so its
   * next attempt is tracked). Counts it and remembers `key`.
   */
  sheds(key: number, source: TableKey, destination: TableKey, nowUs: number): boolean {
    if (!this.isFlooded(destination, nowUs)) return false;
    const tag = sourceTag(source);
    const slot = tag & (SOURCE_SLOTS - 1);
    if (this.#sourceTags[slot] === tag) return false;
    this.#sourceTags[slot] = tag;
    this.#shedKeys[numericSlot(key)] = key;
    this.shed++;
    return true;
  }

  /**
   * True (and counted) when a packet of exchange `key`, which the tracker does not know, is a
   * flooded host answering a shed attempt: `sender` is flooded and the key was shed lately, or
   * (`anyKey`: a SYN-ACK or RST, which answer nothing but attempts) whatever the key.
   */
  answersShed(key: number, sender: TableKey, nowUs: number, anyKey: boolean): boolean {
    if (!this.isFlooded(sender, nowUs)) return false;
    if (!anyKey && this.#shedKeys[numericSlot(key)] !== key) return false;
    this.answers++;
    return true;
  }

  #oldestFlag(): number {
    let oldest = 0;
    for (let i = 1; i < MAX_VICTIMS; i++) {
      if (this.#flaggedUs[i]! < this.#flaggedUs[oldest]!) oldest = i;
    }
    return oldest;
  }
}

/** A non-zero 32-bit tag of a host key (IPv6 keys, which are text, through their hash). */
function sourceTag(source: TableKey): number {
  const n = typeof source === "number" ? source : textHash(source) % TWO_POW_32;
  return mix32(n | 0) | 1;
}

/** The shed-key slot of an exchange key (keys run up to 2^53: both halves mixed). */
function numericSlot(key: number): number {
  return mix32((key | 0) ^ mix32((key / TWO_POW_32) | 0)) & (SHED_SLOTS - 1);
}
