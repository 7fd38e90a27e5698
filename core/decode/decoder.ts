/**
 * @module decoder
 * The packet decoder the capture worker (and tests) call: one frame in, one packet record out.
 * It never throws on packet bytes, reads nothing outside `[start, start + capLen)` and allocates
 * nothing per packet (one reused DecodeState; layer decoders are plain functions).
 *
 * Outcomes (see events.ts): invalid (F_INVALID + W_EVENT), truncated by the snaplen (F_TRUNCATED
 * + a "*.truncated" W_EVENT, not invalid), unsupported (F_UNSUPPORTED + W_EVENT, not invalid).
 * A layer's words are filled once its fixed header is there (and, for IP, its version right),
 * so an event in a later rung leaves them set; the layer flags F_IPV4..F_ICMP6 are set as soon
 * as that layer's decoder runs (Suricata's counting rule).
 */
import {
  type PacketBatch,
  RECORD_WORDS,
  W_CAP_LEN,
  W_DST_ADDR,
  W_EVENT,
  W_FLAGS,
  W_INNER_DST_ADDR,
  W_NOTE_EVENT,
  W_SRC_ADDR,
  W_TCP_FLAGS,
  W_WIRE_LEN,
} from "../packet/packet_batch.ts";
import { decodeEthernet } from "./ethernet.ts";
import { E_LINK_UNSUPPORTED } from "./events.ts";
import { decodeLoop, decodeNull } from "./null.ts";
import { decodeRaw, decodeRawIpv4, decodeRawIpv6 } from "./raw.ts";
import { decodeSll, decodeSll2 } from "./sll.ts";
import { DecodeState } from "./state.ts";

/** One captured frame, described by a reused object so the hot path allocates nothing. */
export interface Frame {
  /** Bytes holding the frame (may be a larger region, e.g. libpcap's buffer). */
  bytes: Uint8Array;
  /** Index of the frame's first byte in `bytes`. */
  start: number;
  /** Bytes captured (pcap caplen); the frame is `bytes[start, start + capLen)`. */
  capLen: number;
  /** Bytes on the wire (pcap len). */
  wireLen: number;
  /** Packet time in microseconds since the Unix epoch. */
  timestampUs: number;
}

// Link types (pcap DLT_* / LINKTYPE_* values).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_EN10MB = 1;
export const DLT_RAW = 12;
export const DLT_RAW_OPENBSD = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const LINK_NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, "NULL"],
  [LINKTYPE_EN10MB, "EN10MB"],
  [DLT_RAW, "RAW"],
  [DLT_RAW_OPENBSD, "RAW"],
  [LINKTYPE_RAW, "RAW"],
  [LINKTYPE_LOOP, "LOOP"],
  [LINKTYPE_LINUX_SLL, "LINUX_SLL"],
  [LINKTYPE_IPV4, "IPV4"],
  [LINKTYPE_IPV6, "IPV6"],
  [LINKTYPE_LINUX_SLL2, "LINUX_SLL2"],
]);

/** The libpcap name of a link type ("EN10MB", "LINUX_SLL2"...), or "LINKTYPE_<n>" if unknown. */
export function linkTypeName(linkType: number): string {
  return LINK_NAMES.get(linkType) ?? `LINKTYPE_${linkType}`;
}

/** Largest wire length a record holds (int32 max); a larger claim is stored as this. */
export const MAX_WIRE_LEN = 0x7fffffff;

/** A fresh record: -1 for absent numbers, 0 for flags, events, TCP flags and addresses. */
const RECORD_TEMPLATE = new Int32Array(RECORD_WORDS).fill(-1);
for (const w of [W_FLAGS, W_TCP_FLAGS, W_EVENT, W_NOTE_EVENT]) RECORD_TEMPLATE[w] = 0;
RECORD_TEMPLATE.fill(0, W_SRC_ADDR, W_SRC_ADDR + 4);
RECORD_TEMPLATE.fill(0, W_DST_ADDR, W_DST_ADDR + 4);
RECORD_TEMPLATE.fill(0, W_INNER_DST_ADDR, W_INNER_DST_ADDR + 4);

/** Decodes frames of one link type into packet records. Never throws on packet bytes. */
export class PacketDecoder {
  readonly #state = new DecodeState();

  /** `linkType` is the capture's pcap link type; an unsupported one yields "link.unsupported". */
  constructor(readonly linkType: number) {}

  /** True when frames of `linkType` are decoded (beyond the link.unsupported record). */
  static supports(linkType: number): boolean {
    return LINK_NAMES.has(linkType);
  }

  /** Appends the record of `frame` to `out` (the caller makes sure `out` is not full). */
  decode(frame: Frame, out: PacketBatch): void {
    const i = out.count;
    const fields = out.fields;
    const base = i * RECORD_WORDS;
    fields.set(RECORD_TEMPLATE, base);
    // pcap's len is a uint32: a broken file may claim up to 4 GiB, which an int32 word would
    // turn negative (the byte counters and payload lengths with it). No frame is 2 GiB long:
    // clamp there, for the record and for decoding.
    const wireLen = frame.wireLen > MAX_WIRE_LEN ? MAX_WIRE_LEN : frame.wireLen;
    fields[base + W_WIRE_LEN] = wireLen;
    fields[base + W_CAP_LEN] = frame.capLen;
    out.timestampsUs[i] = frame.timestampUs;

    const bytes = frame.bytes, start = frame.start, capLen = frame.capLen;
    let capEnd = start + capLen;
    let cut = capLen < wireLen;
    if (capEnd > bytes.length) { // never read past the region, whatever capLen claims
      capEnd = bytes.length;
      cut = true;
    }
    // The frame on the wire; a caplen above the wire length (a broken file) counts as the wire.
    const end = start + (cut ? (wireLen > capLen ? wireLen : capLen) : capLen);
    const s = this.#state;
    s.begin(bytes, capEnd, cut, fields, base);
    switch (this.linkType) {
      case LINKTYPE_EN10MB:
        decodeEthernet(s, start, end);
        break;
      case LINKTYPE_LINUX_SLL:
        decodeSll(s, start, end);
        break;
      case LINKTYPE_LINUX_SLL2:
        decodeSll2(s, start, end);
        break;
      case DLT_RAW:
      case DLT_RAW_OPENBSD:
      case LINKTYPE_RAW:
        decodeRaw(s, start, end);
        break;
      case LINKTYPE_IPV4:
        decodeRawIpv4(s, start, end);
        break;
      case LINKTYPE_IPV6:
        decodeRawIpv6(s, start, end);
        break;
      case LINKTYPE_NULL:
        decodeNull(s, start, end);
        break;
      case LINKTYPE_LOOP:
        decodeLoop(s, start, end);
        break;
      default:
        s.unsupported(E_LINK_UNSUPPORTED);
    }
    fields[base + W_FLAGS] = s.flags;
    out.count = i + 1;
  }
}
