/**
 * @module controller
 * The UI's capture state machine: at most one Session at a time, started and stopped through one
 * promise chain so that any number of concurrent requests leave one consistent state. It keeps a
 * bounded ring of recent alert records (newest first) and pushes records, summary ticks and state
 * changes to subscribers (the event stream). It never computes detections: everything it shows
 * comes from the engine (summary snapshot, alert counts, trackers).
 */
import { log } from "../core/records/diagnostics.ts";
import type { PacketSource, SessionResult } from "../core/run/session.ts";
import { Session } from "../core/run/session.ts";
import { type CaptureClient, logCaptureEnd, logCaptureStart } from "../core/run/run_log.ts";
import {
  type CaptureState,
  ControllerError,
  type ControllerEvent,
  type ControllerOptions,
  type InterfaceInfo,
  type SavedRecords,
  type Status,
  type Subscriber,
  type SummaryView,
} from "./controller_api.ts";
import { summaryView } from "./summary_view.ts";
import { type AlertQuery, RecentAlerts } from "./recent_alerts.ts";

const ACTIVE: ReadonlySet<CaptureState> = new Set(["starting", "capturing", "stopping"]);

/** The last capture's facts every viewer sees, kept to restore them when a start is refused. */
interface SharedFacts {
  state: CaptureState;
  source: string | null;
  filter: string;
  message: string | null;
  saved: SavedRecords | null;
  warning: string | null;
  alertWarning: string | null;
  endedAt: Date | null;
  since: Date | null;
}

/** Owns the capture's state machine and at most one Session. */
export class Controller {
  readonly #options: ControllerOptions;
  readonly #subscribers = new Set<Subscriber>();
  #chain: Promise<unknown> = Promise.resolve();
  #state: CaptureState = "idle";
  #session: Session | null = null;
  #source: string | null = null;
  #filter: string;
  #since: Date | null = null;
  #endedAt: Date | null = null;
  #message: string | null = null;
  #saved: SavedRecords | null = null;
  #warning: string | null = null;
  /** The latest detector whose alerts started being dropped, in words (shown with #warning). */
  #alertWarning: string | null = null;
  /** Recent alert records and the count of alert records across captures. */
  readonly #recent: RecentAlerts;
  #sessionsStarted = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #durationTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the open of the capture being started; null outside `starting`. */
  #opening: AbortController | null = null;
  #closed = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#recent = new RecentAlerts(options.maxAlerts ?? 1000);
    this.#filter = options.defaultFilter ?? "";
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

  /** The status for the API and the page. */
  status(): Status {
    return {
      state: this.#state,
      mode: this.#options.read === undefined ? "live" : "file",
      source: this.#source,
      filter: this.#filter,
      since: this.#since?.toISOString() ?? null,
      endedAt: this.#endedAt?.toISOString() ?? null,
      message: this.#message,
      saved: this.#saved,
      warning: [this.#warning, this.#alertWarning].filter((w) => w !== null).join(" ") || null,
      recordsLost: this.#session?.writer?.failures ?? 0,
      defaults: {
        interface: this.#options.read === undefined ? this.#defaultInterface() : null,
        filter: this.#options.defaultFilter ?? "",
        read: this.#options.read ?? null,
      },
    };
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
      source: this.#source,
      fileMode: this.#options.read !== undefined,
      chartSeconds: this.#options.chartSeconds ?? 300,
    });
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: Subscriber): () => void {
    this.#subscribers.add(subscriber);
    this.#updateTicker();
    return () => {
      this.#subscribers.delete(subscriber);
      this.#updateTicker();
    };
  }

  /**
   * Starts a capture on `request.interface` (or the default) with `request.filter`. Rejects with
   * ControllerError: 409 while a capture is active, 400 for a bad filter or device, 500 else.
   */
  start(
    request: { interface?: string; filter?: string } = {},
    client?: CaptureClient,
  ): Promise<Status> {
    return this.#serialise(() => this.#start(request, client));
  }

  /**
   * Stops the capture and writes its final records; 409 when nothing is capturing. While a
   * capture is still starting (libpcap can take tens of seconds to compile a long filter), it
   * abandons the start at once instead of waiting for it.
   */
  stop(): Promise<Status> {
    const opening = this.#opening;
    opening?.abort();
    return this.#serialise(() =>
      opening !== null && this.#state !== "capturing"
        ? Promise.resolve(this.status())
        : this.#stop()
    );
  }

  /** True once `close()` was called: event streams end after their queued events. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stops any capture and the ticker, and wakes subscribers to end (program exit). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opening?.abort(); // shutdown never waits for a filter to compile
    await this.#serialise(async () => {
      if (this.#state === "capturing") await this.#stop();
    });
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    this.#broadcast({ type: "state", data: this.status() });
  }

  #serialise<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(step);
    this.#chain = result.catch(() => {});
    return result;
  }

  async #start(
    request: { interface?: string; filter?: string },
    client: CaptureClient | undefined,
  ): Promise<Status> {
    if (this.#closed) throw new ControllerError(409, "Anomaly is shutting down");
    if (ACTIVE.has(this.#state)) {
      throw new ControllerError(
        409,
        `Already capturing on ${this.#source} since ${this.#since?.toISOString()}: stop it first`,
      );
    }
    const read = this.#options.read;
    if (read !== undefined && request.interface !== undefined) {
      throw new ControllerError(
        400,
        `This run reads the file "${read}": it cannot capture on an interface (restart without --read)`,
      );
    }
    const filter = request.filter ?? this.#options.defaultFilter ?? "";
    const device = read === undefined ? request.interface ?? this.#defaultInterface() : undefined;
    if (read === undefined && device === null) {
      throw new ControllerError(
        400,
        "No capture device is up with an address: choose an interface",
      );
    }
    const before = this.#sharedFacts();
    this.#source = read ?? device!;
    this.#filter = filter;
    this.#message = null;
    this.#saved = null;
    this.#warning = null;
    this.#alertWarning = null;
    this.#endedAt = null;
    this.#since = new Date();
    this.#setState("starting");
    let source: PacketSource;
    const opening = this.#opening = new AbortController();
    const signal = opening.signal;
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
      session = new Session({
        config: this.#options.config,
        source,
        logDirectory: this.#options.logDirectory,
        mode: "ui", // the UI holds the log directory's lock only while it captures
        hostAddresses: source.live ? this.#options.hostAddresses?.() ?? [] : [],
        listeners: [(record) => this.#onRecord(record)],
        onWriteProblem: (message) => {
          if (this.#session !== session) return;
          this.#warning = message;
          this.#broadcast({ type: "state", data: this.status() });
        },
        onAlertWarning: (message) => {
          if (this.#session !== session) return;
          this.#alertWarning = message;
          this.#broadcast({ type: "state", data: this.status() });
        },
      });
    } catch (error) {
      await source.stop().catch(() => {});
      throw this.#failStart(error);
    }
    this.#session = session;
    this.#sessionsStarted++;
    this.#since = new Date();
    this.#setState("capturing");
    logCaptureStart(session, { filter, client });
    session.done.then(
      (result) => this.#ended(session, result),
      (error) => this.#ended(session, null, error),
    );
    const durationS = this.#options.durationS;
    if (durationS !== undefined && source.live) {
      this.#durationTimer = setTimeout(() => {
        if (this.#session === session) this.stop().catch(() => {});
      }, durationS * 1000);
    }
    return this.status();
  }

  /** Stop or shutdown came before the source was open: nothing was captured. */
  #stoppedWhileStarting(): Status {
    this.#endedAt = new Date();
    this.#setState("stopped");
    log.info("Stopped before the capture of {source} started: nothing was captured", {
      source: this.#source,
    });
    return this.status();
  }

  /** What every viewer sees of the last capture (restored when a start is refused with 400). */
  #sharedFacts(): SharedFacts {
    return {
      state: this.#state,
      source: this.#source,
      filter: this.#filter,
      message: this.#message,
      saved: this.#saved,
      warning: this.#warning,
      alertWarning: this.#alertWarning,
      endedAt: this.#endedAt,
      since: this.#since,
    };
  }

  #failStart(error: unknown, before?: SharedFacts): ControllerError {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    // 409 when another run writes the log directory: a conflict, like a capture in progress.
    const status = code === "bad_filter" || code === "no_such_device"
      ? 400
      : code === "in_use"
      ? 409
      : 500;
    const field = code === "bad_filter"
      ? "filter"
      : code === "no_such_device"
      ? "interface"
      : undefined;
    if (status === 400 && before !== undefined) {
      // A bad filter or device is the requester's mistake: it is told (400, next to the field),
      // and the state every other viewer sees goes back to what it was instead of "error".
      ({ source: this.#source, filter: this.#filter, message: this.#message } = before);
      ({ saved: this.#saved, warning: this.#warning, alertWarning: this.#alertWarning } = before);
      ({ endedAt: this.#endedAt, since: this.#since } = before);
      this.#setState(before.state);
      log.warn("Refused a start: {message}", { message });
      return new ControllerError(status, message, field);
    }
    this.#message = message;
    this.#endedAt = new Date();
    this.#setState("error");
    log.warn("Cannot start the capture: {message}", { message });
    return new ControllerError(status, message, field);
  }

  async #stop(): Promise<Status> {
    const session = this.#session;
    if (this.#state !== "capturing" || session === null) {
      const why = this.#state === "stopped" || this.#state === "error"
        ? "the last capture has already ended"
        : "press Start first";
      throw new ControllerError(409, `Not capturing: nothing to stop (${why})`);
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
    this.#endedAt = new Date();
    if (result !== null) {
      this.#saved = {
        path: result.recordsPath,
        records: result.records,
        alerts: session.engine.detection.alertCounts().started,
        packets: result.packets,
        writeFailures: result.writeFailures,
      };
    }
    const end = result?.end;
    const message = end !== undefined && "message" in end
      ? end.message
      : error !== undefined
      ? String(error)
      : null;
    this.#message = message;
    this.#broadcast({ type: "summary", data: this.summary() });
    this.#setState(message === null ? "stopped" : "error");
    if (result !== null) logCaptureEnd(session, result);
    else log.warn("Capture of {source} ended: {message}", { source: this.#source, message });
  }

  #onRecord(record: Record<string, unknown>): void {
    if (record.event_type !== "alert") return;
    this.#recent.add(record);
    this.#broadcast({ type: "alert", data: record });
  }

  #setState(state: CaptureState): void {
    this.#state = state;
    this.#broadcast({ type: "state", data: this.status() });
    this.#updateTicker();
  }

  #broadcast(event: ControllerEvent): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch (error) {
        this.#subscribers.delete(subscriber);
        log.warn("Dropped an event subscriber that failed: {error}", { error });
      }
    }
  }

  /** Summary ticks run while someone listens and a capture is active. */
  #updateTicker(): void {
    const wanted = this.#subscribers.size > 0 && ACTIVE.has(this.#state);
    if (wanted && this.#ticker === undefined) {
      this.#ticker = setInterval(
        () => this.#broadcast({ type: "summary", data: this.summary() }),
        this.#options.tickMs ?? 1000,
      );
    } else if (!wanted && this.#ticker !== undefined) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  #defaultInterface(): string | null {
    try {
      return this.#options.defaultInterface?.() ?? null;
    } catch {
      return null;
    }
  }
}
