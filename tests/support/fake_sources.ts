/**
 * @module fake_sources
 * Packet sources for tests that drive a Session or the capture service without libpcap: one
 * that holds (live-looking, no packets) until stopped, one whose packets the test feeds, one
 * batch at a time, with the packet time it chooses, and one that ends at once with a given end.
 */
import { PacketDecoder } from "../../core/decode/decoder.ts";
import { PacketBatch } from "../../core/packet/packet_batch.ts";
import type { CaptureEnd, PacketSource } from "../../core/run/session.ts";
import { EN10MB } from "./frames.ts";

/** What a source hands its batches to. */
type Sink = Parameters<PacketSource["run"]>[0];

/** A source with no packets that runs until `stop()`; live unless told otherwise. */
export class HeldSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live: boolean;
  stopped = false;
  readonly #stopped = Promise.withResolvers<void>();

  constructor(readonly source: string, options: { live?: boolean } = {}) {
    this.live = options.live ?? true;
  }

  async run(): Promise<CaptureEnd> {
    await this.#stopped.promise;
    return { kind: "stopped" };
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.#stopped.resolve();
    return Promise.resolve();
  }
}

/**
 * A source whose Ethernet frames the test hands over with `feed()`. Not live, so no wall-clock
 * tick moves packet time: stats records come exactly where the test's timestamps put them.
 */
export class FedSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live = false;
  readonly #decoder = new PacketDecoder(EN10MB);
  readonly #stopped = Promise.withResolvers<void>();
  readonly #running = Promise.withResolvers<Sink>();

  constructor(readonly source = "fed0") {}

  run(sink: Sink): Promise<CaptureEnd> {
    this.#running.resolve(sink);
    return this.#stopped.promise.then(() => ({ kind: "stopped" }));
  }

  stop(): Promise<void> {
    this.#stopped.resolve();
    return Promise.resolve();
  }

  /** Hands `frames` over as one batch, each at its packet time (µs), once the source runs. */
  async feed(frames: readonly { tsUs: number; frame: Uint8Array }[]): Promise<void> {
    const sink = await this.#running.promise;
    const batch = new PacketBatch(frames.length);
    for (const { tsUs, frame } of frames) {
      this.#decoder.decode(
        { bytes: frame, start: 0, capLen: frame.length, wireLen: frame.length, timestampUs: tsUs },
        batch,
      );
    }
    sink.onBatch(batch);
  }
}

/** A source that ends as soon as it runs, with `end` (an error, a truncated file...). */
export class EndingSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live = false;

  constructor(readonly source: string, readonly end: CaptureEnd) {}

  run(): Promise<CaptureEnd> {
    return Promise.resolve(this.end);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
