/**
 * @module capture_types
 * What the capture service (core/run/capture_service.ts) takes and gives: its options, states,
 * status and summary views, and the events its subscribers get. No HTTP here: the UI's
 * controller translates these to routes and status codes, the headless run to an exit code.
 */
import type { Config } from "../config/config.ts";
import type { AlertCounts } from "../detect/alerts/alerts.ts";
import type { TrackerStats } from "../detect/tracking/keyed_state.ts";
import type { WriterMode } from "../records/log_directory.ts";
import type { KernelCounters } from "../records/eve_records.ts";
import type { SeriesPoint } from "../summary/traffic_series.ts";
import type { SummarySnapshot } from "../summary/summary.ts";
import type { CaptureRequest } from "./capture_options.ts";
import type { CaptureClient } from "./run_log.ts";
import type { RecordListener } from "./engine.ts";
import type { OutputConnectors } from "../outputs/output_set.ts";
import type { PacketSource, Session, SessionResult } from "./session.ts";

/** Where the capture is in its life. */
export type CaptureState = "idle" | "starting" | "capturing" | "stopping" | "stopped" | "error";

/** The states in which a capture holds (or is about to hold) a source. */
export const ACTIVE_STATES: ReadonlySet<CaptureState> = new Set([
  "starting",
  "capturing",
  "stopping",
]);

/** What `openSource` is asked to open: a device or a file, with a BPF filter. */
export type SourceRequest = CaptureRequest;

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

/** The service's status (GET /api/status and state events carry it as it is). */
export interface CaptureStatus {
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

/** The traffic summary (GET /api/summary and summary events carry it as it is). */
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

/** One message for subscribers (the UI's event stream sends `type` as the event name). */
export type CaptureEvent =
  | { type: "state"; data: CaptureStatus }
  | { type: "alert"; data: Record<string, unknown> }
  | { type: "summary"; data: SummaryView };

/** Receives events; must not throw (errors are logged and the subscriber dropped). */
export type CaptureSubscriber = (event: CaptureEvent) => void;

/** What start() may be asked: a device (live runs) and a filter; both optional. */
export interface StartRequest {
  interface?: string;
  filter?: string;
}

/** A capture that runs, as the run mode sees it: its session, what was asked, the filter used. */
export interface CaptureStarted {
  session: Session;
  request: StartRequest;
  /** The filter in use (the request's, or the default). */
  filter: string;
  /** Who asked (an API client), when start() was told. */
  client?: CaptureClient;
}

/** A capture's end as the run mode sees it: its result, or the error its session died of. */
export interface CaptureEnded {
  session: Session;
  /** Null when the session failed instead of ending (then `error` says why). */
  result: SessionResult | null;
  error?: unknown;
}

/** What the service needs. */
export interface CaptureServiceOptions {
  config: Config;
  openSource: OpenSource;
  /** Null keeps records in memory (tests). */
  logDirectory: string | null;
  /**
   * Who holds the log directory's lock while capturing, as a second writer is told (default
   * "ui": the UI holds it only while it captures; the headless run says "headless").
   */
  writerMode?: WriterMode;
  /** File mode: Start reads this file instead of capturing live. */
  read?: string;
  /** The device Start uses when the request names none. */
  defaultInterface?: () => string | null;
  defaultFilter?: string;
  /** Capture devices for the picker. */
  listInterfaces?: () => InterfaceInfo[];
  /** The host's own addresses, for the incoming/outgoing split of live captures. */
  hostAddresses?: () => string[];
  /** More listeners of every record each capture writes (stdout printer, stores, outputs). */
  listeners?: readonly RecordListener[];
  /** What the outputs need from outside core/ (main.ts: a Unix datagram sender for syslog). */
  outputConnectors?: OutputConnectors;
  /** Alert records kept for `alerts()` (default 1000). */
  maxAlerts?: number;
  /** Stop each live capture after this many seconds. */
  durationS?: number;
  /** Milliseconds between summary ticks to subscribers (default 1000). */
  tickMs?: number;
  /** Seconds of series the chart shows (default 300). */
  chartSeconds?: number;
  /** Told once a capture runs (its session is open), for the run mode's own messages. */
  onStarted?: (started: CaptureStarted) => void;
  /** Told once a capture has ended and its final records are written (or its session failed). */
  onEnded?: (ended: CaptureEnded) => void;
}
