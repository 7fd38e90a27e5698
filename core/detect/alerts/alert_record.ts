/**
 * @module alert_record
 * An open alert as the alert manager keeps it, and what its EVE alert record (start, update, end)
 * says (built by core/records/eve_records.ts).
 */
import { type AlertRecord, buildAlertRecord } from "../../records/eve_records.ts";
import type { EveEndpoint } from "../../records/pivot_fields.ts";
import { DIRECTION_NAMES } from "../../packet/direction.ts";
import type { DetectorInfo } from "../catalog.ts";
import type { AlertHandle, AlertStart, AlertState } from "./alert_types.ts";
import type { AlertEvidence } from "./alert_evidence.ts";

/** An open (or ended, resumable) alert: what its records say. */
export interface OpenAlert extends AlertHandle {
  ended: boolean;
  id: string;
  info: DetectorInfo;
  start: AlertStart;
  firstSeenUs: number;
  lastSeenUs: number;
  lastUpdateUs: number;
  count: number;
  countAtUpdate: number;
  observed: number;
  peak: number;
  /** Times the alert resumed after it had ended (within `alerts.suppress_s`). */
  resumed: number;
  /** Community ID of `start.trigger`, computed once when the alert opened. */
  communityId: string | undefined;
}

/** The evidence an alert counts into, from the handle a detector got (null without one). */
export function evidenceOf(handle: AlertHandle | null): AlertEvidence | null {
  return handle === null ? null : (handle as OpenAlert).start.evidence ?? null;
}

/** The EVE record of `alert` in `state` at packet time `atUs`. */
export function alertRecord(alert: OpenAlert, state: AlertState, atUs: number): AlertRecord {
  const s = alert.start, info = alert.info;
  return buildAlertRecord({
    atUs,
    srcIp: s.srcIp,
    srcPort: s.srcPort,
    destIp: s.destIp,
    destPort: s.destPort,
    proto: s.proto,
    communityId: alert.communityId,
    alert: {
      action: "allowed",
      gid: 1,
      signature_id: info.signatureId,
      rev: info.rev,
      signature: info.signature,
      category: info.category,
      severity: info.severity,
      ...endpoint("source", s.srcIp, s.srcPort),
      ...endpoint("target", s.destIp, s.destPort),
    },
    alertId: alert.id,
    detector: info.name,
    state,
    firstSeenUs: alert.firstSeenUs,
    lastSeenUs: alert.lastSeenUs,
    count: alert.count,
    observed: state === "start" ? s.observed : alert.observed,
    peak: alert.peak,
    threshold: s.threshold,
    windowS: s.windowS,
    direction: DIRECTION_NAMES[s.direction] ?? "other",
    message: state === "start" ? s.render(s.observed) : s.render(alert.peak, s.evidence?.total()),
    explanation: s.explanation,
    trigger: s.trigger,
    evidence: s.evidence?.toRecord(alert.peak),
    resumed: alert.resumed,
  });
}

/**
 * `alert.source` or `alert.target`, as Suricata fills them: every detector names the attacker's
 * side (scanner, flooder, reflector, the MAC's claimed address) as src and the victim as dest.
 */
function endpoint(
  side: "source" | "target",
  ip: string | undefined,
  port: number | undefined,
): { source?: EveEndpoint; target?: EveEndpoint } {
  if (ip === undefined) return {};
  return { [side]: port === undefined ? { ip } : { ip, port } };
}
