/**
 * @module pcap_output
 * One classic pcap file being written (little-endian, µs, v2.4; libpcap's own format, read by
 * tcpdump, Wireshark and every IDS): a header, then a 16-byte record header and the frame per
 * packet, gathered in a buffer made once per file and written when it fills or is flushed.
 */
import { openRegularFile } from "../records/safe_file.ts";
import type { PacketRing } from "./packet_ring.ts";

const HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const BUFFER_BYTES = 256 * 1024;

/** A pcap file open for writing. */
export class PcapOutput {
  #buffer: Uint8Array = new Uint8Array(BUFFER_BYTES);
  #view = new DataView(this.#buffer.buffer);
  #used = 0;
  /** Bytes of the file, written or waiting in the buffer. */
  size = 0;
  packets = 0;

  private constructor(readonly file: Deno.FsFile) {}

  /** Creates (or empties) `path`, never through a symbolic link, and writes the header. */
  static create(path: string, link: { linkType: number; snaplen: number }): PcapOutput {
    const file = openRegularFile(path);
    try {
      file.truncateSync(0);
    } catch (error) {
      file.close();
      throw error;
    }
    const output = new PcapOutput(file);
    const v = output.#view;
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, link.snaplen, true);
    v.setUint32(20, link.linkType, true);
    output.#used = output.size = HEADER_BYTES;
    return output;
  }

  /** Appends ring packet `seq` (flushing first when the buffer is full). */
  append(ring: PacketRing, seq: number): void {
    const length = ring.lengthOf(seq), need = RECORD_HEADER_BYTES + length;
    if (this.#used + need > this.#buffer.length) {
      this.flush();
      if (need > this.#buffer.length) {
        this.#buffer = new Uint8Array(need);
        this.#view = new DataView(this.#buffer.buffer);
      }
    }
    const ts = ring.timeOf(seq), seconds = Math.floor(ts / 1e6), v = this.#view, at = this.#used;
    v.setUint32(at, seconds, true);
    v.setUint32(at + 4, Math.round(ts - seconds * 1e6), true);
    v.setUint32(at + 8, length, true);
    v.setUint32(at + 12, Math.max(length, ring.wireLengthOf(seq)), true);
    ring.copyFrame(seq, this.#buffer, at + RECORD_HEADER_BYTES);
    this.#used += need;
    this.size += need;
    this.packets++;
  }

  /** Writes what the buffer holds. Throws on a failed write (disk full, folder gone). */
  flush(): void {
    let at = 0;
    while (at < this.#used) at += this.file.writeSync(this.#buffer.subarray(at, this.#used));
    this.#used = 0;
  }

  close(): void {
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}
