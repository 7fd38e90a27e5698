/**
 * @module engine
 * Packet records in, summary and records out. The engine owns the packet clock: everything
 * periodic (stats records, detector windows) runs on packet time, so a file gives the same
 * output as the same traffic seen live.
 */
import type { Config } from "../config/config.ts";
import { runSettings } from "../config/run_settings.ts";
import { DirectionClassifier } from "../packet/direction.ts";
import { type PacketBatch, RECORD_WORDS, W_FLAGS, W_WIRE_LEN } from "../packet/packet_batch.ts";
import { applySegment } from "../summary/apply_rows.ts";
import { BatchSummaryCollector } from "../summary/batch_summary.ts";
import { SEG_BYTES, SEG_END, SEG_NEXT, SEG_PACKETS } from "../summary/batch_rows.ts";
import type { RecordWriter } from "../records/record_writer.ts";
import {
  buildStatsRecord,
  type EveRecord,
  type KernelCounters,
  type OutputCounts,
  type StatsRecord,
} from "../records/eve_records.ts";
import { type RecordOrigin, withOrigin } from "../records/pivot_fields.ts";
import { TrafficSummary } from "../summary/summary.ts";
import { watchAlertHosts } from "../summary/watch_alert_hosts.ts";
import { Detection } from "../detect/detection.ts";

/** Where the packets come from, as written into records. */
export interface SourceInfo {
  name: string;
  live: boolean;
  link_type: string;
}

/**
 * Something that wants every record the engine writes (the UI's live stream, the alert store,
 * outputs, tests): the record and its line, exactly as written to the records file (no newline).
 */
export type RecordListener = (record: EveRecord, line: string) => void;

/** What the engine needs. */
export interface EngineOptions {
  config: Config;
  source: SourceInfo;
  /** Null in tests that only look at the state. */
  writer: RecordWriter | null;
  /** The host's own addresses (live captures), for the incoming/outgoing split. */
  hostAddresses?: readonly string[];
  listeners?: RecordListener[];
  /** The outputs' counts for each stats record (core/outputs/); none when no output is on. */
  outputCounts?: () => Record<string, OutputCounts>;
  /**
   * Adds to each record, before it is written, what only the run knows (core/pcap/: an alert's
   * `detection.pcap`, the stats record's `summary.pcap`).
   */
  decorate?: (record: EveRecord) => void;
}

/** Runs the summary (and later the detectors) over packet records on packet time. */
export class Engine {
  readonly summary: TrafficSummary;
  readonly detection: Detection;
  readonly source: SourceInfo;
  readonly #direction: DirectionClassifier;
  /** Counts batches that arrive without summary rows. */
  readonly #collector = new BatchSummaryCollector();
  readonly #writer: RecordWriter | null;
  readonly #listeners: RecordListener[];
  /** `host`, and `in_iface` or `capture_file`, for every record. */
  readonly #origin: RecordOrigin;
  readonly #outputCounts: (() => Record<string, OutputCounts>) | undefined;
  readonly #decorate: ((record: EveRecord) => void) | undefined;
  readonly #intervalUs: number;
  #clockUs = -1;
  /** The time alerts were ended at (endAlerts), -1 before. */
  #endUs = -1;
  /** The packet-time second the detectors last ticked at. */
  #tickSecond = -1;
  #startUs = -1;
  #nextStatsUs = -1;
  #intervalStartUs = -1;
  #intervalPackets = 0;
  #intervalBytes = 0;
  #kernel: KernelCounters | null = null;
  #recordsWritten = 0;

  constructor(options: EngineOptions) {
    const { config } = options;
    const settings = runSettings(config);
    this.source = options.source;
    this.summary = new TrafficSummary({
      maxHosts: settings.summary.max_hosts,
      exactDistinctCap: settings.summary.exact_distinct_cap,
      seriesSeconds: settings.summary.series_seconds,
      topN: settings.summary.top_n,
    });
    this.#direction = new DirectionClassifier({
      homeNetworks: settings.home_networks,
      hostAddresses: options.hostAddresses ?? [],
    });
    this.#writer = options.writer;
    this.#listeners = options.listeners ?? [];
    this.#origin = recordOrigin(config, options.source);
    this.#outputCounts = options.outputCounts;
    this.#decorate = options.decorate;
    this.#intervalUs = settings.stats.interval_s * 1e6;
    this.detection = new Detection(config, (record) => {
      watchAlertHosts(this.summary.watched, record, this.#clockUs);
      return this.#publish(record);
    });
    this.summary.watchUpTo(settings.summary.watched_hosts);
  }

  /** Packet time now: the latest packet's timestamp (or a live clock tick), in µs. */
  get clockUs(): number {
    return this.#clockUs;
  }

  /** Records written (or offered to listeners) so far. */
  get recordsWritten(): number {
    return this.#recordsWritten;
  }

  /** The latest kernel counters of a live capture. */
  get kernelCounters(): KernelCounters | null {
    return this.#kernel;
  }

  /**
   * Processes every packet record in `batch`: the summary from the batch's rows (counted in the
   * capture worker, or here when the batch has none), one segment at a time, and detection per
   * packet. A segment never spans a stats boundary, so a stats record written when its first
   * packet moves the clock counts exactly the packets before it.
   */
  ingest(batch: PacketBatch): void {
    const rows = batch.summaryRows ?? this.#collector.collect(batch);
    const { fields, timestampsUs } = batch;
    const summary = this.summary, classifier = this.#direction, detection = this.detection;
    const watched = summary.watched;
    let start = 0;
    for (let at = 0; at < rows.length; at = rows[at + SEG_NEXT]!) {
      const end = rows[at + SEG_END]!;
      if (timestampsUs[start]! > this.#clockUs) this.#advance(timestampsUs[start]!);
      applySegment(summary, rows, at);
      this.#intervalPackets += rows[at + SEG_PACKETS]!;
      this.#intervalBytes += rows[at + SEG_BYTES]!;
      for (let i = start, base = start * RECORD_WORDS; i < end; i++, base += RECORD_WORDS) {
        const ts = timestampsUs[i]!;
        if (ts > this.#clockUs) this.#advance(ts);
        const direction = classifier.classify(fields, base, fields[base + W_FLAGS]!);
        summary.countDirection(direction, fields[base + W_WIRE_LEN]!);
        if (watched.size !== 0) watched.count(fields, base);
        detection.observe(fields, base, ts, direction);
      }
      start = end;
    }
  }

  /** Moves packet time forward without a packet (live captures while idle). */
  tick(nowUs: number): void {
    if (this.#clockUs >= 0 && nowUs > this.#clockUs) this.#advance(nowUs);
  }

  /** Stores the capture's kernel counters for the next stats record and capture_drops. */
  updateKernelCounters(counters: KernelCounters): void {
    this.#kernel = counters;
    if (this.#clockUs >= 0) this.detection.kernelCounters(counters, this.#clockUs);
  }

  /**
   * Ends open alerts (their end records), once: Session calls it ahead of finish() to flush the
   * outputs in between, so that the final stats record counts what they sent.
   */
  endAlerts(): void {
    if (this.#endUs >= 0) return;
    this.#endUs = this.#clockUs >= 0 ? this.#clockUs : Date.now() * 1000;
    this.detection.finish(this.#endUs);
  }

  /** Ends open alerts and writes the final stats record (end of file, Stop, or a signal). */
  finish(): StatsRecord {
    this.endAlerts();
    return this.#emitStats(this.#endUs, true);
  }

  #advance(ts: number): void {
    if (this.#clockUs < 0) {
      this.#startUs = this.#intervalStartUs = ts;
      this.#nextStatsUs = ts + this.#intervalUs;
    }
    this.#clockUs = ts;
    const second = Math.floor(ts / 1e6);
    if (second !== this.#tickSecond) {
      this.#tickSecond = second;
      this.detection.tick(ts);
    }
    if (ts < this.#nextStatsUs) return;
    this.#emitStats(this.#nextStatsUs, false);
    const behind = Math.floor((ts - this.#nextStatsUs) / this.#intervalUs);
    this.#nextStatsUs += (behind + 1) * this.#intervalUs;
  }

  #emitStats(atUs: number, final: boolean): StatsRecord {
    const start = this.#intervalStartUs >= 0 ? this.#intervalStartUs : atUs;
    const intervalS = Math.max(1, Math.round((atUs - start) / 1e6));
    const record = buildStatsRecord(this.summary, {
      timestampUs: atUs,
      uptimeS: this.#startUs >= 0 ? (atUs - this.#startUs) / 1e6 : 0,
      interval: {
        startUs: start,
        endUs: atUs,
        packets: this.#intervalPackets,
        bytes: this.#intervalBytes,
      },
      kernel: this.#kernel,
      source: this.source,
      final,
      series: this.summary.series.points(intervalS, Math.floor(atUs / 1e6)),
      alerts: this.detection.alertCounts(),
      trackers: this.detection.trackers(),
      // Records lost so far to failed writes (disk full, log directory gone).
      recordsLost: this.#writer === null ? null : this.#writer.failures,
      outputs: this.#outputCounts?.() ?? null,
    });
    this.#intervalStartUs = atUs;
    this.#intervalPackets = 0;
    this.#intervalBytes = 0;
    return this.#publish(record) as StatsRecord;
  }

  #publish(unstamped: EveRecord): EveRecord {
    this.#decorate?.(unstamped);
    const record = withOrigin(unstamped, this.#origin);
    const line = JSON.stringify(record);
    this.#writer?.writeLine(line);
    this.#recordsWritten++;
    for (const listener of this.#listeners) listener(record, line);
    return record;
  }
}

/**
 * The origin every record carries: `sensor.name` or the machine's hostname as `host`; the
 * device of a live capture as `in_iface`, the file read as `capture_file`.
 */
export function recordOrigin(config: Config, source: SourceInfo): RecordOrigin {
  const name = config.get("sensor.name");
  const host = typeof name === "string" && name !== "" ? name : Deno.hostname();
  return source.live ? { host, in_iface: source.name } : { host, capture_file: source.name };
}
