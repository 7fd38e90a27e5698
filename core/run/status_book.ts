/**
 * @module status_book
 * What the capture service remembers of the current (or last) capture for its status: source,
 * filter, start and end times, the error, the saved records and the warnings. Kept apart from
 * the state machine (core/run/capture_service.ts), which only says when each of these changes.
 */
import type {
  CaptureServiceOptions,
  CaptureState,
  CaptureStatus,
  SavedRecords,
} from "./capture_types.ts";
import type { Session, SessionResult } from "./session.ts";

/** The facts of a StatusBook, as `snapshot()` keeps them and `restore()` puts them back. */
export interface BookFacts {
  source: string | null;
  filter: string;
  since: Date | null;
  endedAt: Date | null;
  message: string | null;
  saved: SavedRecords | null;
  writeWarning: string | null;
  alertWarning: string | null;
}

/** The current (or last) capture's facts, and the status made of them. */
export class StatusBook {
  readonly #options: CaptureServiceOptions;
  source: string | null = null;
  filter: string;
  since: Date | null = null;
  endedAt: Date | null = null;
  message: string | null = null;
  saved: SavedRecords | null = null;
  /** Writing records fails, or resumed after losing some. */
  writeWarning: string | null = null;
  /** The latest detector whose alerts started being dropped, in words. */
  alertWarning: string | null = null;

  constructor(options: CaptureServiceOptions) {
    this.#options = options;
    this.filter = options.defaultFilter ?? "";
  }

  /** A new capture of `source` with `filter` begins: the last one's facts are forgotten. */
  begin(source: string, filter: string): void {
    this.source = source;
    this.filter = filter;
    this.message = null;
    this.saved = null;
    this.writeWarning = null;
    this.alertWarning = null;
    this.endedAt = null;
    this.since = new Date();
  }

  /** The facts as they are now (to restore when a start turns out to be the requester's mistake). */
  snapshot(): BookFacts {
    const { source, filter, since, endedAt, message, saved, writeWarning, alertWarning } = this;
    return { source, filter, since, endedAt, message, saved, writeWarning, alertWarning };
  }

  /** Puts back the facts of `snapshot()`. */
  restore(facts: BookFacts): void {
    Object.assign(this, facts);
  }

  /** The capture failed to start (`message` says why) or ended; null when it ended cleanly. */
  end(message: string | null): void {
    this.endedAt = new Date();
    this.message = message;
  }

  /**
   * `session` ended with `result` (null when it failed with `error`): where its records went,
   * and the error it ended with (a truncated file, a device gone...), if any.
   */
  ended(session: Session, result: SessionResult | null, error: unknown): void {
    const end = result?.end;
    this.end(
      end !== undefined && "message" in end
        ? end.message
        : error !== undefined
        ? String(error)
        : null,
    );
    if (result === null) return;
    this.saved = {
      path: result.recordsPath,
      records: result.records,
      alerts: session.engine.detection.alertCounts().started,
      packets: result.packets,
      writeFailures: result.writeFailures,
    };
  }

  /** The status in `state`, with `session` the current (or last) one. */
  status(state: CaptureState, session: Session | null): CaptureStatus {
    const read = this.#options.read;
    return {
      state,
      mode: read === undefined ? "live" : "file",
      source: this.source,
      filter: this.filter,
      since: this.since?.toISOString() ?? null,
      endedAt: this.endedAt?.toISOString() ?? null,
      message: this.message,
      saved: this.saved,
      warning: [this.writeWarning, this.alertWarning].filter((w) => w !== null).join(" ") ||
        null,
      recordsLost: session?.writer?.failures ?? 0,
      defaults: {
        interface: read === undefined ? this.defaultInterface() : null,
        filter: this.#options.defaultFilter ?? "",
        read: read ?? null,
      },
    };
  }

  /** The device Start uses when the request names none (null when none is up, or on error). */
  defaultInterface(): string | null {
    try {
      return this.#options.defaultInterface?.() ?? null;
    } catch {
      return null;
    }
  }
}
