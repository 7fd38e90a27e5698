/**
 * @module alerts
 * The alert lifecycle: one open alert per (detector, key). `start` when a detector first fires
 * for a key, `update` at most every `alerts.update_interval_s` of packet time while it stays
 * active and something changed, `end` once the key has been quiet for `alerts.quiet_s` or the
 * capture stops. Repeats inside an open alert are counted, never re-alerted. A key that fires
 * again within `alerts.suppress_s` of its alert's end does not start a new alert: the ended
 * alert resumes (an `update` record with the same alert_id, `detection.resumed` counting the
 * resumptions) and ends again later, as Zeek suppresses a notice per identifier. Allow-lists
 * decide before a start; what they hold back is counted as suppressed, once per episode (the key
 * stays held until quiet for `alerts.quiet_s`). Starts beyond the open-alert caps (`max_open`,
 * and each detector's share: alert_budget.ts) are dropped and counted per detector, and its
 * first drop told through `onFirstDrop`, so decoys fed to one detector never go unnoticed.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { CidrSet, parseAddress, parseCidr } from "../../packet/ip_address.ts";
import {
  DETECTOR_NAMES,
  type DetectorInfo,
  type DetectorName,
  FIRST_SIGNATURE_ID,
} from "../catalog.ts";
import { AlertBudget } from "./alert_budget.ts";
import type {
  AlertCache,
  AlertCounts,
  AlertHandle,
  AlertSettings,
  AlertSink,
  AlertStart,
  AlertState,
} from "./alert_types.ts";
import { alertRecord, type OpenAlert } from "./alert_record.ts";
import type { PacketContext } from "../packet_context.ts";
import { startCommunityId, type TriggerAttempt } from "./alert_trigger.ts";

export type {
  AlertCache,
  AlertCounts,
  AlertHandle,
  AlertSettings,
  AlertSink,
  AlertStart,
  AlertState,
} from "./alert_types.ts";

/** An ended alert that resumes if its key fires again within `alerts.suppress_s`. */
interface EndedAlert {
  alert: OpenAlert;
  key: TableKey;
  endedUs: number;
}

/** A key held back by an allow-list, suppression or the open-alert caps. */
interface HeldKey {
  lastSeenUs: number;
  /** Packet time the key may try to start again even if still active. */
  untilUs: number;
}

/** Opens, updates and ends alerts, and writes their EVE records through `sink`. */
export class AlertManager {
  /** Open alerts, one Map per detector (indexed by signature id) keyed by the detector's key. */
  readonly #open: Map<TableKey, OpenAlert>[] = DETECTOR_NAMES.map(() => new Map());
  #openCount = 0;
  /**
   * Keys held back and still active, per detector like `#open` (at most `maxOpen` in all, and
   * the budget's share per detector, so one detector's holds leave room for the others').
   */
  readonly #held: Map<TableKey, HeldKey>[] = DETECTOR_NAMES.map(() => new Map());
  #heldCount = 0;
  /** Recently ended alerts in order of their end, for `suppressS` (at most `maxOpen`). */
  readonly #recentlyEnded = new Map<string, EndedAlert>();
  #recentlyEndedEvictions = 0;
  #resumed = 0;
  readonly #allow: CidrSet;
  readonly #detectorAllow = new Map<DetectorName, CidrSet>();
  readonly #counts = new Map<DetectorName, { started: number; suppressed: number }>();
  #sequence = 0;
  #ended = 0;
  #dropped = 0;
  /** Who may open another alert: per-detector shares within `maxOpen`, drops per detector. */
  readonly budget: AlertBudget;
  /** Told once per detector, at its first dropped start, why (a warning for the user). */
  onFirstDrop: ((message: string) => void) | null = null;
  /** The packet and the attempt being processed (Detection sets them): alert triggers. */
  currentPacket: PacketContext | null = null;
  currentAttempt: TriggerAttempt | null = null;

  constructor(readonly settings: AlertSettings, readonly sink: AlertSink) {
    this.budget = new AlertBudget(
      settings.maxOpen,
      settings.maxOpenPerDetector ?? settings.maxOpen,
    );
    this.#allow = cidrSet(settings.allowList);
    for (const [name, list] of Object.entries(settings.detectorAllowLists)) {
      if (list !== undefined && list.length > 0) {
        this.#detectorAllow.set(name as DetectorName, cidrSet(list));
      }
    }
  }

  /** True while an alert is open for (detector, key). */
  isOpen(info: DetectorInfo, key: TableKey): boolean {
    return this.#openOf(info).has(key);
  }

  /**
   * Tells the manager a detector is (still) over its threshold for `key`. Returns true when that
   * was handled (an open alert counted it, or the key is held back), false when the detector
   * should call `start`.
   */
  observe(info: DetectorInfo, key: TableKey, timestampUs: number, observed: number): boolean {
    const alert = this.#openOf(info).get(key);
    if (alert === undefined) return this.#absorbHeld(info, key, timestampUs);
    this.#addObservation(alert, timestampUs, observed);
    return true;
  }

  /**
   * `observe` for a detector that caches the key's open alert in `cache.alert` (the one `start`
   * returned): while that alert is open the packet counts without a lookup, as it must on every
   * packet of a flood; otherwise this is `observe`, and `cache.alert` is brought up to date.
   */
  observeCached(
    cache: AlertCache,
    info: DetectorInfo,
    key: TableKey,
    timestampUs: number,
    observed: number,
  ): boolean {
    const cached = cache.alert as OpenAlert | null;
    if (cached !== null && !cached.ended) {
      this.#addObservation(cached, timestampUs, observed);
      return true;
    }
    const alert = this.#openOf(info).get(key);
    cache.alert = alert ?? null;
    if (alert === undefined) return this.#absorbHeld(info, key, timestampUs);
    this.#addObservation(alert, timestampUs, observed);
    return true;
  }

  #addObservation(alert: OpenAlert, timestampUs: number, observed: number): void {
    alert.count++;
    alert.observed = observed;
    if (observed > alert.peak) alert.peak = observed;
    if (timestampUs > alert.lastSeenUs) alert.lastSeenUs = timestampUs;
  }

  /**
   * Starts an alert, unless an allow-list or suppression holds it back. Returns the key's open
   * alert (for `observeCached`), or null when it was held back.
   */
  start(info: DetectorInfo, start: AlertStart): AlertHandle | null {
    const key = start.key;
    const open = this.#openOf(info);
    const already = open.get(key);
    if (already !== undefined) {
      this.#addObservation(already, start.timestampUs, start.observed);
      return already;
    }
    const resumed = this.#resume(info, start);
    if (resumed !== null) return resumed;
    const heldUntil = this.#heldUntil(info, start);
    if (heldUntil >= 0) {
      this.#countFor(info.name).suppressed++;
      this.#hold(info, key, start.timestampUs, heldUntil);
      return null;
    }
    if (!this.budget.admits(info)) {
      this.#drop(info, start); // retried after an update interval while still active
      return null;
    }
    const alert: OpenAlert = {
      ended: false,
      id: this.#nextId(start.timestampUs),
      info,
      start,
      firstSeenUs: start.timestampUs,
      lastSeenUs: start.timestampUs,
      lastUpdateUs: start.timestampUs,
      count: 1,
      countAtUpdate: 1,
      observed: start.observed,
      peak: start.observed,
      resumed: 0,
      communityId: startCommunityId(start, this, this.settings.communityIdSeed ?? 0),
    };
    open.set(key, alert);
    this.#openCount++;
    this.budget.opened(info);
    this.#countFor(info.name).started++;
    this.#emit(alert, "start", start.timestampUs);
    return alert;
  }

  /**
   * Reopens the key's alert if it ended less than `suppressS` before this start: counted as an
   * observation, written as an update. Returns it, or null when there is none to resume.
   */
  #resume(info: DetectorInfo, start: AlertStart): OpenAlert | null {
    if (this.#recentlyEnded.size === 0) return null;
    const endedKey = suppressionKey(info, start.key);
    const ended = this.#recentlyEnded.get(endedKey);
    if (ended === undefined) return null;
    this.#recentlyEnded.delete(endedKey);
    if (start.timestampUs - ended.endedUs >= this.settings.suppressS * 1e6) return null;
    if (!this.budget.admits(info)) return null; // then dropped like a start
    const alert = ended.alert;
    alert.ended = false;
    alert.resumed++;
    this.#resumed++;
    this.#addObservation(alert, start.timestampUs, start.observed);
    alert.lastUpdateUs = start.timestampUs;
    alert.countAtUpdate = alert.count;
    this.#openOf(info).set(ended.key, alert);
    this.#openCount++;
    this.budget.opened(info);
    this.#emit(alert, "update", start.timestampUs);
    return alert;
  }

  /** Moves packet time to `nowUs`: updates due alerts, ends quiet ones. */
  tick(nowUs: number): void {
    const quietUs = this.settings.quietS * 1e6;
    const updateUs = this.settings.updateIntervalS * 1e6;
    for (const [key, alert] of this.#allOpen()) {
      if (nowUs - alert.lastSeenUs >= quietUs) {
        this.#end(key, alert, alert.lastSeenUs + quietUs);
      } else if (nowUs - alert.lastUpdateUs >= updateUs && alert.count > alert.countAtUpdate) {
        alert.lastUpdateUs = nowUs;
        alert.countAtUpdate = alert.count;
        this.#emit(alert, "update", nowUs);
      }
    }
    for (const held of this.#held) {
      for (const [key, h] of held) {
        if (nowUs - h.lastSeenUs >= quietUs || nowUs >= h.untilUs) {
          held.delete(key);
          this.#heldCount--;
        }
      }
    }
    this.#forgetSuppressions(nowUs);
  }

  /** Ends every open alert (the capture stopped). */
  finish(nowUs: number): void {
    for (const [key, alert] of this.#allOpen()) {
      this.#end(key, alert, Math.max(nowUs, alert.lastSeenUs));
    }
  }

  /** Counters for stats records. */
  counts(): AlertCounts {
    const byDetector: AlertCounts["by_detector"] = {};
    let started = 0, suppressed = 0;
    for (const [name, c] of this.#counts) {
      const dropped = this.budget.droppedOf(name);
      byDetector[name] = { started: c.started, active: 0, suppressed: c.suppressed, dropped };
      started += c.started;
      suppressed += c.suppressed;
    }
    for (const [, alert] of this.#allOpen()) byDetector[alert.info.name]!.active++;
    return {
      started,
      active: this.#openCount,
      ended: this.#ended,
      suppressed,
      dropped: this.#dropped,
      resumed: this.#resumed,
      by_detector: byDetector,
    };
  }

  /** The table of recently ended alerts kept for `alerts.suppress_s`. */
  trackerStats(): { name: string; size: number; cap: number; evictions: number; expired: number } {
    return {
      name: "alerts.recently_ended",
      size: this.#recentlyEnded.size,
      cap: this.settings.maxOpen,
      evictions: this.#recentlyEndedEvictions,
      expired: 0,
    };
  }

  #end(key: TableKey, alert: OpenAlert, atUs: number): void {
    this.#openOf(alert.info).delete(key);
    alert.ended = true;
    this.#openCount--;
    this.budget.closed(alert.info);
    this.#ended++;
    if (this.settings.suppressS > 0) this.#rememberEnded(alert, key, atUs);
    this.#emit(alert, "end", atUs);
  }

  #rememberEnded(alert: OpenAlert, key: TableKey, atUs: number): void {
    const ended = this.#recentlyEnded;
    if (ended.size >= this.settings.maxOpen) {
      // The oldest end goes first: its key would start a new alert if it fired again.
      ended.delete(ended.keys().next().value!);
      this.#recentlyEndedEvictions++;
    }
    ended.set(suppressionKey(alert.info, key), { alert, key, endedUs: atUs });
  }

  #openOf(info: DetectorInfo): Map<TableKey, OpenAlert> {
    return this.#open[info.signatureId - FIRST_SIGNATURE_ID]!;
  }

  /** Every open alert with its key (a snapshot: ending alerts while walking it is safe). */
  #allOpen(): [TableKey, OpenAlert][] {
    return this.#open.flatMap((m) => [...m]);
  }

  /** True (and counted in the held key) when `key` is held back and still active. */
  #absorbHeld(info: DetectorInfo, key: TableKey, timestampUs: number): boolean {
    if (this.#heldCount === 0) return false;
    const held = this.#held[info.signatureId - FIRST_SIGNATURE_ID]!;
    const h = held.get(key);
    if (h === undefined) return false;
    if (timestampUs >= h.untilUs) {
      held.delete(key);
      this.#heldCount--;
      return false;
    }
    if (timestampUs > h.lastSeenUs) h.lastSeenUs = timestampUs;
    return true;
  }

  /** Counts a start the caps refused, warns at a detector's first, holds the key for a retry. */
  #drop(info: DetectorInfo, start: AlertStart): void {
    this.#dropped++;
    this.#countFor(info.name);
    if (this.budget.drop(info)) this.onFirstDrop?.(this.budget.warning(info.name));
    const retryUs = start.timestampUs + this.settings.updateIntervalS * 1e6;
    this.#hold(info, start.key, start.timestampUs, retryUs);
  }

  #hold(info: DetectorInfo, key: TableKey, nowUs: number, untilUs: number): void {
    const held = this.#held[info.signatureId - FIRST_SIGNATURE_ID]!;
    if (!held.has(key)) {
      // Full: then counted at every attempt (suppressed or dropped again), never blinding.
      if (this.#heldCount >= this.settings.maxOpen || held.size >= this.budget.share) return;
      this.#heldCount++;
    }
    held.set(key, { lastSeenUs: nowUs, untilUs });
  }

  /** Until when a start is held back (Infinity for allow-lists), or -1 when it is not. */
  #heldUntil(info: DetectorInfo, start: AlertStart): number {
    const lists = [this.#allow, this.#detectorAllow.get(info.name)];
    for (const list of lists) {
      if (list === undefined || list.blocks.length === 0) continue;
      for (const ip of [start.srcIp, start.destIp]) {
        const address = ip === undefined ? null : parseAddress(ip);
        if (address !== null && list.has(address)) return Infinity;
      }
    }
    return -1;
  }

  /** Forgets ends older than `suppressS` (in end order: stops at the first still recent). */
  #forgetSuppressions(nowUs: number): void {
    const limit = nowUs - this.settings.suppressS * 1e6;
    for (const [key, ended] of this.#recentlyEnded) {
      if (ended.endedUs >= limit) break;
      this.#recentlyEnded.delete(key);
    }
  }

  #countFor(name: DetectorName) {
    let c = this.#counts.get(name);
    if (c === undefined) this.#counts.set(name, c = { started: 0, suppressed: 0 });
    return c;
  }

  #nextId(timestampUs: number): string {
    this.#sequence++;
    const time = Math.floor(timestampUs / 1000).toString(36).padStart(9, "0");
    return `${time}-${this.#sequence.toString(36).padStart(4, "0")}`;
  }

  #emit(alert: OpenAlert, state: AlertState, atUs: number): void {
    this.sink(alertRecord(alert, state, atUs), state);
  }
}

function suppressionKey(info: DetectorInfo, key: TableKey): string {
  return `${info.name}|${key}`;
}

function cidrSet(list: readonly string[]): CidrSet {
  return new CidrSet(list.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new RangeError(`Cannot parse allow-list entry "${text}"`);
    return cidr;
  }));
}
