/**
 * @module capture
 * The main-thread face of a capture: `Capture.open()` starts a worker that opens the device or
 * file (so every open error arrives before any packet), `run()` delivers decoded `PacketBatch`es
 * and kernel counters, `stop()` ends it. The main thread never calls libpcap here and never
 * blocks on a read.
 *
 * Batches are reused by default: a batch and its arrays are valid only until `onBatch` returns
 * (their buffers then go back to the worker, and a kept reference sees empty arrays). Copy what
 * you keep, or pass `reuseBatches: false`. A sink may keep `batch.frames` by leaving another
 * buffer of the same length in its place: that one goes back to the worker (core/pcap/).
 */
import { PacketBatch } from "../core/packet/packet_batch.ts";
import type { FromWorker, ToWorker, WorkerOpenOptions } from "./capture_protocol.ts";
import { abandonOpen } from "./abandoned_open.ts";
import { libpcap } from "./libpcap.ts";
import { setProcessNice } from "./priority.ts";
import { CaptureError, type CaptureErrorCode } from "./errors.ts";
import { DEFAULT_CAPTURE_SETTINGS } from "../core/run/capture_options.ts";

export interface CaptureOptions {
  /** A pcap or pcapng file to read (instead of a device). */
  read?: string;
  /** Device to capture on; default: the first up, non-loopback device with an address. */
  device?: string;
  /** BPF filter (tcpdump syntax); "" = everything. */
  filter?: string;
  /** Bytes kept per packet (live). Default: capture.snaplen's default. */
  snaplen?: number;
  /** Promiscuous mode (live). Default: capture.promiscuous's default. */
  promiscuous?: boolean;
  /** Kernel buffer in bytes (live). Default: capture.buffer_mib's default. */
  bufferSize?: number;
  /**
   * Nice value of the capture threads (worker and caller) for a live capture. Default:
   * capture.nice's default (all four from core/run/capture_options.ts, the one place).
   */
  nice?: number;
  /** Packets per batch. Default 4096. */
  batchSize?: number;
  /**
   * Copy each packet's frame bytes into its batch (`PacketBatch.frames`), for the packets behind
   * an alert (core/pcap/). Default false.
   */
  keepFrames?: boolean;
  /** Hand batch buffers back to the worker after `onBatch` returns. Default true. */
  reuseBatches?: boolean;
  /**
   * Abandons the open: `open()` rejects at once with the signal's reason, even while libpcap is
   * still compiling a slow filter; the worker closes its handle when the compile ends.
   */
  signal?: AbortSignal;
}

/** Kernel counters of a live capture (pcap_stats). */
export interface CaptureStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

/** How a capture ended; `packets` is how many were read (and delivered) before. */
export type CaptureEnd =
  | { kind: "eof" | "stopped"; packets: number }
  | {
    kind: "truncated" | "error";
    message: string;
    code: CaptureErrorCode;
    packets: number;
  };

/** Receives what a running capture produces, in order, on the main thread. */
export interface CaptureSink {
  /** A batch of decoded packets; valid only until this returns when batches are reused. */
  onBatch(batch: PacketBatch): void;
  /** Kernel counters, every second and at the end (live captures only). */
  onStats?(stats: CaptureStats): void;
}

type EndMessage = FromWorker & { type: "end" };

/**
 * Milliseconds the main thread may spend on batches without the event loop turning. Deno hands
 * a worker's queued messages over one after the other without a turn of the loop in between, so
 * a worker that keeps batches coming (a live capture at full speed, a big file) would starve
 * timers and HTTP (the UI) for as long as it lasts. Past this slice, acks wait for a timer: the
 * worker runs out of buffers, its queue drains, and the loop turns.
 */
const SLICE_MS = 50;

/** A capture opened in its own worker. */
export class Capture {
  /** DLT_* link type (1 = Ethernet). */
  readonly linkType: number;
  /** libpcap's name of the link type, e.g. "EN10MB". */
  readonly linkTypeName: string;
  /** The device name or the file path. */
  readonly source: string;
  /** True for a device. */
  readonly live: boolean;
  /** Bytes kept per packet. */
  readonly snaplen: number;
  /** Warnings from activating the device, one line each. */
  readonly warnings: readonly string[];

  #worker: Worker;
  #batchSize: number;
  #reuse: boolean;
  #sink: CaptureSink | null = null;
  #sinkError: { error: unknown } | null = null;
  #ran = false;
  #stopSent = false;
  #ended = false;
  #end: Promise<CaptureEnd>;
  /** When the event loop last turned (a deferred-ack timer ran), for SLICE_MS. */
  #sliceStart = performance.now();
  /** Acks held until the loop turns, or null while acks go out at once. */
  #heldAcks: { message: ToWorker; transfer: Transferable[] }[] | null = null;
  #settle!: { resolve: (end: CaptureEnd) => void; reject: (e: unknown) => void };

  private constructor(
    worker: Worker,
    opened: FromWorker & { type: "opened" },
    batchSize: number,
    reuse: boolean,
  ) {
    this.#worker = worker;
    this.#batchSize = batchSize;
    this.#reuse = reuse;
    this.linkType = opened.linkType;
    this.linkTypeName = opened.linkTypeName;
    this.source = opened.source;
    this.live = opened.live;
    this.snaplen = opened.snaplen;
    this.warnings = opened.warnings;
    this.#end = new Promise((resolve, reject) => this.#settle = { resolve, reject });
    // Rejections surface through run(); a stop() without run() must not leave one unhandled.
    this.#end.catch(() => {});
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#finish({
        type: "end",
        kind: "error",
        code: "capture_failed",
        message: `The capture worker failed: ${e.message}`,
        packets: 0,
      });
    };
  }

  /**
   * Opens a file (`read`) or a device in a new worker. Rejects with `CaptureError` (missing
   * library, no such device, permission, bad filter, unreadable or non-capture file), or with
   * the reason of `signal` once it aborts (see `abandoned_open.ts`).
   */
  static open(options: CaptureOptions): Promise<Capture> {
    const {
      read,
      device,
      filter = "",
      snaplen = DEFAULT_CAPTURE_SETTINGS.snaplen,
      promiscuous = DEFAULT_CAPTURE_SETTINGS.promiscuous,
      bufferSize = DEFAULT_CAPTURE_SETTINGS.bufferSize,
      nice = DEFAULT_CAPTURE_SETTINGS.nice,
      batchSize = 4096,
      reuseBatches = true,
      keepFrames = false,
      signal,
    } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (read !== undefined && device !== undefined) {
      return Promise.reject(
        new CaptureError(
          "capture_failed",
          `Cannot read "${read}" and capture on "${device}" at once (give one of them)`,
        ),
      );
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      return Promise.reject(
        new RangeError(`batchSize must be a positive integer, got ${batchSize}`),
      );
    }
    try {
      // The main thread holds libpcap loaded for the life of the process: a terminated worker
      // then never unloads it (and libsystemd, libgcrypt... with it) while the process exits,
      // a race that crashed an exit with SIGSEGV once in CI.
      libpcap();
    } catch (e) {
      return Promise.reject(e);
    }
    const workerOptions: WorkerOpenOptions = {
      read,
      device,
      filter,
      snaplen,
      promiscuous,
      bufferSize,
      batchSize,
      nice,
      keepFrames,
    };
    const worker = new Worker(new URL("./capture_worker.ts", import.meta.url).href, {
      type: "module",
    });
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        abandonOpen(worker);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.type === "opened" || msg.type === "open_failed") {
          signal?.removeEventListener("abort", onAbort);
        }
        if (msg.type === "opened") {
          // The main thread runs the detectors: it needs the priority as much as the reader.
          // Detection runs here and the runtime's threads share the cores: all get the priority.
          if (msg.live) setProcessNice(nice); // a refusal was already reported by the worker
          resolve(new Capture(worker, msg, batchSize, reuseBatches));
        } else if (msg.type === "open_failed") {
          worker.terminate(); // the worker has already freed its handle
          reject(CaptureError.fromJSON(msg.error));
        }
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        signal?.removeEventListener("abort", onAbort);
        worker.terminate();
        reject(new CaptureError("capture_failed", `The capture worker failed: ${e.message}`));
      };
      worker.postMessage({ type: "open", options: workerOptions } satisfies ToWorker);
    });
  }

  /**
   * Delivers batches and stats to `sink` until the end of the file, `stop()`, or an error.
   * Resolves after the worker closed its handle and was terminated; rejects only when the sink
   * threw (the capture is stopped first). Call it once.
   */
  run(sink: CaptureSink): Promise<CaptureEnd> {
    if (this.#ran) throw new Error("Capture.run() was already called");
    this.#ran = true;
    this.#sink = sink;
    if (!this.#ended) this.#send({ type: "start" });
    return this.#end;
  }

  /** Ends the capture; idempotent, safe before `run()` and after it ended. */
  async stop(): Promise<void> {
    if (!this.#ended && !this.#stopSent) {
      this.#stopSent = true;
      this.#send({ type: "stop" });
    }
    try {
      await this.#end;
    } catch { /* the sink's error belongs to run() */ }
  }

  #send(message: ToWorker, transfer: Transferable[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "batch":
        this.#onBatch(msg);
        break;
      case "stats":
        if (this.#sinkError === null) {
          try {
            this.#sink?.onStats?.({
              received: msg.received,
              dropped: msg.dropped,
              ifDropped: msg.ifDropped,
            });
          } catch (e) {
            this.#failSink(e);
          }
        }
        break;
      case "end":
        this.#finish(msg);
        break;
    }
  }

  #onBatch(msg: FromWorker & { type: "batch" }): void {
    const { timestampsUs, fields, summaryRows, frameStarts } = msg;
    // The frame buffer to hand back: the sink may keep the batch's and leave another of the same
    // length in its place (core/pcap/frame_chunks.ts, the ring of recent packets).
    let frames = msg.frames;
    if (this.#sinkError === null && this.#sink !== null) {
      const batch = new PacketBatch(this.#batchSize, { timestampsUs, fields });
      batch.count = msg.count;
      batch.summaryRows = summaryRows.subarray(0, msg.summaryLength);
      batch.frames = frames ?? null;
      batch.frameStarts = frameStarts ?? null;
      batch.framesLength = msg.framesLength;
      try {
        this.#sink.onBatch(batch);
      } catch (e) {
        this.#failSink(e);
      }
      frames = batch.frames ?? undefined;
    }
    if (this.#ended) return;
    const ack: { message: ToWorker; transfer: Transferable[] } = this.#reuse
      ? {
        message: {
          type: "ack",
          buffers: {
            timestampsUs,
            fields,
            summaryRows,
            ...(frames && frameStarts ? { frames, frameStarts } : {}),
          },
        },
        transfer: [
          timestampsUs.buffer as ArrayBuffer,
          fields.buffer as ArrayBuffer,
          summaryRows.buffer as ArrayBuffer,
          ...(frames && frameStarts
            ? [frames.buffer as ArrayBuffer, frameStarts.buffer as ArrayBuffer]
            : []),
        ],
      }
      : { message: { type: "ack" }, transfer: [] };
    if (this.#heldAcks === null && performance.now() - this.#sliceStart < SLICE_MS) {
      this.#send(ack.message, ack.transfer);
      return;
    }
    if (this.#heldAcks === null) {
      this.#heldAcks = [];
      setTimeout(() => this.#releaseAcks(), 0);
    }
    this.#heldAcks.push(ack);
  }

  /** The loop turned: sends the held acks, and a new slice begins. */
  #releaseAcks(): void {
    const held = this.#heldAcks ?? [];
    this.#heldAcks = null;
    this.#sliceStart = performance.now();
    if (this.#ended) return;
    for (const ack of held) this.#send(ack.message, ack.transfer);
  }

  #failSink(error: unknown): void {
    if (this.#sinkError !== null) return;
    this.#sinkError = { error };
    if (!this.#stopSent) {
      this.#stopSent = true;
      this.#send({ type: "stop" });
    }
  }

  #finish(msg: EndMessage): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#worker.terminate();
    if (this.#sinkError !== null) {
      this.#settle.reject(this.#sinkError.error);
      return;
    }
    const { kind, packets } = msg;
    if (kind === "eof" || kind === "stopped") {
      this.#settle.resolve({ kind, packets });
    } else {
      this.#settle.resolve({
        kind,
        packets,
        code: msg.code ?? "capture_failed",
        message: msg.message ?? "the capture failed",
      });
    }
  }
}
