/**
 * @module packet_batch
 * The compact, allocation-free form a decoded packet takes between the decoder (which runs in the
 * capture worker, or in tests) and the engine (summary, detectors, records).
 *
 * A batch is struct-of-arrays: one Float64 timestamp and RECORD_WORDS Int32 words per packet, so a
 * whole batch moves between threads as two transferable buffers and no object is made per packet.
 */

/** Words per packet record in `PacketBatch.fields`. */
export const RECORD_WORDS = 32;

// Word offsets inside one packet record.
/** Length of the packet on the wire (pcap `len`). */
export const W_WIRE_LEN = 0;
/** Bytes captured (pcap `caplen`). */
export const W_CAP_LEN = 1;
/** Bit set of `F_*` flags. */
export const W_FLAGS = 2;
/** IP protocol number of the transport header after the outermost IP header, or -1. */
export const W_IP_PROTO = 3;
/** TCP/UDP source port, or -1. */
export const W_SRC_PORT = 4;
/** TCP/UDP destination port, or -1. */
export const W_DST_PORT = 5;
/** TCP flags byte (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128), or 0. */
export const W_TCP_FLAGS = 6;
/** ICMP/ICMPv6 type, or -1. */
export const W_ICMP_TYPE = 7;
/** ICMP/ICMPv6 code, or -1. */
export const W_ICMP_CODE = 8;
/** Source address: IPv4 in word 0 (big-endian value, read with `>>> 0`); IPv6 in words 0-3. */
export const W_SRC_ADDR = 9;
/** Destination address, same layout as the source. */
export const W_DST_ADDR = 13;
/** Id of the decode event that stopped decoding (see core/decode/events.ts), or 0. */
export const W_EVENT = 17;
/** Outermost VLAN id, or -1. */
export const W_VLAN_ID = 18;
/** IPv4 identification, or IPv6 fragment identification (32 bits: read with `>>> 0`), or -1. */
export const W_IP_ID = 19;
/** Fragment offset in bytes when the packet is an IP fragment, else -1. */
export const W_FRAG_OFFSET = 20;
/** ICMP errors: protocol of the quoted packet, or -1. */
export const W_INNER_PROTO = 21;
/** ICMP errors: source port of the quoted packet, or -1. */
export const W_INNER_SRC_PORT = 22;
/** ICMP errors: destination port of the quoted packet, or -1. */
export const W_INNER_DST_PORT = 23;
/** Bytes of transport payload (after the TCP/UDP/ICMP header, within the IP length), or -1. */
export const W_PAYLOAD_LEN = 24;
/** Ethertype of the network layer after any VLAN tags (0x0800, 0x86dd, 0x0806...), or -1. */
export const W_ETHERTYPE = 25;
/** Id of a legal-but-odd decode event that did not stop decoding (e.g. ipv4.options), or 0. */
export const W_NOTE_EVENT = 26;
/** IPv4 TTL or IPv6 hop limit, or -1. */
export const W_TTL = 27;
/**
 * ICMP errors: destination address of the quoted packet (layout as W_DST_ADDR, the quoted
 * header's version being the outer one's), valid with F_ICMP_ERROR; else zeros.
 */
export const W_INNER_DST_ADDR = 28;
// ARP records (F_ARP) carry no IP header, so they reuse the quoted-address words: the sender and
// target IPv4 addresses are in W_SRC_ADDR and W_DST_ADDR (word 0), and these hold the rest.
/** ARP: the operation (1 request, 2 reply), valid once the ARP packet was whole; else 0. */
export const W_ARP_OP = W_INNER_DST_ADDR;
/**
 * ARP: the sender hardware address when it is 6 bytes long (Ethernet), in two words: the high
 * 16 bits here, the low 32 bits (read with `>>> 0`) in the next word; zeros otherwise.
 */
export const W_ARP_SENDER_MAC = W_INNER_DST_ADDR + 1;
/**
 * ARP: the link-layer source of the frame (the station that sent it), in two words as
 * W_ARP_SENDER_MAC: the Ethernet source, or a Linux cooked header's address when it is 6 bytes
 * long; zeros when unknown. ARP sender addresses are IPv4, so the source address's words 1-2
 * (10, 11) are free; a forged reply shows here a MAC other than its ARP sender's.
 */
export const W_ARP_LINK_SRC_MAC = W_SRC_ADDR + 1;

// Flags (W_FLAGS). A layer flag means the packet carried that header as its outermost network
// header or the transport header right after it (Suricata's `stats.decoder` counting rule).
export const F_VLAN = 1 << 0;
export const F_IPV4 = 1 << 1;
export const F_IPV6 = 1 << 2;
export const F_ARP = 1 << 3;
export const F_TCP = 1 << 4;
export const F_UDP = 1 << 5;
export const F_ICMP4 = 1 << 6;
export const F_ICMP6 = 1 << 7;
/** `stats.decoder` names of the layer flags above, indexed by bit (F_VLAN is bit 0). */
export const PROTOCOL_NAMES = [
  "vlan",
  "ipv4",
  "ipv6",
  "arp",
  "tcp",
  "udp",
  "icmpv4",
  "icmpv6",
] as const;
/** Every layer flag named in PROTOCOL_NAMES. */
export const PROTOCOL_FLAGS = (1 << PROTOCOL_NAMES.length) - 1;
/** Malformed: a decode event marked invalid was recorded. */
export const F_INVALID = 1 << 8;
/** Cut short by the snaplen (caplen < wire length and decoding ran out of captured bytes). */
export const F_TRUNCATED = 1 << 9;
/** An ethertype, link type or IP protocol we do not decode: counted, not invalid. */
export const F_UNSUPPORTED = 1 << 10;
/** An IP fragment (more-fragments set or a non-zero offset). */
export const F_FRAGMENT = 1 << 11;
/** A fragment other than the first: it carries no transport header, so no ports. */
export const F_LATER_FRAGMENT = 1 << 12;
/** An ICMP/ICMPv6 error whose quoted header filled the W_INNER_* words. */
export const F_ICMP_ERROR = 1 << 13;
/** W_SRC_ADDR/W_DST_ADDR hold the outermost IP header's addresses (F_IPV4 or F_IPV6 says which). */
export const F_ADDRESSES = 1 << 14;

/** Bytes of one frame kept at most with the batch (a frame's captured length beyond is cut). */
export const FRAME_KEEP_MAX = 65_535;

/** A batch of decoded packets, reused or transferred whole between threads. */
export class PacketBatch {
  /** Packets filled so far. */
  count = 0;
  /** Packet time in microseconds since the Unix epoch, one per packet. */
  readonly timestampsUs: Float64Array;
  /** `capacity * RECORD_WORDS` words, one record per packet. */
  readonly fields: Int32Array;
  /**
   * The summary's rows for these packets (core/summary/batch_summary.ts), when counted where the batch
   * was decoded; null makes the engine count them itself.
   */
  summaryRows: Float64Array | null = null;
  /**
   * The packets' raw frames (core/pcap/: the packets behind an alert), when the capture keeps
   * them: packet i is `frames[frameStarts[i], frameStarts[i] + its W_CAP_LEN words' bytes)`,
   * cut to FRAME_KEEP_MAX; the bytes in use are `frames[0, framesLength)`. Null otherwise.
   */
  frames: Uint8Array | null = null;
  frameStarts: Int32Array | null = null;
  framesLength = 0;

  constructor(
    readonly capacity: number,
    buffers?: { timestampsUs: Float64Array; fields: Int32Array },
  ) {
    this.timestampsUs = buffers?.timestampsUs ?? new Float64Array(capacity);
    this.fields = buffers?.fields ?? new Int32Array(capacity * RECORD_WORDS);
  }

  /** Forgets the packets so the buffers can be filled again. */
  clear(): void {
    this.count = 0;
    this.summaryRows = null;
    this.framesLength = 0;
  }

  /** True when no further packet fits. */
  get full(): boolean {
    return this.count >= this.capacity;
  }
}

/** Renders an address stored at `fields[base..base+3]` as text, given the record's flags. */
export function formatAddress(fields: Int32Array, base: number, flags: number): string {
  return flags & F_IPV6 ? formatIpv6(fields, base) : formatIpv4(fields[base]!);
}

/** Dotted-quad text of an IPv4 record word. */
export function formatIpv4(word: number): string {
  const v = word >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text for the IPv6 address in four big-endian words. */
export function formatIpv6(fields: Int32Array, base: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = fields[base + i]! >>> 0;
    groups.push(w >>> 16, w & 0xffff);
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}
