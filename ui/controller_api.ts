/**
 * @module controller_api
 * What the UI's controller (ui/controller.ts) takes and gives. The states, status, summary view
 * and events are the capture service's (core/run/capture_types.ts), under the names the UI has
 * always used; what is the UI's own is the error it refuses a request with (an HTTP status).
 */
import type {
  CaptureEvent,
  CaptureServiceOptions,
  CaptureStatus,
  CaptureSubscriber,
} from "../core/run/capture_types.ts";

export type {
  CaptureState,
  InterfaceInfo,
  OpenSource,
  SavedRecords,
  SourceRequest,
  SummaryView,
} from "../core/run/capture_types.ts";

/** What GET /api/status returns and state events carry. */
export type Status = CaptureStatus;

/** One message for subscribers (the event stream). */
export type ControllerEvent = CaptureEvent;

/** Receives controller events; must not throw (errors are logged and the subscriber dropped). */
export type Subscriber = CaptureSubscriber;

/** A request the controller refuses, with the HTTP status that says why. */
export class ControllerError extends Error {
  override name = "ControllerError";
  constructor(
    readonly status: 400 | 409 | 500,
    message: string,
    /** The request field at fault (a bad filter, an unknown device), for the page to point at. */
    readonly field?: "filter" | "interface",
  ) {
    super(message);
  }
}

/**
 * What the controller needs: the capture service's options, less what the controller sets
 * itself (the writer mode, and the hooks it logs the capture's start and end with).
 */
export type ControllerOptions = Omit<
  CaptureServiceOptions,
  "writerMode" | "onStarted" | "onEnded"
>;
