/**
 * @module alert_types
 * What detectors and the engine exchange with the alert manager (core/detect/alerts/alerts.ts): an
 * alert's start, its lifecycle states, cached handles, counters, settings and the record sink.
 */
import type { TableKey } from "../../packet/host_key.ts";
import type { DetectorName } from "../catalog.ts";
import type { AlertEvidence, EvidenceTotal } from "./alert_evidence.ts";
import type { AlertRecord, AlertState } from "../../records/eve_records.ts";
import type { AlertTrigger } from "../../records/pivot_fields.ts";

// Record shapes, defined with the records they appear in.
export type { AlertCounts, AlertState } from "../../records/eve_records.ts";

/** What a detector tells when it fires for a key the first time. */
export interface AlertStart {
  /** Unique within the detector: the attacker, victim or pair the alert is about. */
  key: TableKey;
  timestampUs: number;
  srcIp?: string;
  destIp?: string;
  srcPort?: number;
  destPort?: number;
  proto?: string;
  observed: number;
  threshold: number;
  windowS: number;
  /** 0 other, 1 incoming, 2 outgoing. */
  direction: number;
  /**
   * The evidence sentence for `detection.message`, for a given observation and, on later
   * records, the evidence's true total of what the detector counts (ports, hosts, sources),
   * which its window's count may understate ("at least 30" of a 1000-port scan).
   */
  render(observed: number, total?: EvidenceTotal): string;
  /** Why this fired, in plain words, for `detection.explanation`. */
  explanation: string;
  /**
   * The TCP or UDP packet that started the alert. A detector that starts an alert later (after
   * a hold) names the flow it kept; otherwise alert_trigger.ts takes the packet being processed
   * when the start is made or held.
   */
  trigger?: AlertTrigger;
  /** What the detector counts while the alert lives (`detection.evidence`), if it does. */
  evidence?: AlertEvidence;
}

/** An open alert as a detector caches it, for `observeCached` (opaque outside this module). */
export interface AlertHandle {
  readonly ended: boolean;
}

/** Where a detector caches the open alert of a key it may observe on every packet. */
export interface AlertCache {
  alert: AlertHandle | null;
}

/** Settings of the alert manager (config keys `alerts.*`). */
export interface AlertSettings {
  updateIntervalS: number;
  quietS: number;
  suppressS: number;
  maxOpen: number;
  /** Open alerts one detector may hold (`alerts.max_open_per_detector`; default `maxOpen`). */
  maxOpenPerDetector?: number;
  /** Global allow-list: alerts whose source or destination is inside are suppressed. */
  allowList: readonly string[];
  /** Per-detector allow-lists. */
  detectorAllowLists: Partial<Record<DetectorName, readonly string[]>>;
  /** Seed of the alerts' Community ID (`community_id.seed`; default 0). */
  communityIdSeed?: number;
}

/** Receives every alert record. */
export type AlertSink = (record: AlertRecord, state: AlertState) => void;
