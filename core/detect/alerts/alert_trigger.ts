/**
 * @module alert_trigger
 * The packet that started an alert (`detection.trigger`) and its Community ID (`community_id`),
 * taken only when an alert starts or is held: detectors see every packet through one reused
 * PacketContext, so nothing is copied per packet.
 */
import type { PacketContext } from "../packet_context.ts";
import { communityId } from "../../packet/community_id.ts";
import type { AlertStart } from "./alert_types.ts";

/**
 * Names the start's trigger, unless its detector did: `packet`, the one being processed, when
 * it is TCP or UDP with ports (null between packets: a start made by a tick has none).
 */
export function captureTrigger(start: AlertStart, packet: PacketContext | null): void {
  if (start.trigger !== undefined || packet === null || !(packet.isTcp || packet.isUdp)) return;
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
  packet: PacketContext | null,
  seed: number,
): string | undefined {
  captureTrigger(start, packet);
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
