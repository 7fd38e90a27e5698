/**
 * @module run_capture
 * Runs the engine in this process over one capture file (read by the capture worker, as
 * `--read` does) and keeps what the quality report needs: packets, how the file ended, the
 * alert starts, and the restarts of a key. Whatever the file or the detectors do, this returns
 * a result: an open failure, a truncated file or an exception in the engine is reported in it.
 */
import { Capture } from "../../ffi/capture.ts";
import { CaptureError, type CaptureErrorCode } from "../../ffi/errors.ts";
import type { Config } from "../../core/config/config.ts";
import { Engine } from "../../core/run/engine.ts";
import { type AlertStartInfo, readAlertRecord } from "./alert_key.ts";

/** How reading a capture ended. */
export type CaptureStatus = "ok" | "truncated" | "open_failed" | "read_error" | "engine_error";

/** A key that started again after an earlier alert of the same detector and key ended. */
export interface Restart {
  detector: string;
  key: string;
  /** Seconds from the previous end to this start (packet time). */
  gapS: number;
}

/** What one capture gave. */
export interface CaptureResult {
  /** Path as given (under DIR). */
  path: string;
  status: CaptureStatus;
  /** The error, for any status but "ok". */
  message?: string;
  /** The capture layer's error code, when it raised or reported one. */
  code?: CaptureErrorCode;
  packets: number;
  starts: AlertStartInfo[];
  restarts: Restart[];
}

/** Reads `path` through the engine with `config`; never throws. */
export async function runCapture(path: string, config: Config): Promise<CaptureResult> {
  const result: CaptureResult = { path, status: "ok", packets: 0, starts: [], restarts: [] };
  const lastEnd = new Map<string, number>();
  const openKeys = new Map<string, string>(); // alert_id -> key
  const listener = (record: Record<string, unknown>) => {
    const alert = readAlertRecord(record);
    if (alert === null) return;
    const key = alert.start.key;
    if (alert.state === "start") {
      const ended = lastEnd.get(key);
      if (ended !== undefined) {
        result.restarts.push({ detector: alert.detector, key, gapS: (alert.atUs - ended) / 1e6 });
      }
      result.starts.push(alert.start);
      openKeys.set(alertId(record), key);
    } else if (alert.state === "end") {
      lastEnd.set(openKeys.get(alertId(record)) ?? key, alert.atUs);
    }
  };
  let capture: Capture;
  try {
    capture = await Capture.open({ read: path });
  } catch (error) {
    const code = error instanceof CaptureError ? { code: error.code } : {};
    return { ...result, status: "open_failed", message: messageOf(error), ...code };
  }
  let engine: Engine;
  try {
    engine = new Engine({
      config,
      writer: null,
      source: { name: path, live: false, link_type: capture.linkTypeName },
      listeners: [listener],
    });
  } catch (error) {
    await capture.stop();
    return { ...result, status: "engine_error", message: messageOf(error) };
  }
  try {
    const end = await capture.run({ onBatch: (batch) => engine.ingest(batch) });
    result.packets = end.packets;
    if (end.kind === "truncated" || end.kind === "error") {
      result.status = end.kind === "truncated" ? "truncated" : "read_error";
      result.message = end.message;
      result.code = end.code;
    }
  } catch (error) {
    result.status = "engine_error";
    result.message = messageOf(error);
  }
  try {
    engine.finish();
  } catch (error) {
    if (result.status === "ok") {
      result.status = "engine_error";
      result.message = messageOf(error);
    }
  }
  return result;
}

function alertId(record: Record<string, unknown>): string {
  const id = (record.detection as Record<string, unknown>).alert_id;
  return typeof id === "string" ? id : "";
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? "";
}
