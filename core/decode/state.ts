/**
 * @module state
 * The per-decoder scratch state the protocol decoders share: the frame's bytes and bounds, the
 * record being filled, and the flags gathered so far. One instance lives in each PacketDecoder and
 * is reset per packet, so decoding allocates nothing.
 *
 * Bounds. Every protocol decoder takes `(s, off, end)`: its header starts at `off`, and `end` is
 * the end its enclosing layer declares (the wire frame, or the IP length): it may lie past
 * `s.capEnd` when the snaplen cut the frame. Bytes are read only below `s.capEnd`, which never
 * exceeds the frame's `start + capLen`. Hot-path functions take positional parameters: no options
 * object per packet.
 */
import {
  F_FRAGMENT,
  F_INVALID,
  F_LATER_FRAGMENT,
  F_TRUNCATED,
  F_UNSUPPORTED,
  W_EVENT,
  W_FRAG_OFFSET,
  W_NOTE_EVENT,
} from "../packet/packet_batch.ts";

/** The largest IP datagram: a fragment reaching past it is invalid (the "ping of death"). */
const IP_MAX_LEN = 65535;

const NO_BYTES = new Uint8Array(0);
const NO_WORDS = new Int32Array(0);

/** Scratch state of one decoder; see the module doc. */
export class DecodeState {
  /** The region holding the frame. */
  bytes: Uint8Array = NO_BYTES;
  /** End (exclusive) of the captured bytes of the frame inside `bytes`. */
  capEnd = 0;
  /** True when the capture holds fewer bytes than the wire frame (snaplen cut). */
  cut = false;
  /** The batch words, and the index of the record being filled. */
  fields: Int32Array = NO_WORDS;
  base = 0;
  /** `F_*` flags gathered so far; written to the record at the end. */
  flags = 0;
  // Results of the IPv6 extension header walk (see ipv6_ext.ts).
  /** Upper-layer protocol after the chain. */
  nextHeader = 0;
  /** Fragment offset in bytes, or -1 without a fragment header. */
  fragOffset = -1;
  /** More-fragments bit of the fragment header. */
  fragMore = 0;
  /** Identification of the fragment header. */
  fragId = 0;
  /** Offset in `bytes` of the link header's 6-byte source address (for ARP), or -1 if none. */
  linkSrc = -1;

  /** Starts a packet: bytes of the frame are `bytes[.., capEnd)`, the record at `base`. */
  begin(bytes: Uint8Array, capEnd: number, cut: boolean, fields: Int32Array, base: number): void {
    this.bytes = bytes;
    this.capEnd = capEnd;
    this.cut = cut;
    this.fields = fields;
    this.base = base;
    this.flags = 0;
    this.linkSrc = -1;
  }

  /** Writes `value` to word `word` of the record. */
  put(word: number, value: number): void {
    this.fields[this.base + word] = value;
  }

  /** Copies the 16-byte IPv6 address at `off` into words `word..word+3`. */
  putAddr6(word: number, off: number): void {
    const b = this.bytes, f = this.fields, w = this.base + word;
    for (let i = 0; i < 4; i++, off += 4) {
      f[w + i] = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
    }
  }

  /**
   * True, with the event recorded, when bytes up to `need` are not all there. Past `end` (what
   * the enclosing layer declares) the packet is malformed: `small`, F_INVALID. Within `end` but
   * past the capture, the snaplen cut it: `trunc`, F_TRUNCATED (F_INVALID if the frame was whole).
   */
  lacks(need: number, end: number, trunc: number, small: number): boolean {
    if (need <= end) {
      if (need <= this.capEnd) return false;
      if (this.cut) this.truncated(trunc);
      else this.invalid(trunc);
      return true;
    }
    this.invalid(small);
    return true;
  }

  /**
   * Records an IPv4 or IPv6 fragment at `fragOffset` carrying `dataLen` bytes. True when
   * decoding stops here: reassembled it would pass the largest datagram (`tooLarge`, invalid),
   * or it is a later fragment, with no transport header to read.
   */
  fragment(fragOffset: number, dataLen: number, tooLarge: number): boolean {
    this.flags |= F_FRAGMENT;
    this.put(W_FRAG_OFFSET, fragOffset);
    if (fragOffset + dataLen > IP_MAX_LEN) {
      this.invalid(tooLarge);
      return true;
    }
    if (fragOffset === 0) return false;
    this.flags |= F_LATER_FRAGMENT;
    return true;
  }

  /** Records a malformed packet. */
  invalid(event: number): void {
    this.fields[this.base + W_EVENT] = event;
    this.flags |= F_INVALID;
  }

  /** Records a packet the snaplen cut inside a header. */
  truncated(event: number): void {
    this.fields[this.base + W_EVENT] = event;
    this.flags |= F_TRUNCATED;
  }

  /** Records a layer we do not decode. */
  unsupported(event: number): void {
    this.fields[this.base + W_EVENT] = event;
    this.flags |= F_UNSUPPORTED;
  }

  /** Records a legal-but-odd note; the first one of a packet wins. */
  note(event: number): void {
    const i = this.base + W_NOTE_EVENT;
    if (this.fields[i] === 0) this.fields[i] = event;
  }
}
