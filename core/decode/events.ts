/**
 * @module events
 * The catalogue of decode events: one stable dotted name (Suricata style) and a one-line doc each.
 * A packet record stores the event that stopped decoding in `W_EVENT` and one legal-but-odd note
 * in `W_NOTE_EVENT`, both as ids: id = index in `DECODE_EVENTS` + 1, and 0 means none. Append new
 * events at the end so ids stay stable.
 *
 * Kinds, and the record flags that go with them:
 * - `invalid`: malformed; F_INVALID is set.
 * - `truncation` (the `*.truncated` events): the bytes ran out inside a header, or before the end
 *   its length field declares. When the snaplen cut the frame (caplen < wireLen) and the missing
 *   bytes lie within the wire length, the packet is truncated: F_TRUNCATED, NOT F_INVALID (as
 *   tcpdump and gopacket see it). When the whole frame was captured, or a length field claims more
 *   than the wire frame holds, it is malformed: F_INVALID. The record flags tell which.
 * - `unsupported`: a link type, ethertype or protocol we do not decode; F_UNSUPPORTED, not invalid.
 * - `note`: legal but odd; goes to W_NOTE_EVENT (the first one wins) and decoding goes on.
 */

/** How an event counts; see the module doc. */
export type DecodeEventKind = "invalid" | "truncation" | "unsupported" | "note";

/** One catalogue entry. */
export interface DecodeEvent {
  /** Stable dotted name, e.g. "ipv4.truncated". */
  readonly name: string;
  /** True when the event can mark a malformed packet (kinds `invalid` and `truncation`). */
  readonly invalid: boolean;
  /** See the module doc. */
  readonly kind: DecodeEventKind;
  /** One line saying what was seen. */
  readonly doc: string;
}

function ev(name: string, kind: DecodeEventKind, doc: string): DecodeEvent {
  return { name, invalid: kind === "invalid" || kind === "truncation", kind, doc };
}

/** Every decode event; the id of an event is its index + 1. */
export const DECODE_EVENTS: readonly DecodeEvent[] = Object.freeze([
  ev("link.unsupported", "unsupported", "link type not decoded: the whole packet is unsupported"),
  ev("ethernet.truncated", "truncation", "fewer than 14 bytes for the Ethernet header"),
  ev("ethernet.llc", "unsupported", "802.3 frame (length field < 0x0600, LLC/SNAP), not decoded"),
  ev("ethernet.unknown_ethertype", "unsupported", "ethertype not decoded (W_ETHERTYPE holds it)"),
  ev("vlan.truncated", "truncation", "fewer than 4 bytes for an 802.1Q/802.1ad tag"),
  ev("vlan.too_many_layers", "invalid", "more than 4 stacked VLAN tags"),
  ev("sll.truncated", "truncation", "fewer than 16 (v1) or 20 (v2) bytes for the cooked header"),
  ev("sll.unknown_protocol", "unsupported", "cooked protocol below 0x0600 (LLC, CAN...)"),
  ev("null.truncated", "truncation", "fewer than 4 bytes for the BSD null/loop family word"),
  ev("null.unknown_family", "unsupported", "BSD null/loop address family is neither IPv4 nor IPv6"),
  ev("raw.truncated", "truncation", "raw IP packet without a single byte"),
  ev("raw.wrong_version", "invalid", "raw IP packet whose version nibble is neither 4 nor 6"),
  ev("arp.truncated", "truncation", "ARP header or its addresses run past the bytes"),
  ev("arp.unknown_format", "unsupported", "ARP for a protocol other than IPv4 (ptype/plen)"),
  ev("ipv4.truncated", "truncation", "IPv4 header cut, or total length beyond the frame"),
  ev("ipv4.header_too_small", "invalid", "fewer than 20 bytes left in the frame for IPv4"),
  ev("ipv4.wrong_version", "invalid", "IPv4 version field is not 4"),
  ev("ipv4.hlen_too_small", "invalid", "IPv4 header length below 20 bytes"),
  ev("ipv4.iplen_smaller_than_hlen", "invalid", "IPv4 total length smaller than its header length"),
  ev("ipv4.options_invalid", "invalid", "IPv4 option with a length below 2 or past the header"),
  ev("ipv4.frag_too_large", "invalid", "IPv4 fragment offset + length beyond 65535 bytes"),
  ev("ipv4.unknown_protocol", "unsupported", "IPv4 protocol not decoded (W_IP_PROTO holds it)"),
  ev("ipv4.options_present", "note", "IPv4 header carries options"),
  ev("ipv6.truncated", "truncation", "IPv6 header cut, or payload length beyond the frame"),
  ev("ipv6.header_too_small", "invalid", "fewer than 40 bytes left in the frame for IPv6"),
  ev("ipv6.wrong_version", "invalid", "IPv6 version field is not 6"),
  ev("ipv6.exthdr_truncated", "truncation", "IPv6 extension header runs past the bytes"),
  ev("ipv6.exthdr_too_many", "invalid", "more than 8 IPv6 extension headers in a chain"),
  ev("ipv6.frag_too_large", "invalid", "IPv6 fragment offset + length beyond 65535 bytes"),
  ev("ipv6.unknown_protocol", "unsupported", "IPv6 upper protocol not decoded (ESP included)"),
  ev("ipv6.routing_type_0", "note", "IPv6 type 0 routing header (deprecated by RFC 5095)"),
  ev("ipv6.atomic_fragment", "note", "IPv6 fragment header with offset 0 and no more fragments"),
  ev("tcp.truncated", "truncation", "TCP header (options included) cut by the snaplen"),
  ev("tcp.header_too_small", "invalid", "fewer than 20 bytes of TCP segment per the IP length"),
  ev("tcp.hlen_too_small", "invalid", "TCP data offset below 5 words"),
  ev("tcp.hlen_too_large", "invalid", "TCP data offset past the end of the segment"),
  ev("udp.truncated", "truncation", "UDP header cut by the snaplen"),
  ev("udp.header_too_small", "invalid", "fewer than 8 bytes of UDP datagram per the IP length"),
  ev("udp.len_invalid", "invalid", "UDP length field below 8 or beyond the IP payload"),
  ev("icmp.truncated", "truncation", "ICMP header cut by the snaplen"),
  ev("icmp.header_too_small", "invalid", "fewer than 8 bytes of ICMP message per the IP length"),
  ev("icmp.quoted_truncated", "truncation", "ICMP error quotes less than an IPv4 header + ports"),
  ev("icmp.quoted_invalid", "invalid", "ICMP error quotes a header that is not valid IPv4"),
  ev("icmpv6.truncated", "truncation", "ICMPv6 header cut by the snaplen"),
  ev("icmpv6.header_too_small", "invalid", "fewer than 8 bytes of ICMPv6 per the IP length"),
  ev("icmpv6.quoted_truncated", "truncation", "ICMPv6 error quotes < IPv6 header + ports"),
  ev("icmpv6.quoted_invalid", "invalid", "ICMPv6 error quotes a header that is not valid IPv6"),
]);

/** Number of events; ids run from 1 to EVENT_COUNT. */
export const EVENT_COUNT = DECODE_EVENTS.length;

const ID_BY_NAME = new Map(DECODE_EVENTS.map((e, i) => [e.name, i + 1]));

/** The id of the event called `name`; throws for an unknown name (a programming error). */
export function eventId(name: string): number {
  const id = ID_BY_NAME.get(name);
  if (id === undefined) {
    throw new Error(`Unknown decode event "${name}": see core/decode/events.ts`);
  }
  return id;
}

/** The name of event `id`, or "" for 0 or an unknown id. */
export function eventName(id: number): string {
  return DECODE_EVENTS[id - 1]?.name ?? "";
}

/** The catalogue entry of event `id`, or undefined for 0 or an unknown id. */
export function eventInfo(id: number): DecodeEvent | undefined {
  return DECODE_EVENTS[id - 1];
}

// Ids used by the decoders; resolved once at load, so a misspelt name fails at startup.
export const E_LINK_UNSUPPORTED = eventId("link.unsupported");
export const E_ETHERNET_TRUNCATED = eventId("ethernet.truncated");
export const E_ETHERNET_LLC = eventId("ethernet.llc");
export const E_ETHERNET_UNKNOWN_ETHERTYPE = eventId("ethernet.unknown_ethertype");
export const E_VLAN_TRUNCATED = eventId("vlan.truncated");
export const E_VLAN_TOO_MANY_LAYERS = eventId("vlan.too_many_layers");
export const E_SLL_TRUNCATED = eventId("sll.truncated");
export const E_SLL_UNKNOWN_PROTOCOL = eventId("sll.unknown_protocol");
export const E_NULL_TRUNCATED = eventId("null.truncated");
export const E_NULL_UNKNOWN_FAMILY = eventId("null.unknown_family");
export const E_RAW_TRUNCATED = eventId("raw.truncated");
export const E_RAW_WRONG_VERSION = eventId("raw.wrong_version");
export const E_ARP_TRUNCATED = eventId("arp.truncated");
export const E_ARP_UNKNOWN_FORMAT = eventId("arp.unknown_format");
export const E_IPV4_TRUNCATED = eventId("ipv4.truncated");
export const E_IPV4_HEADER_TOO_SMALL = eventId("ipv4.header_too_small");
export const E_IPV4_WRONG_VERSION = eventId("ipv4.wrong_version");
export const E_IPV4_HLEN_TOO_SMALL = eventId("ipv4.hlen_too_small");
export const E_IPV4_IPLEN_SMALLER_THAN_HLEN = eventId("ipv4.iplen_smaller_than_hlen");
export const E_IPV4_OPTIONS_INVALID = eventId("ipv4.options_invalid");
export const E_IPV4_FRAG_TOO_LARGE = eventId("ipv4.frag_too_large");
export const E_IPV4_UNKNOWN_PROTOCOL = eventId("ipv4.unknown_protocol");
export const E_IPV4_OPTIONS_PRESENT = eventId("ipv4.options_present");
export const E_IPV6_TRUNCATED = eventId("ipv6.truncated");
export const E_IPV6_HEADER_TOO_SMALL = eventId("ipv6.header_too_small");
export const E_IPV6_WRONG_VERSION = eventId("ipv6.wrong_version");
export const E_IPV6_EXTHDR_TRUNCATED = eventId("ipv6.exthdr_truncated");
export const E_IPV6_EXTHDR_TOO_MANY = eventId("ipv6.exthdr_too_many");
export const E_IPV6_FRAG_TOO_LARGE = eventId("ipv6.frag_too_large");
export const E_IPV6_UNKNOWN_PROTOCOL = eventId("ipv6.unknown_protocol");
export const E_IPV6_ROUTING_TYPE_0 = eventId("ipv6.routing_type_0");
export const E_IPV6_ATOMIC_FRAGMENT = eventId("ipv6.atomic_fragment");
export const E_TCP_TRUNCATED = eventId("tcp.truncated");
export const E_TCP_HEADER_TOO_SMALL = eventId("tcp.header_too_small");
export const E_TCP_HLEN_TOO_SMALL = eventId("tcp.hlen_too_small");
export const E_TCP_HLEN_TOO_LARGE = eventId("tcp.hlen_too_large");
export const E_UDP_TRUNCATED = eventId("udp.truncated");
export const E_UDP_HEADER_TOO_SMALL = eventId("udp.header_too_small");
export const E_UDP_LEN_INVALID = eventId("udp.len_invalid");
export const E_ICMP_TRUNCATED = eventId("icmp.truncated");
export const E_ICMP_HEADER_TOO_SMALL = eventId("icmp.header_too_small");
export const E_ICMP_QUOTED_TRUNCATED = eventId("icmp.quoted_truncated");
export const E_ICMP_QUOTED_INVALID = eventId("icmp.quoted_invalid");
export const E_ICMPV6_TRUNCATED = eventId("icmpv6.truncated");
export const E_ICMPV6_HEADER_TOO_SMALL = eventId("icmpv6.header_too_small");
export const E_ICMPV6_QUOTED_TRUNCATED = eventId("icmpv6.quoted_truncated");
export const E_ICMPV6_QUOTED_INVALID = eventId("icmpv6.quoted_invalid");
