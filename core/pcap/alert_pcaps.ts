/**
 * @module alert_pcaps
 * The packets behind an alert: when an alert starts, the packets of its key (its src_ip and
 * dest_ip, both ways; or the one address it names) from `pcap.before_s` before to
 * `pcap.after_s` after are written to `pcap/<alert_id>.pcap` in the log directory (classic pcap,
 * the capture's link type). The start record names the file at once: the packets before (from
 * the ring, core/pcap/packet_ring.ts) are written then, and the packets after are appended as
 * the batches carrying them arrive, until the after-window has passed; every later record of
 * the alert names it too while it is on disk.
 *
 * Bounds: `pcap.max_packets_per_alert` and `pcap.max_bytes_per_alert` per file (the file then
 * stops, counted as truncated), `pcap.max_open` files being written at once (a start beyond is
 * skipped, counted), and `pcap.max_total_bytes` for the folder, past runs included: the oldest
 * files are deleted first (counted as evicted).
 */
import type { AlertState, PcapCounts } from "../records/eve_records.ts";
import { type Config, flag, num } from "../config/config.ts";
import { log } from "../records/diagnostics.ts";
import { parseAddress } from "../packet/ip_address.ts";
import { FRAME_KEEP_MAX, type PacketBatch } from "../packet/packet_batch.ts";
import { PacketRing, type RingKey } from "./packet_ring.ts";
import { PcapDirectory } from "./pcap_directory.ts";
import { PcapOutput } from "./pcap_output.ts";

/** The `pcap.*` settings. */
export interface PcapSettings {
  beforeS: number;
  afterS: number;
  maxPacketsPerAlert: number;
  maxBytesPerAlert: number;
  maxTotalBytes: number;
  maxOpen: number;
  ringPackets: number;
  ringBytes: number;
}

/** The settings of the alert pcaps under `config`. */
export function pcapSettings(config: Config): PcapSettings & { enabled: boolean } {
  return {
    enabled: flag(config, "pcap.enabled"),
    beforeS: num(config, "pcap.before_s"),
    afterS: num(config, "pcap.after_s"),
    maxPacketsPerAlert: num(config, "pcap.max_packets_per_alert"),
    maxBytesPerAlert: num(config, "pcap.max_bytes_per_alert"),
    maxTotalBytes: num(config, "pcap.max_total_bytes"),
    maxOpen: num(config, "pcap.max_open"),
    ringPackets: num(config, "pcap.ring_packets"),
    ringBytes: num(config, "pcap.ring_mib") * 1024 * 1024,
  };
}

/** A pcap being written: the after-window has not passed yet. */
interface OpenPcap {
  id: string;
  key: RingKey;
  untilUs: number;
  /** Next ring packet to look at. */
  next: number;
  output: PcapOutput;
  /** Packets of `output` already in the counts. */
  counted: number;
}

/** Writes the pcaps of alerts as they start; one per capture run. */
export class AlertPcaps {
  readonly ring: PacketRing;
  readonly #open = new Map<string, OpenPcap>();
  readonly #counts = { written: 0, packets: 0, skipped: 0, truncated: 0, failed: 0 };

  private constructor(
    readonly settings: PcapSettings,
    readonly directory: PcapDirectory,
    readonly link: { linkType: number; snaplen: number },
  ) {
    this.ring = new PacketRing(settings.ringPackets, settings.ringBytes);
  }

  /** The recorder for a run writing to `logDirectory`, or null (said once) if `pcap/` fails. */
  static open(
    logDirectory: string,
    options: { settings: PcapSettings; linkType: number; snaplen: number },
  ): AlertPcaps | null {
    try {
      const directory = PcapDirectory.open(logDirectory, options.settings.maxTotalBytes);
      const snaplen = options.snaplen > 0 && options.snaplen < FRAME_KEEP_MAX
        ? options.snaplen
        : FRAME_KEEP_MAX;
      return new AlertPcaps(options.settings, directory, { linkType: options.linkType, snaplen });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.warn("{message}", {
        message: `No alert pcaps this run: cannot use ${logDirectory}/pcap (${reason}); ` +
          "fix the folder or set pcap.enabled to false",
      });
      return null;
    }
  }

  /** Takes a batch's packets into the ring (before it is analysed) and feeds open pcaps. */
  add(batch: PacketBatch): void {
    this.ring.add(batch);
    if (this.#open.size > 0) this.#collect();
  }

  /**
   * The pcap an alert record names (relative to the log directory), or undefined. A start
   * begins the file; later records name it while it is on disk.
   */
  pathFor(alert: AlertPcapQuery): string | undefined {
    const relative = `pcap/${alert.id}.pcap`;
    if (alert.state !== "start") return this.directory.has(alert.id) ? relative : undefined;
    const key = ringKey(alert.srcIp, alert.destIp);
    if (key === null) return undefined;
    if (this.#open.size >= this.settings.maxOpen) {
      this.#counts.skipped++;
      return undefined;
    }
    return this.#begin(alert.id, key, alert.atUs) ? relative : undefined;
  }

  /** Closes every file still waiting for its after-window (the capture ended). */
  finish(): void {
    for (const open of [...this.#open.values()]) this.#close(open);
  }

  counts(): PcapCounts {
    return {
      ...this.#counts,
      files: this.directory.files,
      bytes: this.directory.total,
      evicted: this.directory.evicted,
    };
  }

  #begin(id: string, key: RingKey, atUs: number): boolean {
    const ring = this.ring, fromUs = atUs - this.settings.beforeS * 1e6;
    let output: PcapOutput;
    try {
      this.directory.forget(id);
      output = PcapOutput.create(this.directory.fileOf(id), this.link);
    } catch (error) {
      this.#fail(id, error);
      return false;
    }
    this.#counts.written++;
    this.directory.grew(id, output.size);
    const untilUs = atUs + this.settings.afterS * 1e6;
    const open: OpenPcap = { id, key, untilUs, next: 0, output, counted: 0 };
    this.#open.set(id, open);
    open.next = ring.firstSince(fromUs);
    this.#feed(open);
    return true;
  }

  #collect(): void {
    for (const open of [...this.#open.values()]) this.#feed(open);
  }

  /** Writes the open pcap's packets from `next` on; closes it once past its window. */
  #feed(open: OpenPcap): void {
    const ring = this.ring, head = ring.head, s = this.settings, output = open.output;
    const key = open.key, untilUs = open.untilUs, directory = this.directory;
    let seq = Math.max(open.next, ring.oldest);
    let passed = false, added = 0;
    for (; (seq = ring.scan(seq, head, key, untilUs)) < head; seq++) {
      if (ring.timeOf(seq) > untilUs) {
        passed = true;
        break;
      }
      const size = 16 + ring.lengthOf(seq);
      if (
        output.packets >= s.maxPacketsPerAlert || output.size + size > s.maxBytesPerAlert ||
        !directory.makeRoom(added + size, this.#open)
      ) {
        this.#counts.truncated++;
        passed = true;
        break;
      }
      output.append(ring, seq);
      added += size;
    }
    open.next = seq;
    // Counted once per batch: the folder's total, and the packets.
    directory.grew(open.id, added);
    this.#counts.packets += output.packets - open.counted;
    open.counted = output.packets;
    try {
      output.flush();
    } catch (error) {
      this.#fail(open.id, error);
      this.#open.delete(open.id);
      output.close();
      return;
    }
    if (passed) this.#close(open);
  }

  #close(open: OpenPcap): void {
    this.#open.delete(open.id);
    try {
      open.output.flush();
    } catch (error) {
      this.#fail(open.id, error);
    }
    open.output.close();
  }

  #fail(id: string, error: unknown): void {
    if (this.#counts.failed++ === 0) {
      const reason = error instanceof Error ? error.message : String(error);
      log.warn("{message}", {
        message: `Cannot write the pcap of alert ${id}: ${reason}; ` +
          "alerts go on, and such pcaps are counted as failed (summary.pcap.failed)",
      });
    }
  }
}

/** What `pathFor` needs of an alert record. */
export interface AlertPcapQuery {
  id: string;
  state: AlertState;
  srcIp?: string | undefined;
  destIp?: string | undefined;
  /** Packet time of the record (µs). */
  atUs: number;
}

/** The ring key of an alert's addresses; null when it names none (or they cannot be parsed). */
export function ringKey(srcIp?: string, destIp?: string): RingKey | null {
  const a = srcIp === undefined ? null : parseAddress(srcIp);
  const b = destIp === undefined ? null : parseAddress(destIp);
  const first = a ?? b;
  if (first === null) return null;
  const second = a !== null && b !== null && b.version === a.version ? b : null;
  return { v6: first.version === 6, a: first.words, b: second?.words ?? null };
}
