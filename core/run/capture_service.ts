/**
 * @module capture_service
 * The one capture service both run modes use: at most one Session at a time, started and stopped
 * through one promise chain so that any number of concurrent calls leave one consistent state
 * (idle, starting, capturing, stopping, stopped, error). It owns the source being opened, the
 * ring of recent alert records with their counts, and the events subscribers get (state, alert,
 * summary ticks). It speaks no HTTP: a refused call rejects with a CaptureRefusal carrying a
 * reason code, which the UI's controller (ui/controller.ts) turns into a status code and the
 * headless run (main.ts) into its exit code. It never computes detections: everything it shows
 * comes from the engine (summary snapshot, alert counts, trackers).
 */
import { CaptureRefusal, refuseStart, REQUEST_MISTAKES, startFailure } from "./capture_refusal.ts";
import {
  ACTIVE_STATES,
  type CaptureServiceOptions,
  type CaptureStarted,
  type CaptureState,
  type CaptureStatus,
  type CaptureSubscriber,
  type InterfaceInfo,
  type StartRequest,
  type SummaryView,
} from "./capture_types.ts";
import type { CaptureClient } from "./run_log.ts";
import { EventHub } from "./event_hub.ts";
import { type AlertQuery, RecentAlerts } from "./recent_alerts.ts";
import { type PacketSource, Session, type SessionResult } from "./session.ts";
import { type BookFacts, StatusBook } from "./status_book.ts";
import { summaryView } from "./summary_view.ts";

/** Owns the capture's state machine and at most one Session. */
export class CaptureService {
  readonly #options: CaptureServiceOptions;
  readonly #hub: EventHub;
  #chain: Promise<unknown> = Promise.resolve();
  #state: CaptureState = "idle";
  #session: Session | null = null;
  /** The current (or last) capture's facts for the status. */
  readonly #book: StatusBook;
  /** Recent alert records and the count of alert records across captures. */
  readonly #recent: RecentAlerts;
  #sessionsStarted = 0;
  #durationTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the open of the capture being started; null outside `starting`. */
  #opening: AbortController | null = null;
  #closed = false;

  constructor(options: CaptureServiceOptions) {
    this.#options = options;
    this.#recent = new RecentAlerts(options.maxAlerts ?? 1000);
    this.#book = new StatusBook(options);
    this.#hub = new EventHub(
      () => ({ type: "summary", data: this.summary() }),
      options.tickMs ?? 1000,
    );
  }

  /** The current state. */
  get state(): CaptureState {
    return this.#state;
  }

  /** The session of the current or last capture. */
  get session(): Session | null {
    return this.#session;
  }

  /** Captures started since the program began (each one a Session). */
  get sessionsStarted(): number {
    return this.#sessionsStarted;
  }

  /** Alert records by "detector\u0000state", across captures. */
  get alertRecordCounts(): ReadonlyMap<string, number> {
    return this.#recent.counts;
  }

  /** True once `close()` was called: subscribers end after their queued events. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Where the service is: state, source, filter, times, message, saved records, warnings. */
  status(): CaptureStatus {
    return this.#book.status(this.#state, this.#session);
  }

  /** Capture devices for the picker. */
  interfaces(): InterfaceInfo[] {
    return this.#options.listInterfaces?.() ?? [];
  }

  /** Recent alert records, newest first, filtered. */
  alerts(query: AlertQuery = {}): Record<string, unknown>[] {
    return this.#recent.list(query);
  }

  /** The traffic summary of the current or last capture, from its engine. */
  summary(): SummaryView {
    return summaryView(this.#session, {
      state: this.#state,
      source: this.#book.source,
      fileMode: this.#options.read !== undefined,
      chartSeconds: this.#options.chartSeconds ?? 300,
    });
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: CaptureSubscriber): () => void {
    return this.#hub.subscribe(subscriber);
  }

  /**
   * Starts a capture on `request.interface` (or the default) with `request.filter`, for
   * `client` (an API client; none from the command line); resolves with the status
   * (`capturing`, or `stopped` when stop() abandoned the start). Rejects with a CaptureRefusal
   * saying why it could not start; a bad filter or device (the requester's mistake) leaves the
   * state as it was, any other failure turns it to `error`.
   */
  start(request: StartRequest = {}, client?: CaptureClient): Promise<CaptureStatus> {
    return this.#serialise(() => this.#start(request, client));
  }

  /**
   * Stops the capture and writes its final records; refused (`not_capturing`) when nothing is
   * capturing. While a capture is still starting (libpcap can take tens of seconds to compile a
   * long filter), it abandons the start at once instead of waiting for it.
   */
  stop(): Promise<CaptureStatus> {
    const opening = this.#opening;
    opening?.abort();
    return this.#serialise(() =>
      opening !== null && this.#state !== "capturing"
        ? Promise.resolve(this.status())
        : this.#stop()
    );
  }

  /** Stops any capture and the ticker, and tells subscribers the last state (program exit). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opening?.abort(); // shutdown never waits for a filter to compile
    await this.#serialise(async () => {
      if (this.#state === "capturing") await this.#stop();
    });
    this.#hub.close();
    this.#hub.broadcast({ type: "state", data: this.status() });
  }

  #serialise<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(step);
    this.#chain = result.catch(() => {});
    return result;
  }

  async #start(request: StartRequest, client?: CaptureClient): Promise<CaptureStatus> {
    const { read, defaultFilter } = this.#options;
    const device = refuseStart(request, {
      closed: this.#closed,
      state: this.#state,
      book: this.#book,
      read,
    });
    const filter = request.filter ?? defaultFilter ?? "";
    const before = { state: this.#state, facts: this.#book.snapshot() };
    this.#book.begin(read ?? device!, filter);
    this.#setState("starting");
    const opening = this.#opening = new AbortController();
    const signal = opening.signal;
    let source: PacketSource;
    try {
      source = await this.#options.openSource(
        read !== undefined ? { read, filter, signal } : { device: device!, filter, signal },
      );
    } catch (error) {
      if (signal.aborted) return this.#stoppedWhileStarting();
      throw this.#failStart(error, before);
    } finally {
      this.#opening = null;
    }
    this.#recent.clear();
    let session: Session;
    try {
      session = this.#openSession(source);
    } catch (error) {
      await source.stop().catch(() => {});
      throw this.#failStart(error, before);
    }
    this.#begin(session, client === undefined ? { request, filter } : { request, filter, client });
    return this.status();
  }

  #openSession(source: PacketSource): Session {
    const options = this.#options;
    const session: Session = new Session({
      config: options.config,
      source,
      logDirectory: options.logDirectory,
      mode: options.writerMode ?? "ui",
      hostAddresses: source.live ? options.hostAddresses?.() ?? [] : [],
      listeners: [(record) => this.#onRecord(record), ...options.listeners ?? []],
      outputConnectors: options.outputConnectors,
      onWriteProblem: (message) => this.#warn(session, { writeWarning: message }),
      onAlertWarning: (message) => this.#warn(session, { alertWarning: message }),
    });
    return session;
  }

  /** A warning about `session`'s records, shown while it is the current one. */
  #warn(session: Session, warning: { writeWarning?: string; alertWarning?: string }): void {
    if (this.#session !== session) return;
    Object.assign(this.#book, warning);
    this.#hub.broadcast({ type: "state", data: this.status() });
  }

  /** The session is open: the capture runs until stop(), its end, or --duration. */
  #begin(session: Session, asked: Omit<CaptureStarted, "session">): void {
    this.#session = session;
    this.#sessionsStarted++;
    this.#book.since = new Date();
    this.#setState("capturing");
    this.#options.onStarted?.({ session, ...asked });
    session.done.then(
      (result) => this.#ended(session, result),
      (error) => this.#ended(session, null, error),
    );
    const durationS = this.#options.durationS;
    if (durationS !== undefined && session.source.live) {
      this.#durationTimer = setTimeout(() => {
        if (this.#session === session) this.stop().catch(() => {});
      }, durationS * 1000);
    }
  }

  /** Stop or shutdown came before the source was open: nothing was captured. */
  #stoppedWhileStarting(): CaptureStatus {
    this.#book.end(null);
    this.#setState("stopped");
    return this.status();
  }

  /** A start failed: `error` state, unless it was the requester's mistake (back to `before`). */
  #failStart(
    error: unknown,
    before: { state: CaptureState; facts: BookFacts },
  ): CaptureRefusal {
    const refusal = startFailure(error);
    if (REQUEST_MISTAKES.has(refusal.reason)) {
      this.#book.restore(before.facts);
      this.#setState(before.state);
    } else {
      this.#book.end(refusal.message);
      this.#setState("error");
    }
    return refusal;
  }

  async #stop(): Promise<CaptureStatus> {
    const session = this.#session;
    if (this.#state !== "capturing" || session === null) {
      const why = this.#state === "stopped" || this.#state === "error"
        ? "the last capture has already ended"
        : "press Start first";
      throw new CaptureRefusal("not_capturing", `Not capturing: nothing to stop (${why})`);
    }
    this.#setState("stopping");
    const result = await session.stop();
    this.#ended(session, result);
    return this.status();
  }

  /** A session ended: by Stop, at the end of its file, by an error, or by --duration. */
  #ended(session: Session, result: SessionResult | null, error?: unknown): void {
    if (this.#session !== session || this.#state === "stopped" || this.#state === "error") return;
    clearTimeout(this.#durationTimer);
    this.#book.ended(session, result, error);
    this.#hub.broadcast({ type: "summary", data: this.summary() });
    this.#setState(this.#book.message === null ? "stopped" : "error");
    this.#options.onEnded?.(error === undefined ? { session, result } : { session, result, error });
  }

  #onRecord(record: Record<string, unknown>): void {
    if (record.event_type !== "alert") return;
    this.#recent.add(record);
    this.#hub.broadcast({ type: "alert", data: record });
  }

  #setState(state: CaptureState): void {
    this.#state = state;
    this.#hub.broadcast({ type: "state", data: this.status() });
    this.#hub.setActive(ACTIVE_STATES.has(state));
  }
}
