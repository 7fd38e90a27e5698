/**
 * @module abandoned_open
 * What becomes of a capture worker whose open was abandoned: Stop or shutdown came while libpcap
 * was still compiling the filter. `pcap_compile` is one synchronous C call that nothing can
 * interrupt (`worker.terminate()` waits for it), and a long expression takes its optimiser tens
 * of seconds (560 `port N` terms: 35 s), so the caller stops waiting at once and the worker is
 * left to finish here: once it has opened, it is told to stop, closes its handle (a device's
 * socket is released, never leaked) and is terminated. A process that exits meanwhile does not
 * wait for it (`Deno.exit` ends the compiling thread with the process); libpcap stays loaded by
 * the main thread (see `Capture.open`), so such an exit is prompt and clean.
 */
import type { FromWorker, ToWorker } from "./capture_protocol.ts";

let pending = 0;

/** Takes over `worker`, whose open nobody awaits any more, until it has closed its handle. */
export function abandonOpen(worker: Worker): void {
  pending++;
  let settled = false;
  const release = () => {
    if (settled) return;
    settled = true;
    pending--;
    worker.terminate();
  };
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const msg = e.data;
    if (msg.type === "opened") worker.postMessage({ type: "stop" } satisfies ToWorker);
    else if (msg.type === "open_failed" || msg.type === "end") release();
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    release();
  };
}

/** Abandoned opens whose worker is still compiling a filter (or closing its handle). */
export function abandonedOpens(): number {
  return pending;
}
