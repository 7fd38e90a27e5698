/**
 * @module service_port
 * Which destination port "Top destination ports" counts: the service's, never the ephemeral port
 * a reply goes back to. The rule is stateless (no flow table, nothing made per packet), so the
 * capture worker applies it to every packet:
 * - TCP: a SYN without ACK names the service (its destination), a SYN+ACK goes back to the
 *   client (not counted); every other segment counts when its destination is the lower of the two
 *   ports (services listen on low or registered ports, clients send from the ephemeral range).
 * - UDP: the destination counts when it is the lower of the two ports.
 * Equal ports (NTP 123<->123, mDNS 5353<->5353) count in both directions: both sides are the
 * service. A client whose port is lower than the server's (e.g. 40000 -> 50000) has its replies
 * counted on the client's port; a SYN still names the server.
 */

import { F_TCP, F_UDP } from "../packet/packet_batch.ts";

/** TCP flag bits (W_TCP_FLAGS). */
const SYN = 0x02;
const ACK = 0x10;

/**
 * The service side's port of a TCP or UDP packet's conversation, whichever way the packet goes,
 * or -1 (no ports): a SYN names its destination, a SYN+ACK its source, any other packet the
 * lower of the two ports.
 */
export function conversationServicePort(
  flags: number,
  tcpFlags: number,
  srcPort: number,
  dstPort: number,
): number {
  if (srcPort < 0 || dstPort < 0) return -1;
  if (flags & F_TCP) {
    if (tcpFlags & SYN) return tcpFlags & ACK ? srcPort : dstPort;
    return Math.min(srcPort, dstPort);
  }
  return flags & F_UDP ? Math.min(srcPort, dstPort) : -1;
}

/**
 * The destination port to count for a packet with layer `flags`, TCP flags `tcpFlags` and ports
 * `srcPort` -> `dstPort`, or -1 when the packet goes to the client side (or has no ports): its
 * destination when that is its conversation's service port, never a SYN+ACK's.
 */
export function serviceDestinationPort(
  flags: number,
  tcpFlags: number,
  srcPort: number,
  dstPort: number,
): number {
  if ((flags & F_TCP) && (tcpFlags & (SYN | ACK)) === (SYN | ACK)) return -1;
  const port = conversationServicePort(flags, tcpFlags, srcPort, dstPort);
  return port >= 0 && port === dstPort ? dstPort : -1;
}
