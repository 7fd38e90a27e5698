/**
 * A filter that takes libpcap seconds to compile never holds up its caller: an aborted
 * `Capture.open()` rejects at once, and the worker closes its handle when the compile ends.
 * Error messages quote a long filter only in part.
 */
import assert from "node:assert/strict";
import { abandonedOpens } from "../../ffi/abandoned_open.ts";
import { Capture } from "../../ffi/capture.ts";
import { CaptureError, FILTER_QUOTE_CHARS, quoteFilter } from "../../ffi/errors.ts";
import { makeTempDir, writePcap } from "../support/pcap_writer.ts";
import { SLOW_FILTER } from "../support/slow_filter.ts";

const T0 = 1_700_000_000_000_000;

async function onePacketFile(dir: string): Promise<string> {
  const path = `${dir}/one.pcap`;
  const frame = new Uint8Array(60);
  frame[12] = 0x08; // IPv4 ethertype, nothing else needed: the test never reads it
  await writePcap(path, { packets: [{ tsUs: T0, bytes: frame }] });
  return path;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}

Deno.test("Capture.open() aborted while libpcap compiles a slow filter rejects at once; the handle is closed after", async () => {
  await using dir = await makeTempDir();
  const read = await onePacketFile(dir.path);
  const aborting = new AbortController();
  const opening = Capture.open({ read, filter: SLOW_FILTER, signal: aborting.signal });
  let opened = false;
  opening.then(() => opened = true, () => {});
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(opened, false, "the filter compiled within 500 ms: make SLOW_FILTER longer");
  const abortedAt = performance.now();
  aborting.abort();
  await assert.rejects(
    opening,
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
  const answerMs = performance.now() - abortedAt;
  assert.ok(answerMs < 100, `the open answered the abort after ${answerMs.toFixed(0)} ms`);
  assert.equal(abandonedOpens(), 1, "the worker is still compiling, left to close its handle");
  const releasedMs = await waitUntil(() => abandonedOpens() === 0, 120_000);
  assert.ok(releasedMs > 200, `the compile ended only ${releasedMs.toFixed(0)} ms after the abort`);
});

Deno.test("Capture.open() with a signal already aborted rejects without starting a worker", async () => {
  const aborted = AbortSignal.abort();
  await assert.rejects(Capture.open({ read: "/nonexistent.pcap", signal: aborted }), {
    name: "AbortError",
  });
  assert.equal(abandonedOpens(), 0);
});

Deno.test("Capture.open() quotes a bad long filter only in part, with its length", async () => {
  await using dir = await makeTempDir();
  const read = await onePacketFile(dir.path);
  const filter = `${SLOW_FILTER} or port x`;
  const error = await Capture.open({ read, filter }).then(
    () => assert.fail("the bad filter was accepted"),
    (e: unknown) => e as CaptureError,
  );
  assert.ok(error instanceof CaptureError);
  assert.equal(error.code, "bad_filter");
  assert.equal(
    error.message,
    `Bad filter "${SLOW_FILTER.slice(0, 80)}..." (${filter.length} characters): ` +
      `unknown port 'x' (fix the expression: tcpdump syntax, see "man pcap-filter")`,
  );
});

Deno.test("quoteFilter() quotes up to 80 characters whole, and cuts a longer filter with its length", () => {
  assert.equal(FILTER_QUOTE_CHARS, 80);
  assert.equal(quoteFilter(""), '""');
  const eighty = "x".repeat(80);
  assert.equal(quoteFilter(eighty), `"${eighty}"`);
  assert.equal(quoteFilter(`${eighty}y`), `"${eighty}..." (81 characters)`);
});
