/**
 * @module community_id
 * Community ID v1 (https://github.com/corelight/community-id-spec): the flow hash Suricata, Zeek
 * and tshark write as `community_id`, so an analyst can join our alerts with their records of the
 * same connection. SHA-1 over seed, ordered addresses, protocol, a pad byte and ordered ports,
 * base64 with a "1:" prefix. Synchronous (node:crypto's createHash): it runs once per alert
 * start, never per packet.
 */
import { createHash } from "node:crypto";
import { parseAddress } from "./ip_address.ts";

/** One packet's flow, as a record names it (`detection.trigger`). */
export interface FlowTuple {
  srcIp: string;
  srcPort: number;
  destIp: string;
  destPort: number;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP; other protocols hash without ports). */
  proto: number;
}

/** Protocols whose ports are part of the hash (the spec's port-carrying ones, ICMP aside). */
const PORTED = new Set([6, 17, 132]);

/**
 * The Community ID of `flow` with `seed` (0 to 65535), or null when an address is not one
 * (both must be of the same family). ICMP is not handled (its type/code mapping is not needed:
 * only TCP and UDP alerts carry one).
 */
export function communityId(flow: FlowTuple, seed = 0): string | null {
  const a = addressBytes(flow.srcIp), b = addressBytes(flow.destIp);
  if (a === null || b === null || a.length !== b.length) return null;
  const ported = PORTED.has(flow.proto);
  let srcPort = ported ? flow.srcPort : 0, dstPort = ported ? flow.destPort : 0;
  let first = a, second = b;
  const order = compareBytes(a, b);
  // The spec orders the endpoints so both directions of a flow hash alike.
  if (order > 0 || (order === 0 && srcPort > dstPort)) {
    first = b;
    second = a;
    [srcPort, dstPort] = [dstPort, srcPort];
  }
  const input = new Uint8Array(2 + first.length * 2 + 2 + (ported ? 4 : 0));
  const view = new DataView(input.buffer);
  view.setUint16(0, seed & 0xffff);
  input.set(first, 2);
  input.set(second, 2 + first.length);
  let at = 2 + first.length * 2;
  input[at++] = flow.proto & 0xff;
  input[at++] = 0; // pad
  if (ported) {
    view.setUint16(at, srcPort);
    view.setUint16(at + 2, dstPort);
  }
  return "1:" + createHash("sha1").update(input).digest("base64");
}

/** The address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
function addressBytes(text: string): Uint8Array | null {
  const parsed = parseAddress(text);
  if (parsed === null) return null;
  const words = parsed.version === 4 ? 1 : 4;
  const bytes = new Uint8Array(words * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words; i++) view.setUint32(i * 4, parsed.words[i]! >>> 0);
  return bytes;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}
