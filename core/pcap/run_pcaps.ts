/**
 * @module run_pcaps
 * The alert pcaps as a capture run uses them (core/run/session.ts): made when `pcap.enabled`,
 * the run has a log directory and its source keeps frames; fed every batch before the engine
 * analyses it; and the engine's record decorator, which names an alert's pcap in
 * `detection.pcap` and puts the counts in each stats record's `summary.pcap`.
 */
import type { Config } from "../config/config.ts";
import type { EveRecord } from "../records/eve_records.ts";
import type { PacketBatch } from "../packet/packet_batch.ts";
import { AlertPcaps, pcapSettings } from "./alert_pcaps.ts";
import { log } from "../records/diagnostics.ts";

/** What a packet source tells about its frames (ffi/capture.ts's Capture has both). */
export interface FrameSource {
  /** DLT_* link type; a source without it keeps no frames. */
  readonly linkType?: number;
  readonly snaplen?: number;
}

/** The alert pcaps of one run. */
export class RunPcaps {
  #failures = 0;
  private constructor(readonly pcaps: AlertPcaps) {}

  /** Null when pcaps are off, or cannot be written (said once, see AlertPcaps.open). */
  static open(config: Config, logDirectory: string | null, source: FrameSource): RunPcaps | null {
    const settings = pcapSettings(config);
    if (!settings.enabled || logDirectory === null || source.linkType === undefined) return null;
    const pcaps = AlertPcaps.open(logDirectory, {
      settings,
      linkType: source.linkType,
      snaplen: source.snaplen ?? 0,
    });
    return pcaps === null ? null : new RunPcaps(pcaps);
  }

  /** Called with each batch before the engine takes it; never throws (a failure is logged). */
  add(batch: PacketBatch): void {
    try {
      this.pcaps.add(batch);
    } catch (error) {
      // A bug here must cost alert pcaps, never the analysis of the batch.
      if (this.#failures++ === 0) log.error("Alert pcaps failed on a batch: {error}", { error });
    }
  }

  /** The engine's `decorate`: names the pcap in alert records, counts in stats records. */
  readonly decorate = (record: EveRecord): void => {
    if (record.event_type === "stats") {
      record.summary.pcap = this.pcaps.counts();
      return;
    }
    const d = record.detection;
    const path = this.pcaps.pathFor({
      id: d.alert_id,
      state: d.state,
      srcIp: record.src_ip,
      destIp: record.dest_ip,
      atUs: eveTimeUs(record.timestamp),
    });
    if (path !== undefined) d.pcap = path;
  };

  /** Completes the files still waiting for their after-window (the capture ended). */
  finish(): void {
    this.pcaps.finish();
  }
}

/** Microseconds of an EVE timestamp ("2026-05-04T10:15:02.123456+0000", always UTC). */
export function eveTimeUs(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 19)}Z`) * 1000 + Number(timestamp.slice(20, 26));
}
