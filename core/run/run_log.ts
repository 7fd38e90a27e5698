/**
 * @module run_log
 * What the program's own log (anomaly.log and stderr: core/records/diagnostics.ts) says about a
 * run: its start-up (version, the UI's URL, a digest of the effective config) and each capture's
 * start (source, filter, who started it) and end (packets, alerts, drops, duration, where the
 * records went). The figures go in as LogTape properties, so anomaly.log's JSON lines carry them
 * as fields (`properties.packets`...) besides the sentence stderr shows.
 */
import { createHash } from "node:crypto";
import { type Config, configAsObject } from "../config/config.ts";
import { log } from "../records/diagnostics.ts";
import type { Session, SessionResult } from "./session.ts";

/**
 * The config as canonical JSON: objects with their keys sorted, no spaces, so that the same
 * effective config always gives the same text (and digest), whatever order it was written in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The first 12 hex digits of the SHA-256 of the effective config's canonical JSON: two runs
 * with one digest ran with the same settings (`--print-config` shows them).
 */
export function configDigest(config: Config): string {
  const text = canonicalJson(configAsObject(config));
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** What start-up says besides the config digest. */
export interface StartupFacts {
  version: string;
  /** The UI's URL; absent headless. */
  url?: string;
  /** libpcap's version string. */
  libpcap?: string;
}

/** Logs the program's start: version, the UI's URL (or headless), the config digest. */
export function logStartup(config: Config, facts: StartupFacts): void {
  const properties = { ...facts, configDigest: configDigest(config) };
  if (facts.url === undefined) {
    log.info("Anomaly {version} started headless ({libpcap}); config {configDigest}", properties);
  } else {
    log.info(
      "Anomaly {version} serving the UI at {url} ({libpcap}); config {configDigest}",
      properties,
    );
  }
}

/** Who asked for a capture made through the UI's API. */
export interface CaptureClient {
  /** The peer's address (and port) as the server saw it. */
  address: string;
  /** True when the UI requires a token, so the request carried the right one. */
  token: boolean;
}

/** Words for who started a capture: the command line, or an API client and its token use. */
export function startedByText(client: CaptureClient | undefined): string {
  if (client === undefined) return "the command line";
  return `API client ${client.address} (${client.token ? "with the token" : "no token required"})`;
}

/** Logs a capture's start: source, link type, filter, who started it, where records go. */
export function logCaptureStart(
  session: Session,
  options: { filter: string; client?: CaptureClient },
): void {
  const { client } = options;
  log.info(
    "Capturing from {source} ({linkType}), filter {filter}, started by {startedBy}; " +
      "records go to {path}",
    {
      source: session.source.source,
      live: session.source.live,
      linkType: session.source.linkTypeName,
      filter: options.filter === "" ? "(none)" : options.filter,
      startedBy: startedByText(client),
      clientAddress: client?.address ?? null,
      tokenUsed: client?.token ?? false,
      path: session.writer?.path ?? "(memory)",
    },
  );
}

/** A capture's end in figures. */
export interface CaptureEndFacts {
  source: string;
  /** "eof", "stopped", "truncated" or "error". */
  end: string;
  packets: number;
  /** Alerts started. */
  alerts: number;
  /** Kernel counters of a live capture (pcap_stats); 0 for a file. */
  kernelPackets: number;
  kernelDrops: number;
  interfaceDrops: number;
  /** Wall-clock seconds from the session's start to its end. */
  durationS: number;
  records: number;
  path: string;
  /** Records that could not be written: lost. */
  recordsLost: number;
}

/** The figures of a finished capture, for the log line that ends it. */
export function captureEndFacts(session: Session, result: SessionResult): CaptureEndFacts {
  const kernel = session.engine.kernelCounters;
  return {
    source: session.source.source,
    end: result.end.kind,
    packets: result.packets,
    alerts: session.engine.detection.alertCounts().started,
    kernelPackets: kernel?.received ?? 0,
    kernelDrops: kernel?.dropped ?? 0,
    interfaceDrops: kernel?.ifDropped ?? 0,
    durationS: Math.round((Date.now() - session.startedAt.getTime()) / 10) / 100,
    records: result.records,
    path: result.recordsPath ?? "(memory)",
    recordsLost: result.writeFailures,
  };
}

/** The facts besides packets and records, as words: "1 alert, 0 kernel drops, 0.03 s". */
export function captureEndText(facts: CaptureEndFacts): string {
  return `${plural(facts.alerts, "alert")}, ` +
    `${plural(facts.kernelDrops + facts.interfaceDrops, "kernel drop")}, ${facts.durationS} s`;
}

/** `n` and `word`, plural unless n is 1: "1 record", "2 records". */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The end of a UI capture as a LogTape message template (the figures stay properties): "Capture
 * of {source} ended ({end}): 1 packet, 0 alerts, 0 kernel drops, 0.02 s; 1 record in {path}".
 */
export function captureEndMessage(facts: CaptureEndFacts): string {
  return `Capture of {source} ended ({end}): ${plural(facts.packets, "packet")}, ` +
    `${plural(facts.alerts, "alert")}, ${plural(facts.kernelDrops, "kernel drop")}, ` +
    `{durationS} s; ${plural(facts.records, "record")} in {path}`;
}

/** Logs the end of a UI capture (headless runs end with main.ts's "Done:" line instead). */
export function logCaptureEnd(session: Session, result: SessionResult): void {
  const facts = captureEndFacts(session, result);
  const troubled = "message" in result.end || facts.recordsLost > 0;
  const message = captureEndMessage(facts);
  if (troubled) log.warn(message, { ...facts });
  else log.info(message, { ...facts });
}
