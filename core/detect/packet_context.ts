/**
 * @module packet_context
 * The packet as detectors see it: one object, refilled for every packet (no allocation per
 * packet), with the record's words unpacked and the address keys computed once.
 */
import type { TableKey } from "../packet/host_key.ts";
import {
  F_ADDRESSES,
  F_ICMP4,
  F_ICMP6,
  F_IPV6,
  F_LATER_FRAGMENT,
  F_TCP,
  F_UDP,
  formatAddress,
  W_DST_ADDR,
  W_DST_PORT,
  W_FLAGS,
  W_ICMP_CODE,
  W_ICMP_TYPE,
  W_IP_ID,
  W_IP_PROTO,
  W_SRC_ADDR,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_WIRE_LEN,
} from "../packet/packet_batch.ts";
import { hostKey } from "../packet/host_key.ts";

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** EVE's `proto` names. */
export function protoName(proto: number): string {
  switch (proto) {
    case PROTO_TCP:
      return "TCP";
    case PROTO_UDP:
      return "UDP";
    case PROTO_ICMP:
      return "ICMP";
    case PROTO_ICMPV6:
      return "IPv6-ICMP";
    default:
      return String(proto);
  }
}

/** `PacketContext.role`: how the packet relates to a tracked exchange. */
export const ROLE_NONE = 0;
/** Sent by the side that started the exchange (TCP probe/SYN side, first UDP sender). */
export const ROLE_INITIATOR = 1;
/** A reply from the side that was contacted. */
export const ROLE_RESPONDER = 2;
/** A response the destination never asked for (reflector-port UDP, SYN-ACK without SYN). */
export const ROLE_UNSOLICITED = 3;

/** One packet, unpacked for detectors. Valid only during the call that receives it. */
export class PacketContext {
  fields: Int32Array = new Int32Array(0);
  base = 0;
  flags = 0;
  timestampUs = 0;
  /** 0 other, 1 incoming, 2 outgoing (core/packet/direction.ts). */
  direction = 0;
  wireLen = 0;
  /** True when the packet has IP addresses (F_ADDRESSES). */
  hasAddresses = false;
  v6 = false;
  /** IP protocol of the transport header, or -1. */
  proto = -1;
  /** TCP/UDP ports, -1 when absent (non-first fragments, other protocols). */
  srcPort = -1;
  dstPort = -1;
  tcpFlags = 0;
  icmpType = -1;
  icmpCode = -1;
  ipId = -1;
  /** Address keys (IPv4 word or IPv6 text), valid when `hasAddresses`. */
  srcKey: TableKey = 0;
  dstKey: TableKey = 0;
  /** Set by the connection tracker before detectors see the packet (ROLE_*). */
  role = ROLE_NONE;

  /** Refills from the record at `base`. */
  load(fields: Int32Array, base: number, timestampUs: number, direction: number): void {
    const flags = fields[base + W_FLAGS]!;
    this.fields = fields;
    this.base = base;
    this.flags = flags;
    this.timestampUs = timestampUs;
    this.direction = direction;
    this.wireLen = fields[base + W_WIRE_LEN]!;
    this.hasAddresses = (flags & F_ADDRESSES) !== 0;
    this.v6 = (flags & F_IPV6) !== 0;
    this.proto = fields[base + W_IP_PROTO]!;
    this.srcPort = fields[base + W_SRC_PORT]!;
    this.dstPort = fields[base + W_DST_PORT]!;
    this.tcpFlags = fields[base + W_TCP_FLAGS]!;
    this.icmpType = fields[base + W_ICMP_TYPE]!;
    this.icmpCode = fields[base + W_ICMP_CODE]!;
    this.ipId = fields[base + W_IP_ID]!;
    this.role = ROLE_NONE;
    if (this.hasAddresses) {
      this.srcKey = hostKey(fields, base + W_SRC_ADDR, this.v6);
      this.dstKey = hostKey(fields, base + W_DST_ADDR, this.v6);
    }
  }

  get isTcp(): boolean {
    return (this.flags & F_TCP) !== 0 && this.srcPort >= 0;
  }

  get isUdp(): boolean {
    return (this.flags & F_UDP) !== 0 && this.srcPort >= 0;
  }

  get isIcmp(): boolean {
    return (this.flags & (F_ICMP4 | F_ICMP6)) !== 0 && this.icmpType >= 0;
  }

  get isLaterFragment(): boolean {
    return (this.flags & F_LATER_FRAGMENT) !== 0;
  }

  /** An ICMP or ICMPv6 echo request. */
  get isEchoRequest(): boolean {
    if (!this.isIcmp) return false;
    return this.proto === PROTO_ICMPV6 ? this.icmpType === 128 : this.icmpType === 8;
  }

  /** Source address as text (for alerts: not on the hot path). */
  srcText(): string {
    return formatAddress(this.fields, this.base + W_SRC_ADDR, this.flags);
  }

  /** Destination address as text. */
  dstText(): string {
    return formatAddress(this.fields, this.base + W_DST_ADDR, this.flags);
  }
}
