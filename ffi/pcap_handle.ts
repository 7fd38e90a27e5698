/**
 * @module pcap_handle
 * `PcapHandle`: one libpcap handle (a live device or a capture file), with a read path that makes
 * no allocation and no BigInt per packet.
 *
 * The read path (see TOOLCHAIN "What makes the FFI capture path fast"): one `pcap_next_ex` per
 * packet; its two out-parameters are pointers made once over a reused array; the returned addresses
 * are read as two 32-bit words; the packet header is read through a `Uint32Array` over libpcap's
 * own `pcap_pkthdr`; the packet bytes are a window (`Uint8Array`) over libpcap's memory that is
 * rebuilt only when a packet falls outside it. Making such a view reads nothing; only the bytes
 * `[start, start + capLen)` of a frame may be read, and only until the next call to `next()`.
 *
 * x86_64/arm64 layout: pcap_pkthdr = {i64 tv_sec @0, i64 tv_usec @8, u32 caplen @16, u32 len @20}.
 */
import type { Frame } from "../core/decode/decoder.ts";
import { CaptureError, oneLine, quoteFilter } from "./errors.ts";
import {
  cString,
  errorBuffer,
  errorText,
  lastPcapError,
  libpcap,
  linkTypeName,
  PCAP_NETMASK_UNKNOWN,
} from "./libpcap.ts";
import { activationError, activationWarning, fileHead, offlineOpenError } from "./open_errors.ts";

/** `next()` returned a packet in the frame. */
export const READ_PACKET = 1;
/** `next()` found no packet (non-blocking handle with nothing queued, or the live timeout). */
export const READ_NONE = 0;
/** `next()` failed: `readError()` says why. */
export const READ_ERROR = -1;
/** `next()` reached the end of the file, or `breakLoop()` was called. */
export const READ_EOF = -2;

/** Kernel counters of a live capture (pcap_stats). */
export interface PcapStats {
  /** Packets that passed the filter (on `lo`, each packet counts twice). */
  received: number;
  /** Packets dropped because the buffer was full. */
  dropped: number;
  /** Packets dropped by the interface or its driver (not supported everywhere: then 0). */
  ifDropped: number;
}

/** How to open a live handle. */
export interface LiveOptions {
  /** Device name, e.g. "eth0" (see `listDevices()`). */
  device: string;
  /** Bytes kept per packet (no default here: see core/run/capture_options.ts). */
  snaplen: number;
  /** Promiscuous mode. */
  promiscuous: boolean;
  /** Kernel buffer in bytes. */
  bufferSize: number;
  /** Deliver packets as they arrive rather than when a block fills. Default true. */
  immediate?: boolean;
  /** Read timeout in ms (does not fire on an idle Linux TPACKET_V3 socket). Default 100. */
  timeoutMs?: number;
}

const TWO_POW_32 = 4294967296;
/** Span of a window over libpcap's packet memory; only its first capLen bytes are ever read. */
const WINDOW_BYTES = 1 << 22;
const EMPTY = new Uint8Array(0);

/** One open libpcap handle. Not thread-safe: use it from the thread that opened it. */
export class PcapHandle {
  #p: Deno.PointerObject | null;
  #lib = libpcap();
  /** Out-parameters of pcap_next_ex: [header address, data address] as u64, read as 4 x u32. */
  #outs = new BigUint64Array(2);
  #outWords = new Uint32Array(this.#outs.buffer);
  #headerOut: Deno.PointerObject = Deno.UnsafePointer.of(this.#outs)!;
  #dataOut: Deno.PointerObject = Deno.UnsafePointer.offset(this.#headerOut, 8)!;
  /** The pcap_pkthdr libpcap returned last (its address rarely changes: &p->pcap_header). */
  #header = new Uint32Array(0);
  #headerLo = 0;
  #headerHi = 0;
  /** Window over libpcap's packet memory, starting at address #windowBase. */
  #window: Uint8Array = EMPTY;
  #windowBase = -1;
  #statBuffer = new Uint32Array(4);

  /** Device name or file path. */
  readonly source: string;
  /** True for a device, false for a file. */
  readonly live: boolean;
  /** Warnings from pcap_activate (e.g. promiscuous mode not supported), one line each. */
  readonly warnings: readonly string[];

  private constructor(p: Deno.PointerObject, source: string, live: boolean, warnings: string[]) {
    this.#p = p;
    this.source = source;
    this.live = live;
    this.warnings = warnings;
  }

  /** Opens and activates a device. Throws `CaptureError`; a failed open frees its handle. */
  static openLive(options: LiveOptions): PcapHandle {
    const {
      device,
      snaplen,
      promiscuous,
      bufferSize,
      immediate = true,
      timeoutMs = 100,
    } = options;
    const lib = libpcap();
    const errbuf = errorBuffer();
    const p = lib.pcap_create(cString(device), errbuf);
    if (p === null) {
      throw new CaptureError(
        "capture_failed",
        `Cannot capture on "${device}": ${oneLine(errorText(errbuf))}`,
      );
    }
    try {
      lib.pcap_set_snaplen(p, snaplen);
      lib.pcap_set_promisc(p, promiscuous ? 1 : 0);
      lib.pcap_set_buffer_size(p, bufferSize);
      lib.pcap_set_immediate_mode(p, immediate ? 1 : 0);
      lib.pcap_set_timeout(p, timeoutMs);
      const status = lib.pcap_activate(p);
      if (status < 0) throw activationError(p, device, status);
      const warnings = status > 0 ? [activationWarning(p, device, status)] : [];
      return new PcapHandle(p, device, true, warnings);
    } catch (e) {
      lib.pcap_close(p);
      throw e;
    }
  }

  /** Opens a pcap or pcapng file. Throws `CaptureError`. */
  static openOffline(path: string): PcapHandle {
    const errbuf = errorBuffer();
    const p = libpcap().pcap_open_offline(cString(path), errbuf);
    if (p === null) throw offlineOpenError(path, oneLine(errorText(errbuf)), fileHead(path));
    return new PcapHandle(p, path, false, []);
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.#p !== null;
  }

  /** DLT_* link type (1 = Ethernet). */
  get linkType(): number {
    return this.#lib.pcap_datalink(this.#handle());
  }

  /** libpcap's name of the link type, e.g. "EN10MB". */
  get linkTypeName(): string {
    return linkTypeName(this.linkType);
  }

  /** Bytes kept per packet. */
  get snaplen(): number {
    return this.#lib.pcap_snapshot(this.#handle());
  }

  /**
   * Compiles and installs a BPF filter; "" matches everything. Always install one on a live
   * handle: without a filter the kernel does not apply the snaplen.
   */
  setFilter(expression: string): void {
    const p = this.#handle();
    const program = new Uint8Array(16); // struct bpf_program {u_int bf_len; struct bpf_insn *bf_insns}
    if (this.#lib.pcap_compile(p, program, cString(expression), 1, PCAP_NETMASK_UNKNOWN) < 0) {
      throw new CaptureError(
        "bad_filter",
        `Bad filter ${quoteFilter(expression)}: ${oneLine(lastPcapError(p))} ` +
          `(fix the expression: tcpdump syntax, see "man pcap-filter")`,
      );
    }
    const status = this.#lib.pcap_setfilter(p, program);
    this.#lib.pcap_freecode(program);
    if (status < 0) {
      throw new CaptureError(
        "bad_filter",
        `Cannot install filter ${quoteFilter(expression)} on "${this.source}": ${
          oneLine(lastPcapError(p))
        }`,
      );
    }
  }

  /** Non-blocking reads: `next()` returns READ_NONE at once when nothing is queued. */
  setNonblocking(on: boolean): void {
    const errbuf = errorBuffer();
    if (this.#lib.pcap_setnonblock(this.#handle(), on ? 1 : 0, errbuf) < 0) {
      throw new CaptureError(
        "capture_failed",
        `Cannot make "${this.source}" non-blocking: ${oneLine(errorText(errbuf))}`,
      );
    }
  }

  /**
   * Reads one packet into `frame` (bytes, start, capLen, wireLen, timestampUs) and returns
   * READ_PACKET, READ_NONE, READ_EOF or READ_ERROR. The frame's bytes are libpcap's own memory:
   * valid until the next call, and only `[start, start + capLen)` may be read.
   */
  next(frame: Frame): number {
    const p = this.#p;
    if (p === null) return READ_EOF;
    const status = this.#lib.pcap_next_ex(p, this.#headerOut, this.#dataOut);
    if (status !== 1) return status;
    const w = this.#outWords;
    if (w[0] !== this.#headerLo || w[1] !== this.#headerHi) this.#mapHeader();
    const h = this.#header;
    const capLen = h[4]!;
    const dataAddress = w[2]! + w[3]! * TWO_POW_32;
    let start = dataAddress - this.#windowBase;
    if (start < 0 || start + capLen > this.#window.length) {
      this.#mapWindow(dataAddress, capLen);
      start = 0;
    }
    frame.bytes = this.#window;
    frame.start = start;
    frame.capLen = capLen;
    frame.wireLen = h[5]!;
    // tv_sec is an i64 (high word signed), tv_usec < 1e6 (libpcap scales ns files to µs).
    frame.timestampUs = (h[0]! + (h[1]! | 0) * TWO_POW_32) * 1e6 + h[2]!;
    return READ_PACKET;
  }

  /** libpcap's text for the last READ_ERROR. */
  lastError(): string {
    return this.#p === null ? "handle closed" : oneLine(lastPcapError(this.#p));
  }

  /**
   * The `CaptureError` for the last READ_ERROR: `truncated_file` for a file cut short (after
   * `packetsRead` packets), `device_gone` for a device that went down or away, else
   * `capture_failed`.
   */
  readError(packetsRead: number): CaptureError {
    const text = this.lastError();
    if (!this.live) {
      if (/truncated/i.test(text)) {
        return new CaptureError(
          "truncated_file",
          `"${this.source}" is truncated: ${packetsRead} packets read before the break ` +
            `(libpcap: ${text})`,
        );
      }
      return new CaptureError(
        "unreadable_file",
        `"${this.source}" is corrupt after ${packetsRead} packets (libpcap: ${text}); ` +
          "the packets before were analysed: repair the file or capture it again",
      );
    }
    if (
      /went down|disappeared|no such device|network is down|ENETDOWN|ENODEV|ENXIO|hangup/i.test(
        text,
      )
    ) {
      return new CaptureError(
        "device_gone",
        `Capture on "${this.source}" ended: the device went down or away (libpcap: ${text})`,
      );
    }
    return new CaptureError("capture_failed", `Capture on "${this.source}" failed: ${text}`);
  }

  /** Kernel counters (live handles only; files throw `CaptureError`). */
  stats(): PcapStats {
    const p = this.#handle();
    const s = this.#statBuffer;
    if (this.#lib.pcap_stats(p, s) < 0) {
      throw new CaptureError(
        "capture_failed",
        `Cannot read statistics of "${this.source}": ${oneLine(lastPcapError(p))}`,
      );
    }
    return { received: s[0]!, dropped: s[1]!, ifDropped: s[2]! };
  }

  /** Makes a blocking `next()` on another thread return READ_EOF (pcap_breakloop). */
  breakLoop(): void {
    if (this.#p !== null) this.#lib.pcap_breakloop(this.#p);
  }

  /**
   * Closes the handle; a no-op the second time. Reads are synchronous and on this thread, so a
   * read is never in flight here; frames read before are invalid afterwards.
   */
  close(): void {
    const p = this.#p;
    if (p === null) return;
    this.#p = null;
    this.#window = EMPTY;
    this.#windowBase = -1;
    this.#header = new Uint32Array(0);
    this.#headerLo = this.#headerHi = 0;
    this.#lib.pcap_close(p);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #handle(): Deno.PointerObject {
    if (this.#p === null) {
      throw new CaptureError("capture_failed", `The capture of "${this.source}" is closed`);
    }
    return this.#p;
  }

  #mapHeader(): void {
    const w = this.#outWords;
    this.#headerLo = w[0]!;
    this.#headerHi = w[1]!;
    const pointer = Deno.UnsafePointer.create(this.#outs[0]!)!;
    this.#header = new Uint32Array(Deno.UnsafePointerView.getArrayBuffer(pointer, 24));
  }

  #mapWindow(address: number, capLen: number): void {
    this.#windowBase = address;
    const length = capLen > WINDOW_BYTES ? capLen : WINDOW_BYTES;
    const pointer = Deno.UnsafePointer.create(this.#outs[1]!);
    this.#window = pointer === null
      ? EMPTY
      : new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, length));
  }
}
