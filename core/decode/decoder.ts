/**
 * @module decoder
 * CONTRACT STUB (owned by the decoder helper; replace the body, keep the exported shape).
 */
import { PacketBatch } from "../packet_batch.ts";

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

/** Decodes frames of one link type into packet records. Never throws on packet bytes. */
export class PacketDecoder {
  constructor(readonly linkType: number) {}

  /** Appends the record of `frame` to `out` (the caller makes sure `out` is not full). */
  decode(frame: Frame, out: PacketBatch): void {
    out.timestampsUs[out.count] = frame.timestampUs;
    out.count++;
  }
}
