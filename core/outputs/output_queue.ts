/**
 * @module output_queue
 * One output's bounded queue and its senders. `offer()` never waits: the capture hands a line
 * over and goes on, and a full queue drops the line (counted). Senders take lines in order and
 * retry a failed send with a doubling wait (reconnecting), so a server that is down or slow
 * costs records only beyond the queue's size, never capture time. `close()` gives the queue a
 * bounded time to drain, then counts what is left as dropped.
 */
import { log } from "../records/diagnostics.ts";
import type { OutputCounts } from "../records/eve_records.ts";

/** A send that failed; `retry` false means this record will never go (too large, refused). */
export class SendError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
    this.name = "SendError";
  }
}

/** How one output delivers a line; each output file implements it. */
export interface Delivery {
  /** Sends one line; throws (SendError, or any error: retried) when it did not go. */
  send(line: string): Promise<void>;
  /** Drops the connection after a failure, so that the next send reconnects. */
  reset(): void;
  /** Ends everything: in-flight sends settle soon after (failed). */
  close(): void;
}

/** How a queue behaves. */
export interface QueueOptions {
  /** Output name, for messages (e.g. "syslog udp://127.0.0.1:514"). */
  label: string;
  capacity: number;
  /** Sends at once (1 keeps the order). */
  concurrency?: number;
  /** Attempts per record before it counts as failed (Infinity: until it goes or the end). */
  maxAttempts?: number;
  /** Longest wait between attempts, ms. */
  retryMaxMs: number;
}

/** First wait after a failed attempt; it doubles up to retryMaxMs. */
const FIRST_RETRY_MS = 100;
/** State changes (failing, resumed) logged per output, so a flapping server cannot flood the log. */
const MAX_LOGGED_CHANGES = 10;

/** A bounded queue in front of one Delivery. */
export class OutputQueue {
  readonly #delivery: Delivery;
  readonly #options: Required<QueueOptions>;
  #items: string[] = [];
  #head = 0;
  #inFlight = 0;
  #senders = 0;
  #sent = 0;
  #dropped = 0;
  #failed = 0;
  #closing = false;
  #abandoned = false;
  #failing = false;
  #loggedChanges = 0;
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  #onIdle: (() => void) | null = null;

  constructor(delivery: Delivery, options: QueueOptions) {
    this.#delivery = delivery;
    this.#options = { concurrency: 1, maxAttempts: Infinity, ...options };
  }

  /** Queues `line`, or counts it dropped when the queue is full or closing. Never waits. */
  offer(line: string): void {
    if (this.#closing || this.#items.length - this.#head >= this.#options.capacity) {
      this.#dropped++;
      return;
    }
    this.#items.push(line);
    if (this.#senders < this.#options.concurrency) {
      this.#senders++;
      void this.#sendAll();
    }
  }

  /** What this output did so far; `queued` includes the lines being sent. */
  counts(): OutputCounts {
    return {
      sent: this.#sent,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#items.length - this.#head + this.#inFlight,
    };
  }

  /**
   * Takes no more lines and waits up to `flushMs` for the queued ones to go; what is still
   * queued or in flight then is counted as dropped. Resolves with the final counts.
   */
  async close(flushMs: number): Promise<OutputCounts> {
    this.#closing = true;
    await this.drain(flushMs);
    if (this.#senders > 0) this.#abandon();
    this.#delivery.close();
    return this.counts();
  }

  /**
   * Waits up to `ms` for every queued line to be sent (or failed), taking lines meanwhile as
   * usual; resolves at once when nothing is queued.
   */
  async drain(ms: number): Promise<void> {
    if (this.#senders === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#onIdle = resolve;
      timer = setTimeout(resolve, Math.max(0, ms));
    });
    clearTimeout(timer);
    this.#onIdle = null;
  }

  #abandon(): void {
    this.#abandoned = true;
    this.#dropped += this.#items.length - this.#head + this.#inFlight;
    this.#items = [];
    this.#head = this.#inFlight = 0;
    for (const [timer, wake] of this.#timers) {
      clearTimeout(timer);
      wake();
    }
    this.#timers.clear();
  }

  async #sendAll(): Promise<void> {
    while (!this.#abandoned && this.#head < this.#items.length) {
      const line = this.#items[this.#head]!;
      this.#items[this.#head++] = "";
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#inFlight++;
      const outcome = await this.#deliver(line);
      if (this.#abandoned) break; // counted as dropped by #abandon
      this.#inFlight--;
      if (outcome === "sent") this.#sent++;
      else this.#failed++;
    }
    this.#senders--;
    if (this.#senders === 0) this.#onIdle?.();
  }

  async #deliver(line: string): Promise<"sent" | "failed"> {
    for (let attempt = 1;; attempt++) {
      try {
        await this.#delivery.send(line);
        this.#changeState(false, "");
        return "sent";
      } catch (error) {
        if (this.#abandoned) return "failed";
        const reason = error instanceof Error ? error.message : String(error);
        const retry = !(error instanceof SendError) || error.retry;
        if (!retry || attempt >= this.#options.maxAttempts) {
          this.#changeState(true, reason);
          return "failed";
        }
        this.#changeState(true, reason);
        this.#delivery.reset();
        await this.#wait(Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), this.#options.retryMaxMs));
        if (this.#abandoned) return "failed";
      }
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  /** Logs the first failure after a success (or at all) and the first success after failures. */
  #changeState(failing: boolean, reason: string): void {
    if (failing === this.#failing || this.#loggedChanges >= MAX_LOGGED_CHANGES) {
      this.#failing = failing;
      return;
    }
    this.#failing = failing;
    this.#loggedChanges++;
    const label = this.#options.label;
    if (failing) {
      log.warn(
        "Cannot send records to {label}: {reason}; capture goes on, records wait in its " +
          "queue (outputs.queue_size) and beyond it are counted as dropped",
        { label, reason },
      );
    } else log.info("Sending records to {label} resumed", { label });
  }
}
