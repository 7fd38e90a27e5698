/**
 * @module webhook_output
 * Records to an HTTP endpoint: one POST per record, the record's line as the JSON body. No
 * answer, 5xx, 408 and 429 are retried (the queue waits between attempts); any other 4xx is
 * the receiver refusing this record and fails it at once.
 */
import { type Delivery, SendError } from "./output_queue.ts";

/** Where and how records are posted. */
export interface WebhookTarget {
  url: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** Answers worth another attempt. */
const RETRIED = new Set([408, 429]);

/** Posts each line to one URL. */
export class WebhookDelivery implements Delivery {
  readonly #target: WebhookTarget;
  /** Aborts every request in flight at close. */
  #closing = new AbortController();

  constructor(target: WebhookTarget) {
    this.#target = target;
  }

  async send(line: string): Promise<void> {
    const signal = AbortSignal.any([
      this.#closing.signal,
      AbortSignal.timeout(this.#target.timeoutMs),
    ]);
    const response = await fetch(this.#target.url, {
      method: "POST",
      headers: { ...this.#target.headers, "content-type": "application/json" },
      body: line,
      signal,
    });
    await response.body?.cancel();
    if (response.ok) return;
    const retry = response.status >= 500 || RETRIED.has(response.status);
    throw new SendError(`${this.#target.url} answered ${response.status}`, retry);
  }

  reset(): void {}

  close(): void {
    this.#closing.abort();
  }
}
