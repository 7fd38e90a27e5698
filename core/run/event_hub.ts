/**
 * @module event_hub
 * The capture service's subscribers: events go to each of them in order (one that throws is
 * logged and dropped, never the others), and summary ticks run only while someone listens and a
 * capture is active, so an idle service or a headless run costs no timer.
 */
import { log } from "../records/diagnostics.ts";
import type { CaptureEvent, CaptureSubscriber } from "./capture_types.ts";

/** Subscribers and the summary ticker. */
export class EventHub {
  readonly #subscribers = new Set<CaptureSubscriber>();
  readonly #tick: () => CaptureEvent;
  readonly #tickMs: number;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #active = false;

  /** `tick` makes the event sent every `tickMs` while active and listened to. */
  constructor(tick: () => CaptureEvent, tickMs: number) {
    this.#tick = tick;
    this.#tickMs = tickMs;
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: CaptureSubscriber): () => void {
    this.#subscribers.add(subscriber);
    this.#updateTicker();
    return () => {
      this.#subscribers.delete(subscriber);
      this.#updateTicker();
    };
  }

  /** Whether a capture is active (ticks run only then). */
  setActive(active: boolean): void {
    this.#active = active;
    this.#updateTicker();
  }

  /** Sends `event` to every subscriber. */
  broadcast(event: CaptureEvent): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.#subscribers.delete(subscriber);
        log.warn("Dropped an event subscriber that failed: {error}", { error });
      }
    }
  }

  /** Stops the ticker for good (program exit). */
  close(): void {
    this.#active = false;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  #updateTicker(): void {
    const wanted = this.#subscribers.size > 0 && this.#active;
    if (wanted && this.#ticker === undefined) {
      this.#ticker = setInterval(() => this.broadcast(this.#tick()), this.#tickMs);
    } else if (!wanted && this.#ticker !== undefined) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }
}
