/**
 * @module capture_protocol
 * The messages between `Capture` (main thread) and `capture_worker.ts`. Types only.
 *
 * main -> worker: open, then start or stop; an ack per batch (with the buffers when reused).
 * worker -> main: opened | open_failed; then batch* and stats*, then exactly one end, sent after
 * the worker closed its handle (the main thread terminates the worker on end).
 */
import type { CaptureErrorCode } from "./errors.ts";

/** What the worker needs to open a capture. */
export interface WorkerOpenOptions {
  read?: string;
  device?: string;
  filter: string;
  snaplen: number;
  promiscuous: boolean;
  bufferSize: number;
  batchSize: number;
  /** Nice value for the capture threads of a live capture (0: leave alone). */
  nice: number;
  /** Copy each packet's frame bytes into the batch (`frames`), for alert pcaps (core/pcap/). */
  keepFrames?: boolean;
}

/** The arrays of a `PacketBatch` and its summary rows, moved between threads. */
export interface BatchBuffers {
  timestampsUs: Float64Array;
  fields: Int32Array;
  /** Room for summary rows (core/summary/batch_summary.ts); the rows fill its start. */
  summaryRows: Float64Array;
  /** With `keepFrames`: the frames' bytes and where each packet's starts (PacketBatch). */
  frames?: Uint8Array;
  frameStarts?: Int32Array;
}

export type ToWorker =
  | { type: "open"; options: WorkerOpenOptions }
  | { type: "start" }
  | { type: "ack"; buffers?: BatchBuffers }
  | { type: "stop" };

export type FromWorker =
  | {
    type: "opened";
    linkType: number;
    linkTypeName: string;
    snaplen: number;
    source: string;
    live: boolean;
    warnings: string[];
  }
  | { type: "open_failed"; error: { code: CaptureErrorCode; message: string } }
  | ({ type: "batch"; count: number; summaryLength: number; framesLength: number } & BatchBuffers)
  | { type: "stats"; received: number; dropped: number; ifDropped: number }
  | {
    type: "end";
    kind: "eof" | "stopped" | "truncated" | "error";
    message?: string;
    code?: CaptureErrorCode;
    packets: number;
  };
