/**
 * @module controller
 * The UI's side of the capture service (core/run/capture_service.ts): it translates the service
 * to what the API answers, a refusal's reason code to an HTTP status (409 for a conflict, 400 for
 * the request's mistake, 500 else), and logs each capture's start and end. The state machine,
 * the source, the recent alerts, their counts and the events all live in the service, which the
 * headless run (main.ts) uses as well.
 */
import { log } from "../core/records/diagnostics.ts";
import { CaptureRefusal, type RefusalReason } from "../core/run/capture_refusal.ts";
import { CaptureService } from "../core/run/capture_service.ts";
import type { CaptureEnded, CaptureStarted } from "../core/run/capture_types.ts";
import type { AlertQuery } from "../core/run/recent_alerts.ts";
import { type CaptureClient, logCaptureEnd, logCaptureStart } from "../core/run/run_log.ts";
import type { Session } from "../core/run/session.ts";
import {
  type CaptureState,
  ControllerError,
  type ControllerOptions,
  type InterfaceInfo,
  type Status,
  type Subscriber,
  type SummaryView,
} from "./controller_api.ts";

/** The HTTP status of each reason the service refuses a start or a stop for. */
const STATUS_OF: Readonly<Record<RefusalReason, 400 | 409 | 500>> = {
  shutting_down: 409,
  already_active: 409,
  // Another run writes the log directory: a conflict, like a capture in progress.
  log_dir_in_use: 409,
  not_capturing: 409,
  file_mode: 400,
  no_device: 400,
  bad_filter: 400,
  no_such_device: 400,
  start_failed: 500,
};

/** The request field a reason points at, for the page to show the error beside. */
const FIELD_OF: Partial<Record<RefusalReason, "filter" | "interface">> = {
  bad_filter: "filter",
  no_such_device: "interface",
};

/** The capture service, as the API sees it. */
export class Controller {
  readonly #service: CaptureService;

  constructor(options: ControllerOptions) {
    this.#service = new CaptureService({
      ...options,
      writerMode: "ui", // the UI holds the log directory's lock only while it captures
      onStarted: (started) => this.#started(started),
      onEnded: (ended) => this.#ended(ended),
    });
  }

  /** The current state. */
  get state(): CaptureState {
    return this.#service.state;
  }

  /** The session of the current or last capture. */
  get session(): Session | null {
    return this.#service.session;
  }

  /** Captures started since the program began (each one a Session). */
  get sessionsStarted(): number {
    return this.#service.sessionsStarted;
  }

  /** Alert records by "detector\u0000state", across captures. */
  get alertRecordCounts(): ReadonlyMap<string, number> {
    return this.#service.alertRecordCounts;
  }

  /** True once `close()` was called: event streams end after their queued events. */
  get closed(): boolean {
    return this.#service.closed;
  }

  /** The status for the API and the page. */
  status(): Status {
    return this.#service.status();
  }

  /** Capture devices for the picker. */
  interfaces(): InterfaceInfo[] {
    return this.#service.interfaces();
  }

  /** Recent alert records, newest first, filtered. */
  alerts(query: AlertQuery = {}): Record<string, unknown>[] {
    return this.#service.alerts(query);
  }

  /** The traffic summary of the current or last capture, from its engine. */
  summary(): SummaryView {
    return this.#service.summary();
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: Subscriber): () => void {
    return this.#service.subscribe(subscriber);
  }

  /**
   * Starts a capture on `request.interface` (or the default) with `request.filter`, for
   * `client`. Rejects with ControllerError: 409 while a capture is active, 400 for a bad filter
   * or device, 500 else.
   */
  async start(
    request: { interface?: string; filter?: string } = {},
    client?: CaptureClient,
  ): Promise<Status> {
    let status: Status;
    try {
      status = await this.#service.start(request, client);
    } catch (error) {
      throw this.#refused(error);
    }
    if (status.state === "stopped") {
      log.info("Stopped before the capture of {source} started: nothing was captured", {
        source: status.source,
      });
    }
    return status;
  }

  /**
   * Stops the capture and writes its final records; 409 when nothing is capturing. While a
   * capture is still starting (libpcap can take tens of seconds to compile a long filter), it
   * abandons the start at once instead of waiting for it.
   */
  async stop(): Promise<Status> {
    try {
      return await this.#service.stop();
    } catch (error) {
      throw this.#refused(error);
    }
  }

  /** Stops any capture and the ticker, and wakes subscribers to end (program exit). */
  close(): Promise<void> {
    return this.#service.close();
  }

  /** The ControllerError for a refusal (logged when opening the capture failed). */
  #refused(error: unknown): unknown {
    if (!(error instanceof CaptureRefusal)) return error;
    const { reason, message } = error;
    if (reason === "bad_filter" || reason === "no_such_device") {
      log.warn("Refused a start: {message}", { message });
    } else if (reason === "log_dir_in_use" || reason === "start_failed") {
      log.warn("Cannot start the capture: {message}", { message });
    }
    return new ControllerError(STATUS_OF[reason], message, FIELD_OF[reason]);
  }

  #started({ session, filter, client }: CaptureStarted): void {
    logCaptureStart(session, { filter, client });
  }

  #ended({ session, result }: CaptureEnded): void {
    if (result !== null) return logCaptureEnd(session, result);
    const { source, message } = this.#service.status();
    log.warn("Capture of {source} ended: {message}", { source, message });
  }
}
