/**
 * @module arp_packet
 * An ARP packet as detectors see it: one object, refilled for every ARP record (no allocation
 * per packet). ARP records carry no F_ADDRESSES (they are not IP), so they never reach the
 * connection tracker or `onPacket`; detectors that want them implement `onArp`.
 */
import type { TableKey } from "../packet/host_key.ts";
import {
  formatIpv4,
  W_ARP_LINK_SRC_MAC,
  W_ARP_OP,
  W_ARP_SENDER_MAC,
  W_DST_ADDR,
  W_SRC_ADDR,
} from "../packet/packet_batch.ts";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** One ARP packet (IPv4 over Ethernet), unpacked. Valid only during the call that receives it. */
export class ArpPacket {
  timestampUs = 0;
  /** 0 other, 1 incoming, 2 outgoing (core/packet/direction.ts). */
  direction = 0;
  /** ARP_REQUEST, ARP_REPLY or another operation. */
  op = 0;
  /** Sender and target protocol addresses as IPv4 host keys (the record words, as hostKey). */
  sender: TableKey = 0;
  target: TableKey = 0;
  /** Sender hardware address as a 48-bit number; 0 when not a 6-byte address. */
  senderMac = 0;
  /**
   * The frame's link-layer source (the station that sent it: Ethernet source, or a Linux cooked
   * header's 6-byte address) as a 48-bit number; 0 when unknown.
   */
  linkSrcMac = 0;

  /** Refills from the ARP record at `base`. */
  load(fields: Int32Array, base: number, timestampUs: number, direction: number): void {
    this.timestampUs = timestampUs;
    this.direction = direction;
    this.op = fields[base + W_ARP_OP]!;
    this.sender = fields[base + W_SRC_ADDR]!;
    this.target = fields[base + W_DST_ADDR]!;
    this.senderMac = fields[base + W_ARP_SENDER_MAC]! * 0x1_0000_0000 +
      (fields[base + W_ARP_SENDER_MAC + 1]! >>> 0);
    this.linkSrcMac = fields[base + W_ARP_LINK_SRC_MAC]! * 0x1_0000_0000 +
      (fields[base + W_ARP_LINK_SRC_MAC + 1]! >>> 0);
  }

  /**
   * True when the frame came from another station than the MAC its ARP sender field names (the
   * link-layer source is known and differs): the packet speaks for someone else, as forged
   * replies do (arpwatch's "ethernet mismatch").
   */
  get mismatched(): boolean {
    return this.linkSrcMac !== 0 && this.senderMac !== 0 && this.linkSrcMac !== this.senderMac;
  }

  /**
   * The MAC of the station making this packet's claim: the link-layer source when a reply names
   * another MAC as its sender (a forged reply is the forger's claim), else the ARP sender MAC.
   */
  get claimerMac(): number {
    return this.op === ARP_REPLY && this.mismatched ? this.linkSrcMac : this.senderMac;
  }

  /**
   * A gratuitous ARP (an announcement, RFC 5227 2.4 and RFC 5944 4.6): the sender asks for, or
   * answers about, its own address.
   */
  get gratuitous(): boolean {
    return this.sender === this.target;
  }

  /** An ARP probe (RFC 5227 2.1.1): sender address 0.0.0.0, checking an address is free. */
  get probe(): boolean {
    return this.sender === 0;
  }
}

/** The colon-separated text of a 48-bit MAC number (for alerts: not on the hot path). */
export function macText(mac: number): string {
  return mac.toString(16).padStart(12, "0").replace(/(..)(?!$)/g, "$1:");
}

/** The dotted text of an ARP address key. */
export function arpAddressText(key: TableKey): string {
  return formatIpv4(key as number);
}
