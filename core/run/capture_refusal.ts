/**
 * @module capture_refusal
 * Why the capture service refuses a start or a stop, as a reason code (never an HTTP status:
 * the UI's controller maps reasons to status codes, the headless run to an exit code through the
 * original error kept as `cause`).
 */
import { ACTIVE_STATES, type CaptureState, type StartRequest } from "./capture_types.ts";

/** Why a start or a stop was refused. */
export type RefusalReason =
  /** close() was called: the program is shutting down. */
  | "shutting_down"
  /** A capture is starting, running or stopping: stop it first. */
  | "already_active"
  /** An interface was asked of a run that reads a file. */
  | "file_mode"
  /** No interface was named and no device is up with an address. */
  | "no_device"
  /** libpcap refused the BPF filter. */
  | "bad_filter"
  /** The named device does not exist. */
  | "no_such_device"
  /** Another run writes the log directory. */
  | "log_dir_in_use"
  /** Stop with nothing capturing. */
  | "not_capturing"
  /** Opening the source or the records failed otherwise (a missing file, no permission...). */
  | "start_failed";

/**
 * Reasons that are the requester's mistake (a bad filter, an unknown device): the service goes
 * back to the state it was in, since nothing about the capture changed.
 */
export const REQUEST_MISTAKES: ReadonlySet<RefusalReason> = new Set([
  "bad_filter",
  "no_such_device",
]);

/** A start or stop the capture service refused; `cause` holds the error that made it fail. */
export class CaptureRefusal extends Error {
  override name = "CaptureRefusal";
  constructor(readonly reason: RefusalReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The refusal for a start that failed with `error` (a CaptureError's or the writer's code). */
export function startFailure(error: unknown): CaptureRefusal {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  const reason: RefusalReason = code === "bad_filter"
    ? "bad_filter"
    : code === "no_such_device"
    ? "no_such_device"
    : code === "in_use"
    ? "log_dir_in_use"
    : "start_failed";
  return new CaptureRefusal(reason, message, { cause: error });
}

/** Where the service is when asked to start. */
export interface StartContext {
  closed: boolean;
  state: CaptureState;
  /** The current (or last) capture's source and start, and the default device. */
  book: { source: string | null; since: Date | null; defaultInterface(): string | null };
  /** The file a --read run reads. */
  read: string | undefined;
}

/**
 * Refuses a start while closing, while another capture is active, an interface in a run that
 * reads a file, or no device; else returns the device to capture on (undefined for a file).
 */
export function refuseStart(request: StartRequest, context: StartContext): string | undefined {
  const { book, read } = context;
  if (context.closed) throw new CaptureRefusal("shutting_down", "Anomaly is shutting down");
  if (ACTIVE_STATES.has(context.state)) {
    throw new CaptureRefusal(
      "already_active",
      `Already capturing on ${book.source} since ${book.since?.toISOString()}: stop it first`,
    );
  }
  if (read !== undefined && request.interface !== undefined) {
    throw new CaptureRefusal(
      "file_mode",
      `This run reads the file "${read}": it cannot capture on an interface (restart without --read)`,
    );
  }
  if (read !== undefined) return undefined;
  const device = request.interface ?? book.defaultInterface();
  if (device !== null) return device;
  throw new CaptureRefusal(
    "no_device",
    "No capture device is up with an address: choose an interface",
  );
}
