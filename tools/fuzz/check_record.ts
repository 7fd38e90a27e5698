/**
 * @module check_record
 * What a sane record looks like after decoding any bytes (`checkRecord`).
 */
import { MAX_WIRE_LEN } from "../../core/decode/decoder.ts";
import { DECODE_EVENTS, EVENT_COUNT } from "../../core/decode/events.ts";
import {
  F_ADDRESSES,
  F_ARP,
  F_FRAGMENT,
  F_ICMP4,
  F_ICMP6,
  F_ICMP_ERROR,
  F_INVALID,
  F_IPV4,
  F_IPV6,
  F_LATER_FRAGMENT,
  F_TCP,
  F_TRUNCATED,
  F_UDP,
  F_UNSUPPORTED,
  F_VLAN,
  W_ARP_LINK_SRC_MAC,
  W_CAP_LEN,
  W_DST_PORT,
  W_ETHERTYPE,
  W_EVENT,
  W_FLAGS,
  W_FRAG_OFFSET,
  W_ICMP_CODE,
  W_ICMP_TYPE,
  W_INNER_DST_ADDR,
  W_INNER_DST_PORT,
  W_INNER_PROTO,
  W_INNER_SRC_PORT,
  W_IP_ID,
  W_IP_PROTO,
  W_NOTE_EVENT,
  W_PAYLOAD_LEN,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_TTL,
  W_VLAN_ID,
  W_WIRE_LEN,
} from "../../core/packet/packet_batch.ts";

/** Every flag bit the decoder may set. */
const KNOWN_FLAGS = (1 << 15) - 1;
const OUTCOME = F_INVALID | F_TRUNCATED | F_UNSUPPORTED;

/**
 * Null when the record at `base` is sane, else what is wrong: flags only known bits and
 * consistent; one outcome flag exactly when there is an event, of the event's kind; a note only
 * of kind "note"; lengths as given; ports -1 or 0..65535, bytes -1 or 0..255, VLAN id -1 or
 * 0..4095, ethertype -1 or 0..65535, fragment offset -1 or 0..65528 (multiple of 8); payload
 * length -1 or at least 0; words of a layer only with that layer's flag.
 */
export function checkRecord(
  f: Int32Array,
  base: number,
  capLen: number,
  wireLen: number,
): string | null {
  const w = (i: number) => f[base + i]!;
  const flags = w(W_FLAGS);
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    return `unknown flag bits 0x${flags.toString(16)}`;
  }
  const wire = Math.min(wireLen, MAX_WIRE_LEN);
  if (w(W_WIRE_LEN) !== wire) {
    return `wire length ${w(W_WIRE_LEN)}, not ${wire}`;
  }
  if (w(W_CAP_LEN) !== capLen) return `caplen ${w(W_CAP_LEN)}, not ${capLen}`;
  const event = w(W_EVENT), note = w(W_NOTE_EVENT);
  if (event < 0 || event > EVENT_COUNT) {
    return `event id ${event} outside the catalogue`;
  }
  if (note < 0 || note > EVENT_COUNT) {
    return `note id ${note} outside the catalogue`;
  }
  const outcome = flags & OUTCOME;
  if ((event === 0) !== (outcome === 0)) {
    return `event ${event} with outcome flags ${outcome}`;
  }
  if (
    outcome !== 0 && outcome !== F_INVALID && outcome !== F_TRUNCATED &&
    outcome !== F_UNSUPPORTED
  ) {
    return `more than one outcome flag: ${outcome}`;
  }
  if (event !== 0) {
    const kind = DECODE_EVENTS[event - 1]!.kind;
    const ok = kind === "invalid"
      ? outcome === F_INVALID
      : kind === "truncation"
      ? outcome === F_INVALID || outcome === F_TRUNCATED
      : kind === "unsupported"
      ? outcome === F_UNSUPPORTED
      : false;
    if (!ok) {
      return `event ${DECODE_EVENTS[event - 1]!.name} (${kind}) with outcome ${outcome}`;
    }
  }
  if (note !== 0 && DECODE_EVENTS[note - 1]!.kind !== "note") {
    return `note ${DECODE_EVENTS[note - 1]!.name} is not of kind note`;
  }
  for (
    const p of [W_SRC_PORT, W_DST_PORT, W_INNER_SRC_PORT, W_INNER_DST_PORT]
  ) {
    if (w(p) < -1 || w(p) > 65535) return `port word ${p} = ${w(p)}`;
  }
  for (
    const p of [W_IP_PROTO, W_ICMP_TYPE, W_ICMP_CODE, W_INNER_PROTO, W_TTL]
  ) {
    if (w(p) < -1 || w(p) > 255) return `byte word ${p} = ${w(p)}`;
  }
  if (w(W_TCP_FLAGS) < 0 || w(W_TCP_FLAGS) > 255) {
    return `TCP flags ${w(W_TCP_FLAGS)}`;
  }
  if (w(W_VLAN_ID) < -1 || w(W_VLAN_ID) > 4095) {
    return `VLAN id ${w(W_VLAN_ID)}`;
  }
  if (w(W_ETHERTYPE) < -1 || w(W_ETHERTYPE) > 65535) {
    return `ethertype ${w(W_ETHERTYPE)}`;
  }
  const frag = w(W_FRAG_OFFSET);
  if (frag < -1 || frag > 65528 || (frag > 0 && frag % 8 !== 0)) {
    return `fragment offset ${frag}`;
  }
  if (w(W_PAYLOAD_LEN) < -1 || w(W_PAYLOAD_LEN) > Math.max(wire, capLen)) {
    return `payload length ${w(W_PAYLOAD_LEN)}`;
  }
  if ((flags & F_IPV4) && w(W_IP_ID) < -1) return `IPv4 id ${w(W_IP_ID)}`;
  // Layer consistency.
  const ip = flags & (F_IPV4 | F_IPV6);
  if (ip === (F_IPV4 | F_IPV6)) return "both IPv4 and IPv6";
  if ((flags & F_ARP) && ip) return "ARP and IP";
  if ((flags & (F_TCP | F_UDP | F_ICMP4 | F_ICMP6)) && !ip) {
    return "transport without IP";
  }
  const transports = [F_TCP, F_UDP, F_ICMP4, F_ICMP6].filter((t) => flags & t).length;
  if (transports > 1) return "more than one transport flag";
  if ((flags & F_ICMP4) && !(flags & F_IPV4)) return "ICMP without IPv4";
  if ((flags & F_ICMP6) && !(flags & F_IPV6)) return "ICMPv6 without IPv6";
  if ((flags & F_ADDRESSES) && !ip) return "addresses without IP";
  if ((flags & F_LATER_FRAGMENT) && !(flags & F_FRAGMENT)) {
    return "later fragment, no fragment";
  }
  if (
    (flags & F_LATER_FRAGMENT) &&
    (w(W_SRC_PORT) !== -1 || (flags & (F_TCP | F_UDP)))
  ) {
    return "a later fragment with a transport header";
  }
  if ((flags & F_ICMP_ERROR) && !(flags & (F_ICMP4 | F_ICMP6))) {
    return "ICMP error without ICMP";
  }
  if (
    !(flags & (F_TCP | F_UDP)) && (w(W_SRC_PORT) !== -1 || w(W_DST_PORT) !== -1)
  ) {
    return "ports without TCP or UDP";
  }
  if (!(flags & F_TCP) && w(W_TCP_FLAGS) !== 0) return "TCP flags without TCP";
  if (!(flags & (F_ICMP4 | F_ICMP6)) && w(W_ICMP_TYPE) !== -1) {
    return "ICMP type without ICMP";
  }
  if (!(flags & F_ICMP_ERROR) && w(W_INNER_PROTO) !== -1) {
    return "quoted protocol without error";
  }
  if (!(flags & F_VLAN) && w(W_VLAN_ID) !== -1) return "VLAN id without F_VLAN";
  if (flags & F_ARP) {
    // ARP reuses the quoted-address words: operation, sender MAC (16 + 32 bits), then zero.
    if (w(W_INNER_DST_ADDR) < 0 || w(W_INNER_DST_ADDR) > 65535) return "ARP operation";
    if (w(W_INNER_DST_ADDR + 1) < 0 || w(W_INNER_DST_ADDR + 1) > 65535) return "ARP sender MAC";
    if (w(W_INNER_DST_ADDR + 3) !== 0) return "ARP record with a fourth quoted word";
    // The link-layer source MAC in the source address's words 1-2 (16 + 32 bits), word 3 zero.
    if (w(W_ARP_LINK_SRC_MAC) < 0 || w(W_ARP_LINK_SRC_MAC) > 65535) return "ARP link source";
    if (w(W_ARP_LINK_SRC_MAC + 2) !== 0) return "ARP record with a fourth source word";
  } else if (!(flags & F_ICMP_ERROR)) {
    for (let i = 0; i < 4; i++) {
      if (w(W_INNER_DST_ADDR + i) !== 0) {
        return "quoted address without F_ICMP_ERROR";
      }
    }
  }
  return null;
}
