/**
 * @module capture_worker
 * The capture loop, off the main thread. Opens a `PcapHandle`, decodes every packet in place on
 * libpcap's buffer into a `PacketBatch`, and posts whole batches (their two buffers transferred).
 *
 * - Files: read as fast as possible, with at most a few batches not yet acked.
 * - Devices: non-blocking reads, drained until empty, then a short sleep, during which `stop` and
 *   acks arrive (a live `pcap_next_ex` would otherwise block for ever on an idle link). Kernel
 *   counters are posted every second and at the end.
 * - The final `end` message is posted after the handle is closed; only then may the main thread
 *   terminate this worker.
 */
import { type Frame, PacketDecoder } from "../core/decode/decoder.ts";
import { BatchSummaryCollector } from "../core/summary/batch_summary.ts";
import { PacketBatch } from "../core/packet/packet_batch.ts";
import type { BatchBuffers, FromWorker, ToWorker, WorkerOpenOptions } from "./capture_protocol.ts";
import { defaultDevice } from "./devices.ts";
import { FrameCopier } from "./frame_copy.ts";
import { CaptureError } from "./errors.ts";
import { setThreadNice } from "./priority.ts";
import { PcapHandle, READ_EOF, READ_NONE, READ_PACKET } from "./pcap_handle.ts";

/**
 * Batches posted and not yet acked before the reader waits: a few for files (the reader only
 * needs to stay ahead), more for devices, so a main-thread pause of some tens of ms at ~1 M
 * packets/s is absorbed here rather than turned into kernel drops.
 */
const MAX_IN_FLIGHT_FILE = 8;
const MAX_IN_FLIGHT_LIVE = 32;
let maxInFlight = MAX_IN_FLIGHT_FILE;
/** Sleep between drains of a live handle. */
const POLL_MS = 15;
/** Interval of live statistics. */
const STATS_MS = 1000;

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let handle: PcapHandle | null = null;
/** The summary's share of each batch, counted here to spare the main thread. */
const summary = new BatchSummaryCollector();
let stopRequested = false;
let inFlight = 0;
let batchSize = 4096;
/** Set by `keepFrames`: each packet's bytes travel with its batch (alert pcaps). */
let frameCopier: FrameCopier | null = null;
const pool: BatchBuffers[] = [];
let wake: (() => void) | null = null;
let startResolve: (() => void) | null = null;
const started = new Promise<void>((resolve) => startResolve = resolve);

function post(message: FromWorker, transfer?: Transferable[]): void {
  scope.postMessage(message, transfer);
}

function signal(): void {
  const w = wake;
  wake = null;
  w?.();
}

scope.onmessage = (event) => {
  const msg = event.data;
  switch (msg.type) {
    case "open":
      open(msg.options);
      break;
    case "start":
      startResolve?.();
      break;
    case "ack":
      inFlight--;
      if (msg.buffers) pool.push(msg.buffers);
      signal();
      break;
    case "stop":
      stopRequested = true;
      startResolve?.();
      signal();
      break;
  }
};

function open(options: WorkerOpenOptions): void {
  batchSize = options.batchSize;
  if (options.keepFrames) frameCopier = new FrameCopier();
  try {
    if (options.read !== undefined) {
      handle = PcapHandle.openOffline(options.read);
    } else {
      const device = options.device ?? defaultDevice()?.name;
      if (device === undefined) {
        throw new CaptureError(
          "no_such_device",
          "No capture device found: none is up with an address " +
            "(name one with --interface, see --list-interfaces)",
        );
      }
      handle = PcapHandle.openLive({
        device,
        snaplen: options.snaplen,
        promiscuous: options.promiscuous,
        bufferSize: options.bufferSize,
        immediate: true,
      });
    }
    // Always a filter on live handles, even "": else the kernel does not apply the snaplen.
    if (handle.live || options.filter !== "") handle.setFilter(options.filter);
    const warnings = [...handle.warnings];
    if (handle.live) {
      handle.setNonblocking(true);
      maxInFlight = MAX_IN_FLIGHT_LIVE;
      const refused = setThreadNice(options.nice);
      if (refused !== null) warnings.push(refused);
    }
    post({
      type: "opened",
      linkType: handle.linkType,
      linkTypeName: handle.linkTypeName,
      snaplen: handle.snaplen,
      source: handle.source,
      live: handle.live,
      warnings,
    });
  } catch (e) {
    handle?.close();
    handle = null;
    const error = e instanceof CaptureError
      ? e.toJSON()
      : { code: "capture_failed" as const, message: `Cannot open the capture: ${errorLine(e)}` };
    post({ type: "open_failed", error });
    return;
  }
  void run(handle);
}

async function run(h: PcapHandle): Promise<void> {
  await started;
  if (stopRequested) {
    h.close();
    post({ type: "end", kind: "stopped", packets: 0 });
    return;
  }
  const decoder = new PacketDecoder(h.linkType);
  const state = { packets: 0 };
  let end: FromWorker & { type: "end" } = { type: "end", kind: "stopped", packets: 0 };
  try {
    end = h.live ? await readLive(h, decoder, state) : await readOffline(h, decoder, state);
  } catch (e) {
    end = {
      type: "end",
      kind: "error",
      code: "capture_failed",
      message: `Capture of "${h.source}" failed after ${state.packets} packets: ${errorLine(e)}`,
      packets: state.packets,
    };
  } finally {
    if (h.live && h.open) {
      try {
        post({ type: "stats", ...h.stats() });
      } catch { /* the device is gone: no final counters */ }
    }
    h.close();
  }
  end.packets = state.packets;
  post(end);
}

/** Summary rows room for a batch that has none from the pool. */
const SUMMARY_ROWS = 16384;
/** Room for the summary rows of the batch being filled. */
let summaryRoom: Float64Array = new Float64Array(SUMMARY_ROWS);

function takeBatch(): PacketBatch {
  const buffers = pool.pop();
  summaryRoom = buffers?.summaryRows ?? new Float64Array(SUMMARY_ROWS);
  const batch = new PacketBatch(batchSize, buffers);
  if (frameCopier !== null) {
    const frames = buffers?.frames && buffers.frameStarts
      ? { frames: buffers.frames, frameStarts: buffers.frameStarts }
      : FrameCopier.buffers(batchSize);
    batch.frames = frames.frames;
    batch.frameStarts = frames.frameStarts;
  }
  return batch;
}

/** Reads `frame` into `batch`: its bytes when kept, then its record. Returns true when full. */
function addPacket(frame: Frame, decoder: PacketDecoder, batch: PacketBatch): boolean {
  if (frameCopier === null) {
    decoder.decode(frame, batch);
    return batch.count >= batch.capacity;
  }
  frameCopier.keep(frame, batch);
  decoder.decode(frame, batch);
  return batch.count >= batch.capacity || !FrameCopier.hasRoom(batch);
}

/** Counts the summary's rows of a non-empty batch and posts both (the buffers move). */
function postBatch(batch: PacketBatch): void {
  const { timestampsUs, fields } = batch;
  const rows = summary.collect(batch, summaryRoom);
  const summaryRows = new Float64Array(rows.buffer, 0, rows.buffer.byteLength / 8);
  const transfer = [
    timestampsUs.buffer as ArrayBuffer,
    fields.buffer as ArrayBuffer,
    summaryRows.buffer as ArrayBuffer,
  ];
  const { frames, frameStarts } = batch;
  if (frames !== null && frameStarts !== null) {
    transfer.push(frames.buffer as ArrayBuffer, frameStarts.buffer as ArrayBuffer);
  }
  post({
    type: "batch",
    count: batch.count,
    timestampsUs,
    fields,
    summaryRows,
    summaryLength: rows.length,
    framesLength: batch.framesLength,
    ...(frames !== null && frameStarts !== null ? { frames, frameStarts } : {}),
  }, transfer);
  inFlight++;
}

/** Waits until fewer than maxInFlight batches are unacked, or stop. */
async function flowControl(): Promise<void> {
  while (inFlight >= maxInFlight && !stopRequested) {
    await new Promise<void>((resolve) => wake = resolve);
  }
}

function newFrame(): Frame {
  return { bytes: new Uint8Array(0), start: 0, capLen: 0, wireLen: 0, timestampUs: 0 };
}

async function readOffline(
  h: PcapHandle,
  decoder: PacketDecoder,
  state: { packets: number },
): Promise<FromWorker & { type: "end" }> {
  const frame = newFrame();
  let batch = takeBatch();
  let packets = 0;
  try {
    for (;;) {
      const status = h.next(frame);
      if (status === READ_PACKET) {
        packets++;
        if (addPacket(frame, decoder, batch)) {
          postBatch(batch);
          state.packets = packets;
          await flowControl();
          if (stopRequested) return { type: "end", kind: "stopped", packets };
          batch = takeBatch();
        }
        continue;
      }
      if (batch.count > 0) postBatch(batch);
      state.packets = packets;
      if (status === READ_EOF || status === READ_NONE) {
        return { type: "end", kind: stopRequested ? "stopped" : "eof", packets };
      }
      return readErrorEnd(h, packets);
    }
  } finally {
    state.packets = packets;
  }
}

async function readLive(
  h: PcapHandle,
  decoder: PacketDecoder,
  state: { packets: number },
): Promise<FromWorker & { type: "end" }> {
  const frame = newFrame();
  let batch = takeBatch();
  let lastStats = performance.now();
  while (!stopRequested) {
    for (;;) {
      const status = h.next(frame);
      if (status === READ_PACKET) {
        state.packets++;
        if (addPacket(frame, decoder, batch)) {
          postBatch(batch);
          await flowControl();
          batch = takeBatch();
          if (stopRequested) break;
        }
        continue;
      }
      if (status === READ_NONE) break;
      if (batch.count > 0) postBatch(batch);
      if (status === READ_EOF) return { type: "end", kind: "stopped", packets: state.packets };
      return readErrorEnd(h, state.packets);
    }
    if (batch.count > 0) {
      postBatch(batch);
      batch = takeBatch();
    }
    const now = performance.now();
    if (now - lastStats >= STATS_MS) {
      lastStats = now;
      const gone = deviceGone(h.source);
      if (gone) return { type: "end", ...gone.toJSON(), kind: "error", packets: state.packets };
      post({ type: "stats", ...h.stats() });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (batch.count > 0) postBatch(batch);
  return { type: "end", kind: "stopped", packets: state.packets };
}

/** The end of a capture whose last read failed after `packets` packets. */
function readErrorEnd(h: PcapHandle, packets: number): FromWorker & { type: "end" } {
  const error = h.readError(packets); // a truncated file only ever comes from an offline handle
  return {
    type: "end",
    kind: error.code === "truncated_file" ? "truncated" : "error",
    code: error.code,
    message: error.message,
    packets,
  };
}

/**
 * Linux: a packet socket bound to a deleted device may just go quiet rather than fail, so the
 * device's existence is checked once per stats interval.
 */
function deviceGone(device: string): CaptureError | null {
  if (Deno.build.os !== "linux" || device === "any" || device.includes("/")) return null;
  try {
    Deno.statSync(`/sys/class/net/${device}`);
    return null;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return null;
    return new CaptureError(
      "device_gone",
      `Capture on "${device}" ended: the device was removed (see --list-interfaces)`,
    );
  }
}

function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}
