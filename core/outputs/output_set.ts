/**
 * @module output_set
 * The enabled outputs of one session behind one RecordListener: each record's line (exactly as
 * written to network_activity.jsonl) goes into the queue of every output that takes its type,
 * and the counts of all of them go into each stats record. Nothing connects until a record is
 * offered; `close()` flushes them all within outputs.flush_s.
 */
import type { Config } from "../config/config.ts";
import type { RecordListener } from "../run/engine.ts";
import type { EveRecord, OutputCounts } from "../records/eve_records.ts";
import { log } from "../records/diagnostics.ts";
import { OutputQueue } from "./output_queue.ts";
import { type OutputSettings, outputSettings } from "./output_settings.ts";
import { syslogDelivery, syslogMessage } from "./syslog_output.ts";
import type { DatagramSenderFactory } from "./datagram_sender.ts";
import { RedisDelivery } from "./redis_output.ts";
import { WebhookDelivery } from "./webhook_output.ts";
import { ExecDelivery } from "./exec_output.ts";

/** The output names, as they appear in stats records and /metrics. */
export type OutputName = "syslog" | "redis" | "webhook" | "exec";

/** What the outputs need from outside core/ (FFI), injected by whoever builds them. */
export interface OutputConnectors {
  /** Senders for unix:// syslog addresses (main.ts: ffi/unix_datagram.ts); none: refused. */
  unixDatagrams?: DatagramSenderFactory;
}

/** The names of the outputs `config` enables, in the order their series are shown. */
export function enabledOutputs(config: Config): OutputName[] {
  const settings = outputSettings(config);
  return (["syslog", "redis", "webhook", "exec"] as const).filter((name) =>
    settings[name] !== null
  );
}

interface Output {
  queue: OutputQueue;
  /** The queued form of a record's line, or null when this output does not take the record. */
  accept(record: EveRecord, line: string): string | null;
}

/** The enabled outputs of one capture. */
export class OutputSet {
  readonly #outputs = new Map<OutputName, Output>();
  readonly #flushMs: number;
  /** When the end-of-capture flush began (drain() or close()): flush_s counts from there. */
  #flushStarted: number | null = null;

  /** The outputs `config` enables, or null when none is. */
  static fromConfig(config: Config, connectors: OutputConnectors = {}): OutputSet | null {
    const settings = outputSettings(config);
    const set = new OutputSet(settings, connectors);
    return set.#outputs.size === 0 ? null : set;
  }

  private constructor(settings: OutputSettings, connectors: OutputConnectors) {
    this.#flushMs = settings.flushMs;
    const queue = (
      label: string,
      delivery: ConstructorParameters<typeof OutputQueue>[0],
      extra = {},
    ) =>
      new OutputQueue(delivery, {
        label,
        capacity: settings.queueSize,
        retryMaxMs: settings.retryMaxMs,
        ...extra,
      });
    const { syslog, redis, webhook, exec } = settings;
    if (syslog !== null) {
      const header = { facility: syslog.facility, hostname: syslog.hostname, pid: Deno.pid };
      this.#outputs.set("syslog", {
        queue: queue(syslog.label, syslogDelivery(syslog.address, connectors.unixDatagrams)),
        accept: (record, line) => syslogMessage(line, { ...header, eventType: record.event_type }),
      });
    }
    if (redis !== null) {
      this.#outputs.set("redis", {
        queue: queue(redis.label, new RedisDelivery(redis.address, redis.target)),
        accept: (_record, line) => line,
      });
    }
    if (webhook !== null) {
      const delivery = new WebhookDelivery({ ...webhook, timeoutMs: webhook.timeoutMs });
      this.#outputs.set("webhook", {
        queue: queue(`webhook ${webhook.url}`, delivery, { maxAttempts: webhook.retries + 1 }),
        accept: (record, line) => webhook.types.includes(record.event_type) ? line : null,
      });
    }
    if (exec !== null) {
      this.#outputs.set("exec", {
        queue: queue(`exec ${exec.command[0]}`, new ExecDelivery(exec), {
          maxAttempts: 1,
          concurrency: exec.maxRunning,
        }),
        accept: (record, line) => takesForExec(exec.types, record) ? line : null,
      });
    }
  }

  /** The listener to pass in SessionOptions.listeners / EngineOptions.listeners. */
  readonly listener: RecordListener = (record, line) => {
    for (const output of this.#outputs.values()) {
      const queued = output.accept(record, line);
      if (queued !== null) output.queue.offer(queued);
    }
  };

  /** Counts by output name. */
  counts(): Record<string, OutputCounts> {
    const out: Record<string, OutputCounts> = {};
    for (const [name, output] of this.#outputs) out[name] = output.queue.counts();
    return out;
  }

  /**
   * Waits, within outputs.flush_s, for every output to send what it holds, so that the final
   * stats record, written next, counts them; close() then has what is left of flush_s.
   */
  async drain(): Promise<void> {
    this.#flushStarted ??= Date.now();
    const ms = this.#flushMs - (Date.now() - this.#flushStarted);
    await Promise.all([...this.#outputs.values()].map((o) => o.queue.drain(ms)));
  }

  /**
   * Flushes every output within outputs.flush_s (counted from drain(), when it was called),
   * then gives up on the rest (counted dropped).
   */
  async close(): Promise<Record<string, OutputCounts>> {
    this.#flushStarted ??= Date.now();
    const ms = Math.max(0, this.#flushMs - (Date.now() - this.#flushStarted));
    await Promise.all([...this.#outputs.values()].map((o) => o.queue.close(ms)));
    const counts = this.counts();
    const summary = Object.entries(counts).map(([name, c]) =>
      `${name} sent ${c.sent}, dropped ${c.dropped}, failed ${c.failed}`
    ).join("; ");
    log.info("Outputs: {summary}", { summary });
    return counts;
  }
}

/** The exec hook runs for alert starts and ends (not updates) and, if asked, stats records. */
function takesForExec(types: readonly string[], record: EveRecord): boolean {
  if (!types.includes(record.event_type)) return false;
  return record.event_type !== "alert" || record.detection.state !== "update";
}
