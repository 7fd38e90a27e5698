/**
 * @module exchange_packets
 * What the connection tracker reads from a packet about an exchange: its addresses against the
 * exchange table's address columns, and what an ICMP error means for the attempt it quotes.
 */
import type { ExchangeTable } from "./exchange_table.ts";
import { X_V6 } from "./exchange_table.ts";
import { type PacketContext, PROTO_ICMP, PROTO_ICMPV6 } from "../packet_context.ts";

/** Copies the packet's address at word `at` (1 word for IPv4, 4 for IPv6) into `slot`'s. */
export function copyAddress(p: PacketContext, at: number, column: Int32Array, slot: number): void {
  const f = p.fields, from = p.base + at, to = slot * 4;
  column[to] = f[from]!;
  if (!p.v6) return;
  column[to + 1] = f[from + 1]!;
  column[to + 2] = f[from + 2]!;
  column[to + 3] = f[from + 3]!;
}

/** True when `slot`'s address in `column` is the packet's address at word `at` (same family). */
export function sameAddress(
  table: ExchangeTable,
  column: Int32Array,
  slot: number,
  p: PacketContext,
  at: number,
): boolean {
  const f = p.fields, from = p.base + at, to = slot * 4;
  if (((table.bits[slot]! & X_V6) !== 0) !== p.v6 || column[to] !== f[from]) return false;
  return !p.v6 ||
    (column[to + 1] === f[from + 1] && column[to + 2] === f[from + 2] &&
      column[to + 3] === f[from + 3]);
}

export const ICMP_UNREACHABLE = 0;
export const ICMP_EXPIRED_IN_TRANSIT = 1;
/** Path MTU, redirect, source quench, parameter problem: the attempt goes on or is retried. */
export const ICMP_NOT_FINAL = 2;

/** ICMP protocol unreachable (3/2), or ICMPv6 parameter problem: unrecognized next header (4/1). */
export function isProtocolUnreachable(p: PacketContext): boolean {
  return p.proto === PROTO_ICMP
    ? p.icmpType === 3 && p.icmpCode === 2
    : p.icmpType === 4 && p.icmpCode === 1;
}

/** What an ICMP/ICMPv6 error means for the attempt it quotes. */
export function icmpErrorVerdict(p: PacketContext): number {
  const type = p.icmpType;
  if (p.proto === PROTO_ICMPV6) {
    if (type === 1) return ICMP_UNREACHABLE;
    return type === 3 ? ICMP_EXPIRED_IN_TRANSIT : ICMP_NOT_FINAL;
  }
  if (type === 3) return p.icmpCode === 4 ? ICMP_NOT_FINAL : ICMP_UNREACHABLE; // 4: needs frag
  return type === 11 ? ICMP_EXPIRED_IN_TRANSIT : ICMP_NOT_FINAL;
}
