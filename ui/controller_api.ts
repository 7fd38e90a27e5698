/**
 * @module controller_api
 * What the UI's capture controller (ui/controller.ts) takes and gives: its options, states,
 * status and summary views, events, and the error it refuses a request with.
 */
import type { Config } from "../core/config/config.ts";
import type { PacketSource } from "../core/run/session.ts";
import type { SeriesPoint } from "../core/summary/traffic_series.ts";
import type { SummarySnapshot } from "../core/summary/summary.ts";
import type { KernelCounters } from "../core/records/eve_records.ts";
import type { AlertCounts } from "../core/detect/alerts/alerts.ts";
import type { TrackerStats } from "../core/detect/tracking/keyed_state.ts";

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
  constructor(
    readonly status: 400 | 409 | 500,
    message: string,
    /** The request field at fault (a bad filter, an unknown device), for the page to point at. */
    readonly field?: "filter" | "interface",
  ) {
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
