/**
 * @module controller
 * The UI's capture state machine: at most one Session at a time, started and stopped through one
 * promise chain so that any number of concurrent requests leave one consistent state. It keeps a
 * bounded ring of recent alert records (newest first) and pushes records, summary ticks and state
 * changes to subscribers (the event stream). It never computes detections: everything it shows
 * comes from the engine (summary snapshot, alert counts, trackers).
 */
import type { Config } from "../core/config.ts";
import { log } from "../core/diagnostics.ts";
import type { PacketSource, SessionResult } from "../core/session.ts";
import { Session } from "../core/session.ts";
import type { SeriesPoint } from "../core/traffic_series.ts";
import type { SummarySnapshot } from "../core/summary.ts";
import type { KernelCounters } from "../core/stats_record.ts";
import type { AlertCounts } from "../core/detect/alerts.ts";
import type { TrackerStats } from "../core/detect/keyed_state.ts";

/** Where the capture is in its life. */
export type CaptureState = "idle" | "starting" | "capturing" | "stopping" | "stopped" | "error";

/** What `openSource` is asked to open: a device or a file, with a BPF filter. */
export interface SourceRequest {
  device?: string;
  read?: string;
  filter: string;
  /** Aborted by Stop or shutdown while the source is still opening (a slow filter compile). */
  signal?: AbortSignal;
}

/** Opens a packet source (main.ts passes `Capture.open`; tests a file capture or a fake). */
export type OpenSource = (request: SourceRequest) => Promise<PacketSource>;

/** A capture device as the interface picker shows it. */
export interface InterfaceInfo {
  name: string;
  description: string | null;
  addresses: { family: string; address: string; netmask: string | null }[];
  up: boolean;
  running: boolean;
  loopback: boolean;
}

/** Where the records of a finished capture went. */
export interface SavedRecords {
  path: string | null;
  records: number;
  alerts: number;
  packets: number;
  writeFailures: number;
}

/** What GET /api/status returns and state events carry. */
export interface Status {
  state: CaptureState;
  /** "file" when the program was started with --read. */
  mode: "live" | "file";
  /** The interface or file of the current (or last) capture. */
  source: string | null;
  filter: string;
  /** When the current (or last) capture started, ISO 8601. */
  since: string | null;
  /** When it ended, ISO 8601. */
  endedAt: string | null;
  /** The error of a failed start or a capture that died. */
  message: string | null;
  /** Set once a capture has ended and its final records are written. */
  saved: SavedRecords | null;
  /**
   * Writing records failed during the current (or last) capture: why, and that capture goes on;
   * once writing resumed, how many records were lost. Also when a detector's alerts are being
   * dropped (its share of the open alerts is full). Null while nothing failed.
   */
  warning: string | null;
  /** Records of the current (or last) capture that could not be written. */
  recordsLost: number;
  /** What Start uses when the request leaves it out. */
  defaults: { interface: string | null; filter: string; read: string | null };
}

/** What GET /api/summary returns and summary events carry. */
export interface SummaryView {
  state: CaptureState;
  source: string | null;
  live: boolean;
  /** The packet-time second the rates and the series end at, or null before any packet. */
  until: number | null;
  /** Packets and bits per second: the last complete second live, the average for a file. */
  rate: { pps: number; bps: number; basis: "last_second" | "average" };
  summary: SummarySnapshot | null;
  series: SeriesPoint[];
  kernel: KernelCounters | null;
  alerts: AlertCounts | null;
  trackers: TrackerStats[];
}

/** One message for subscribers. */
export type ControllerEvent =
  | { type: "state"; data: Status }
  | { type: "alert"; data: Record<string, unknown> }
  | { type: "summary"; data: SummaryView };

/** Receives controller events; must not throw (errors are logged and the subscriber dropped). */
export type Subscriber = (event: ControllerEvent) => void;

/** A request the controller refuses, with the HTTP status that says why. */
export class ControllerError extends Error {
  override name = "ControllerError";
  constructor(readonly status: 400 | 409 | 500, message: string) {
    super(message);
  }
}

/** What the controller needs. */
export interface ControllerOptions {
  config: Config;
  openSource: OpenSource;
  /** Null keeps records in memory (tests). */
  logDirectory: string | null;
  /** File mode: Start reads this file instead of capturing live. */
  read?: string;
  /** The device Start uses when the request names none. */
  defaultInterface?: () => string | null;
  defaultFilter?: string;
  /** Capture devices for the picker. */
  listInterfaces?: () => InterfaceInfo[];
  /** The host's own addresses, for the incoming/outgoing split of live captures. */
  hostAddresses?: () => string[];
  /** Alert records kept for GET /api/alerts (default 1000). */
  maxAlerts?: number;
  /** Stop each live capture after this many seconds. */
  durationS?: number;
  /** Milliseconds between summary ticks to subscribers (default 1000). */
  tickMs?: number;
  /** Seconds of series the chart shows (default 300). */
  chartSeconds?: number;
}

const ACTIVE: ReadonlySet<CaptureState> = new Set(["starting", "capturing", "stopping"]);

/** Owns the capture's state machine and at most one Session. */
export class Controller {
  readonly #options: ControllerOptions;
  readonly #subscribers = new Set<Subscriber>();
  readonly #maxAlerts: number;
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
  /** Alert records, newest first. */
  #alerts: Record<string, unknown>[] = [];
  /** Alert records seen by (detector, state), across captures (for /metrics). */
  readonly #alertRecords = new Map<string, number>();
  #sessionsStarted = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #durationTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the open of the capture being started; null outside `starting`. */
  #opening: AbortController | null = null;
  #closed = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#maxAlerts = options.maxAlerts ?? 1000;
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
    return this.#alertRecords;
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
  alerts(query: { limit?: number; severity?: number; detector?: string } = {}): Record<
    string,
    unknown
  >[] {
    const { limit = 100, severity, detector } = query;
    const out: Record<string, unknown>[] = [];
    for (const record of this.#alerts) {
      if (out.length >= limit) break;
      const alert = record.alert as { severity?: number } | undefined;
      const detection = record.detection as { detector?: string } | undefined;
      if (severity !== undefined && alert?.severity !== severity) continue;
      if (detector !== undefined && detection?.detector !== detector) continue;
      out.push(record);
    }
    return out;
  }

  /** The traffic summary of the current or last capture, from its engine. */
  summary(): SummaryView {
    const engine = this.#session?.engine;
    const live = this.#session?.source.live ?? this.#options.read === undefined;
    const empty: SummaryView = {
      state: this.#state,
      source: this.#source,
      live,
      until: null,
      rate: { pps: 0, bps: 0, basis: live ? "last_second" : "average" },
      summary: null,
      series: [],
      kernel: null,
      alerts: null,
      trackers: [],
    };
    if (engine === undefined) return empty;
    const snapshot = engine.summary.snapshot();
    const capturing = this.#state === "capturing";
    const clockS = engine.clockUs >= 0 ? Math.floor(engine.clockUs / 1e6) : null;
    // Live, the second in progress is incomplete: rates and the chart end at the one before.
    const until = clockS === null ? null : live && capturing ? clockS - 1 : clockS;
    const series = until === null
      ? []
      : engine.summary.series.points(this.#options.chartSeconds ?? 300, until);
    let rate: SummaryView["rate"];
    if (live && capturing) {
      const last = series.at(-1);
      rate = { pps: last?.packets ?? 0, bps: (last?.bytes ?? 0) * 8, basis: "last_second" };
    } else {
      const spanS = snapshot.first_seen >= 0
        ? Math.max(1, (snapshot.last_seen - snapshot.first_seen) / 1e6)
        : 1;
      rate = {
        pps: round(snapshot.packets / spanS),
        bps: round(snapshot.bytes * 8 / spanS),
        basis: "average",
      };
    }
    return {
      ...empty,
      until,
      rate,
      summary: snapshot,
      series,
      kernel: engine.kernelCounters,
      alerts: engine.detection.alertCounts(),
      trackers: engine.detection.trackers(),
    };
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
  start(request: { interface?: string; filter?: string } = {}): Promise<Status> {
    return this.#serialise(() => this.#start(request));
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

  async #start(request: { interface?: string; filter?: string }): Promise<Status> {
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
      throw this.#failStart(error);
    } finally {
      this.#opening = null;
    }
    this.#alerts = [];
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
    log.info("Capturing from {source}; records go to {path}", {
      source: source.source,
      path: session.writer?.path ?? "(memory)",
    });
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

  #failStart(error: unknown): ControllerError {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    // 409 when another run writes the log directory: a conflict, like a capture in progress.
    const status = code === "bad_filter" || code === "no_such_device"
      ? 400
      : code === "in_use"
      ? 409
      : 500;
    this.#message = message;
    this.#endedAt = new Date();
    this.#setState("error");
    log.warn("Cannot start the capture: {message}", { message });
    return new ControllerError(status, message);
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
    log.info("Capture ended: {packets} packets; {records} records in {path}", {
      packets: result?.packets ?? 0,
      records: result?.records ?? 0,
      path: result?.recordsPath ?? "(memory)",
    });
  }

  #onRecord(record: Record<string, unknown>): void {
    if (record.event_type !== "alert") return;
    this.#alerts.unshift(record);
    if (this.#alerts.length > this.#maxAlerts) this.#alerts.length = this.#maxAlerts;
    const d = record.detection as { detector?: string; state?: string } | undefined;
    const key = `${d?.detector ?? "unknown"}\u0000${d?.state ?? "unknown"}`;
    this.#alertRecords.set(key, (this.#alertRecords.get(key) ?? 0) + 1);
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

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
