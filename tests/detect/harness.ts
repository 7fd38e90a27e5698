/**
 * @module harness
 * Drives the real Engine (decode -> summary -> detection) with frames at explicit packet times
 * and collects the records it writes, for detector tests. Addresses containing ":" make IPv6
 * frames, others IPv4.
 */
import assert from "node:assert/strict";
import { DETECTOR_NAMES, type DetectorName } from "../../core/detect/catalog.ts";
import { applyOverrides, defaultConfig } from "../../core/config.ts";
import { PacketDecoder } from "../../core/decode/decoder.ts";
import { Engine } from "../../core/engine.ts";
import { PacketBatch } from "../../core/packet_batch.ts";
import { EN10MB, ethernet, icmp, ipv4, ipv6, tcp, udp } from "../support/frames.ts";
import { loadEveValidator } from "../support/eve_schema.ts";

/** Packet time zero of the tests, µs (2023-11-14T22:13:20Z). */
export const T0 = 1_700_000_000_000_000;
export const SECOND = 1_000_000;

export const SYN = 0x02;
export const FIN = 0x01;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;

const isV6 = (address: string) => address.includes(":");

/** An Ethernet frame carrying `payload` over IPv4 or IPv6 (chosen by the addresses). */
export function ipFrame(src: string, dst: string, proto: number, payload: Uint8Array): Uint8Array {
  if (isV6(src)) {
    return ethernet(0x86dd, ipv6({ nextHeader: proto, src, dst, payload }));
  }
  return ethernet(0x0800, ipv4({ proto, src, dst, payload }));
}

/** A TCP segment with `flags` (SYN by default). */
export function tcpFrame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  flags = SYN,
): Uint8Array {
  return ipFrame(src, dst, 6, tcp({ sport, dport, flags }));
}

export function udpFrame(src: string, dst: string, sport: number, dport: number): Uint8Array {
  return ipFrame(src, dst, 17, udp({ sport, dport, payload: [1, 2, 3, 4] }));
}

/** An ICMP or ICMPv6 echo request. */
export function echoRequest(src: string, dst: string): Uint8Array {
  return isV6(src) ? ipFrame(src, dst, 58, icmp(128, 0)) : ipFrame(src, dst, 1, icmp(8, 0));
}

export function echoReply(src: string, dst: string): Uint8Array {
  return isV6(src) ? ipFrame(src, dst, 58, icmp(129, 0)) : ipFrame(src, dst, 1, icmp(0, 0));
}

/** The packet an ICMP error quotes: `proto` (6 or 17) from quotedSrc:sport to quotedDst:dport. */
export interface Quoted {
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
}

/**
 * An ICMP error from `router` to the quoted packet's sender. Default: port unreachable
 * (ICMP 3/3, ICMPv6 1/4).
 */
export function icmpError(
  router: string,
  q: Quoted,
  type = isV6(router) ? 1 : 3,
  code = isV6(router) ? 4 : 3,
): Uint8Array {
  const transport = q.proto === 6
    ? tcp({ sport: q.sport, dport: q.dport })
    : udp({ sport: q.sport, dport: q.dport });
  const quoted = isV6(router)
    ? ipv6({ nextHeader: q.proto, src: q.src, dst: q.dst, payload: transport })
    : ipv4({ proto: q.proto, src: q.src, dst: q.dst, payload: transport });
  return ipFrame(router, q.src, isV6(router) ? 58 : 1, icmp(type, code, quoted));
}

/** Decodes frames into one batch, each with its packet time. */
export function batchOf(packets: { tsUs: number; frame: Uint8Array }[]): PacketBatch {
  const decoder = new PacketDecoder(EN10MB);
  const batch = new PacketBatch(Math.max(1, packets.length));
  for (const { tsUs, frame } of packets) {
    decoder.decode(
      { bytes: frame, start: 0, capLen: frame.length, wireLen: frame.length, timestampUs: tsUs },
      batch,
    );
  }
  return batch;
}

/** An alert record as tests read it. */
export interface AlertRecord {
  timestamp: string;
  src_ip?: string;
  dest_ip?: string;
  dest_port?: number;
  proto?: string;
  alert: { signature: string; signature_id: number };
  detection: {
    detector: string;
    state: "start" | "update" | "end";
    count: number;
    observed: number;
    peak: number;
    threshold: number;
    first_seen: string;
    last_seen: string;
  };
}

/** An Engine over the default config plus `overrides`, and every record it wrote. */
export class Run {
  readonly engine: Engine;
  readonly records: Record<string, unknown>[] = [];

  constructor(overrides: unknown = {}) {
    this.engine = new Engine({
      config: applyOverrides(defaultConfig(), overrides),
      writer: null,
      source: { name: "test", live: false, link_type: "EN10MB" },
      listeners: [(r) => this.records.push(r)],
    });
  }

  /** Sends one frame at `T0 + seconds`. */
  send(seconds: number, frame: Uint8Array): this {
    this.engine.ingest(batchOf([{ tsUs: T0 + Math.round(seconds * SECOND), frame }]));
    return this;
  }

  /** Moves packet time to `T0 + seconds` without a packet. */
  tick(seconds: number): this {
    this.engine.tick(T0 + Math.round(seconds * SECOND));
    return this;
  }

  /** Ends the capture (pending attempts time out, open alerts end). */
  finish(): this {
    this.engine.finish();
    return this;
  }

  /** Alert records, of one detector when given, optionally of one state. */
  alerts(detector?: string, state?: "start" | "update" | "end"): AlertRecord[] {
    return (this.records.filter((r) => r.event_type === "alert") as unknown as AlertRecord[])
      .filter((a) => detector === undefined || a.detection.detector === detector)
      .filter((a) => state === undefined || a.detection.state === state);
  }

  /** The alert manager's counters of one detector. */
  counts(detector: string): { started: number; active: number; suppressed: number } {
    const counts = this.engine.detection.alertCounts().by_detector[detector];
    return counts ?? { started: 0, active: 0, suppressed: 0 };
  }

  /** Every alert record must validate against Suricata's EVE schema (when it is available). */
  assertEveValid(): void {
    const validate = loadEveValidator();
    if (validate === null) return;
    for (const record of this.records.filter((r) => r.event_type === "alert")) {
      assert.equal(validate(record), null, JSON.stringify(record));
    }
  }
}

/** Every detector off but `names` (so a test sees only what it is about). */
export function only(...names: DetectorName[]): Record<string, unknown> {
  return Object.fromEntries(DETECTOR_NAMES.map((n) => [`detect.${n}.enabled`, names.includes(n)]));
}
