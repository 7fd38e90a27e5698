/**
 * @module session
 * One capture run: capture -> engine -> records, from open to the final stats record. Used by
 * the headless CLI and by the UI's Start/Stop alike. The capture is injected, so core/ never
 * loads libpcap and tests can drive a session with any packet source.
 */
import type { Config } from "../config/config.ts";
import { runSettings } from "../config/run_settings.ts";
import { Engine, type RecordListener } from "./engine.ts";
import type { PacketBatch } from "../packet/packet_batch.ts";
import { RecordWriter, type WriterChange } from "../records/record_writer.ts";
import type { WriterMode } from "../records/log_directory.ts";
import { log } from "../records/diagnostics.ts";
import type { KernelCounters, OutputCounts } from "../records/eve_records.ts";
import { type OutputConnectors, OutputSet } from "../outputs/output_set.ts";
import { AlertStoreWriter } from "../store/alert_store_writer.ts";
import { RunPcaps } from "../pcap/run_pcaps.ts";

/** How a capture ended. */
export type CaptureEnd =
  | { kind: "eof" | "stopped" }
  | { kind: "truncated" | "error"; message: string; code: string };

/** What a session needs from a packet source (ffi/capture.ts's Capture fits). */
export interface PacketSource {
  readonly linkTypeName: string;
  readonly source: string;
  readonly live: boolean;
  /** DLT_* link type and snaplen: a source with them keeps frames for alert pcaps (core/pcap/). */
  readonly linkType?: number;
  readonly snaplen?: number;
  run(sink: {
    onBatch(batch: PacketBatch): void;
    onStats?(counters: KernelCounters): void;
  }): Promise<CaptureEnd>;
  stop(): Promise<void>;
}

/** What a finished session reports. */
export interface SessionResult {
  end: CaptureEnd;
  packets: number;
  records: number;
  recordsPath: string | null;
  /** Records that could not be written (disk full, directory gone...): lost. */
  writeFailures: number;
  /** Why writes last failed, or null if none did. */
  writeError: string | null;
  /** What each enabled output sent, dropped and failed, once flushed; null when none is on. */
  outputs: Record<string, OutputCounts> | null;
}

/** Options of a session. */
export interface SessionOptions {
  config: Config;
  source: PacketSource;
  /** Null keeps records in memory only (tests). */
  logDirectory: string | null;
  /** Who holds the log directory's lock, as a second writer is told (default "headless"). */
  mode?: WriterMode;
  hostAddresses?: readonly string[];
  listeners?: RecordListener[];
  /** What the outputs need from outside core/ (main.ts: a Unix datagram sender for syslog). */
  outputConnectors?: OutputConnectors;
  /**
   * Told when writing records starts failing (the message says why and that capture goes on)
   * and when it resumes (how many records were lost); each is also logged once as a warning.
   */
  onWriteProblem?: (message: string, change: WriterChange) => void;
  /**
   * Told when a detector's alerts start being dropped (its share of the open alerts is full),
   * once per detector; also logged once as a warning.
   */
  onAlertWarning?: (message: string) => void;
}

/** A running capture with its engine and records file. */
export class Session {
  readonly engine: Engine;
  readonly source: PacketSource;
  readonly writer: RecordWriter | null;
  /** The alert history beside the records (null without a log directory or when it failed). */
  readonly store: AlertStoreWriter | null;
  /** The outputs beside the records file (syslog, Redis, webhook, exec); null when none is on. */
  readonly outputs: OutputSet | null;
  readonly done: Promise<SessionResult>;
  /** The packets behind alerts (null when off or without a log directory). */
  readonly pcaps: RunPcaps | null;
  /** When the session was created: its capture's start, for the duration the log reports. */
  readonly startedAt = new Date();
  #ticker: ReturnType<typeof setInterval> | undefined;
  #ingestErrors = 0;
  #writeError: string | null = null;

  /** Starts reading at once; `done` settles after the final stats record is written. */
  constructor(options: SessionOptions) {
    const { config, source } = options;
    this.source = source;
    // First: a bad output setting throws before anything is opened; outputs connect lazily.
    this.outputs = OutputSet.fromConfig(config, options.outputConnectors);
    this.writer = options.logDirectory === null ? null : RecordWriter.open(options.logDirectory, {
      maxBytes: runSettings(config).log.max_bytes,
      maxFiles: runSettings(config).log.max_files,
      mode: options.mode ?? "headless",
    });
    if (this.writer !== null) {
      const writer = this.writer;
      writer.onChange = (change) => {
        const message = change.kind === "failing"
          ? `Cannot write records to ${writer.path}: ${change.reason}; capture goes on, and ` +
            "records are counted as lost until writing resumes (free space or fix the directory)"
          : `Writing records to ${writer.path} resumed: ${change.lost} record${
            change.lost === 1 ? " was" : "s were"
          } lost while it failed (${change.reason})`;
        this.#writeError = change.reason;
        log.warn("{message}", { message });
        options.onWriteProblem?.(message, change);
      };
    }
    // Opened after the records file, whose lock makes this run the history's one writer.
    this.store = options.logDirectory === null
      ? null
      : AlertStoreWriter.open(options.logDirectory, config);
    const listeners = [...(options.listeners ?? [])];
    if (this.store !== null) listeners.push(this.store.listener);
    const outputs = this.outputs;
    if (outputs !== null) listeners.push(outputs.listener);
    this.pcaps = RunPcaps.open(config, options.logDirectory, source);
    this.engine = new Engine({
      config,
      writer: this.writer,
      source: { name: source.source, live: source.live, link_type: source.linkTypeName },
      hostAddresses: options.hostAddresses ?? [],
      listeners,
      ...(outputs === null ? {} : { outputCounts: () => outputs.counts() }),
      ...(this.pcaps === null ? {} : { decorate: this.pcaps.decorate }),
    });
    this.engine.detection.alerts.onFirstDrop = (message) => {
      log.warn("{message}", { message });
      options.onAlertWarning?.(message);
    };
    if (source.live) {
      this.#ticker = setInterval(() => this.engine.tick(Date.now() * 1000), 1000);
    }
    this.done = this.#run();
  }

  /** Ends the capture; resolves with the result once the final records are written. */
  async stop(): Promise<SessionResult> {
    await this.source.stop();
    return await this.done;
  }

  /** Batches the engine failed on (a bug); their remaining packets were not analysed. */
  get ingestErrors(): number {
    return this.#ingestErrors;
  }

  // The one safety net around analysis: a bug must cost a batch, never the capture.
  #ingest(batch: PacketBatch): void {
    this.pcaps?.add(batch); // first: an alert starting in this batch finds its packets
    try {
      this.engine.ingest(batch);
    } catch (error) {
      if (this.#ingestErrors++ === 0) log.error("Engine failed on a batch: {error}", { error });
    }
  }

  async #run(): Promise<SessionResult> {
    let end: CaptureEnd;
    try {
      end = await this.source.run({
        onBatch: (batch) => this.#ingest(batch),
        onStats: (counters) => this.engine.updateKernelCounters(counters),
      });
    } catch (error) {
      end = { kind: "error", code: "capture_failed", message: String(error) };
    } finally {
      clearInterval(this.#ticker);
    }
    this.engine.endAlerts();
    // Within outputs.flush_s: the final stats record then counts what the outputs sent.
    await this.outputs?.drain();
    this.engine.finish();
    this.pcaps?.finish();
    this.store?.close();
    this.writer?.close();
    // What is left of outputs.flush_s: a server that is down delays the end, never blocks it.
    const outputs = (await this.outputs?.close()) ?? null;
    return {
      end,
      packets: this.engine.summary.packets,
      records: this.writer?.written ?? this.engine.recordsWritten,
      recordsPath: this.writer?.path ?? null,
      writeFailures: this.writer?.failures ?? 0,
      writeError: this.#writeError,
      outputs,
    };
  }
}
