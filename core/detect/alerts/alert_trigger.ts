/**
 * @module alert_trigger
 * The packet that started an alert (`detection.trigger`) and its Community ID (`community_id`),
 * taken only when an alert starts or is held: detectors see every packet through one reused
 * PacketContext, so nothing is copied per packet.
 */
import type { PacketContext } from "../packet_context.ts";
import { communityId } from "../../packet/community_id.ts";
import { keyText, type TableKey } from "../../packet/host_key.ts";

const PROTO_TCP = 6, PROTO_UDP = 17;

/** The flow of a connection attempt (the tracker's Attempt has these fields). */
export interface TriggerAttempt {
  src: TableKey;
  dst: TableKey;
  proto: number;
  srcPort: number;
  dstPort: number;
}

/**
 * The trigger naming a TCP or UDP attempt's flow (its first packet: initiator -> responder);
 * `destIp` is the responder's address as text when the caller has it already.
 */
export function attemptTrigger(
  attempt: TriggerAttempt,
  destIp: string = keyText(attempt.dst),
): AlertTrigger {
  return {
    src_ip: keyText(attempt.src),
    src_port: attempt.srcPort,
    dest_ip: destIp,
    dest_port: attempt.dstPort,
    proto: attempt.proto === PROTO_TCP ? "TCP" : "UDP",
  };
}

/** What an alert starting now came from: the packet in hand, and the attempt being reported. */
export interface TriggerSource {
  /** The packet being processed (null between packets: a start made by a tick). */
  currentPacket: PacketContext | null;
  /**
   * The connection attempt the tracker is reporting (answered, failed or timed out), if any: a
   * scan's alert names its probe (scanner -> victim:port), not the RST or ICMP error that
   * refused it, nor nothing when the probe timed out.
   */
  currentAttempt: TriggerAttempt | null;
}
import type { AlertStart } from "./alert_types.ts";
import type { AlertTrigger } from "../../records/pivot_fields.ts";

/**
 * Names the start's trigger, unless its detector did: the attempt being reported when it is
 * TCP or UDP, else the packet being processed when it is TCP or UDP with ports.
 */
export function captureTrigger(start: AlertStart, source: TriggerSource): void {
  if (start.trigger !== undefined) return;
  const attempt = source.currentAttempt;
  if (attempt !== null && (attempt.proto === PROTO_TCP || attempt.proto === PROTO_UDP)) {
    start.trigger = attemptTrigger(attempt);
    return;
  }
  const packet = source.currentPacket;
  if (packet === null || !(packet.isTcp || packet.isUdp)) return;
  start.trigger = {
    src_ip: packet.srcText(),
    src_port: packet.srcPort,
    dest_ip: packet.dstText(),
    dest_port: packet.dstPort,
    proto: packet.isTcp ? "TCP" : "UDP",
  };
}

/** The Community ID of the start's trigger (captured now if need be), or undefined. */
export function startCommunityId(
  start: AlertStart,
  source: TriggerSource,
  seed: number,
): string | undefined {
  captureTrigger(start, source);
  const t = start.trigger;
  if (t === undefined) return undefined;
  const flow = {
    srcIp: t.src_ip,
    srcPort: t.src_port,
    destIp: t.dest_ip,
    destPort: t.dest_port,
    proto: t.proto === "TCP" ? 6 : 17,
  };
  return communityId(flow, seed) ?? undefined;
}
