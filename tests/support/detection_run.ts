/**
 * @module detection_run
 * Drives a real Engine (decode -> summary -> detection) with Ethernet frames at explicit packet
 * times and collects the records it writes, for the detector tests; plus frame shortcuts for
 * the packets detectors care about. Addresses containing ":" make IPv6 frames, others IPv4.
 */
import assert from "node:assert/strict";
import { DETECTOR_NAMES, type DetectorName } from "../../core/detect/catalog.ts";
import { applyOverrides, defaultConfig } from "../../core/config/config.ts";
import { PacketDecoder } from "../../core/decode/decoder.ts";
import { Engine } from "../../core/run/engine.ts";
import type { AlertTrigger } from "../../core/records/pivot_fields.ts";
import { PacketBatch } from "../../core/packet/packet_batch.ts";
import { loadEveValidator } from "./eve_schema.ts";
import { EN10MB, ethernet, icmp, ipv4, ipv6, tcp, udp } from "./frames.ts";
import { SECOND_US as SECOND, T0_US as T0 } from "./base.ts";

/** Packet time zero of the tests (`T0`) and one second (`SECOND`), µs: tests/support/base.ts. */
export { SECOND_US as SECOND, T0_US as T0 } from "./base.ts";

export const SYN = 0x02;
export const FIN = 0x01;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const SYN_ACK = 0x12;

/** A frame and its packet time. */
export interface Timed {
  tsUs: number;
  frame: Uint8Array;
}

/** What tests read of an alert record. */
export interface Alert {
  timestamp: string;
  src_ip?: string;
  src_port?: number;
  dest_ip?: string;
  dest_port?: number;
  proto?: string;
  community_id?: string;
  host: string;
  in_iface?: string;
  capture_file?: string;
  alert: {
    signature: string;
    signature_id: number;
    category: string;
    severity: number;
    source?: { ip: string; port?: number };
    target?: { ip: string; port?: number };
  };
  detection: {
    detector: string;
    message: string;
    trigger?: AlertTrigger;
    state: "start" | "update" | "end";
    alert_id: string;
    count: number;
    observed: number;
    peak: number;
    threshold: number;
    window_s: number;
    first_seen: string;
    last_seen: string;
    explanation: string;
    duration_s?: number;
  };
}

const validate = loadEveValidator();

/** Decodes frames into one batch, each with its packet time. */
export function batchOf(packets: Timed[]): PacketBatch {
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

/** An engine reading frames "from a file", with every record it writes collected. */
export class DetectionRun {
  readonly engine: Engine;
  readonly records: Record<string, unknown>[] = [];

  constructor(overrides: unknown = {}, live = false) {
    this.engine = new Engine({
      config: applyOverrides(defaultConfig(), overrides),
      writer: null,
      source: { name: "test", live, link_type: "EN10MB" },
      listeners: [(r) => this.records.push(r)],
    });
  }

  /** Decodes and ingests `packets` (in time order) in one batch. */
  feed(packets: Timed[]): this {
    this.engine.ingest(batchOf(packets));
    return this;
  }

  /** Sends one frame at `T0 + seconds`. */
  send(seconds: number, frame: Uint8Array): this {
    return this.feed([{ tsUs: T0 + Math.round(seconds * SECOND), frame }]);
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

  /** Alert records, optionally of one detector and state; each checked against EVE. */
  alerts(detector?: string, state?: Alert["detection"]["state"]): Alert[] {
    const out: Alert[] = [];
    for (const r of this.records) {
      if (r.event_type !== "alert") continue;
      assert.equal(validate(r), null, JSON.stringify(r));
      const a = r as unknown as Alert;
      if (detector !== undefined && a.detection.detector !== detector) continue;
      if (state !== undefined && a.detection.state !== state) continue;
      out.push(a);
    }
    return out;
  }

  /** Start records of `detector`. */
  starts(detector: string): Alert[] {
    return this.alerts(detector, "start");
  }

  /** The alert manager's counters of one detector. */
  counts(
    detector: string,
  ): { started: number; active: number; suppressed: number; dropped: number } {
    const counts = this.engine.detection.alertCounts().by_detector[detector];
    return counts ?? { started: 0, active: 0, suppressed: 0, dropped: 0 };
  }

  /** Every record (alerts and stats) must validate against tests/schema/anomaly-eve.schema.json. */
  assertEveValid(): void {
    for (const record of this.records) {
      assert.equal(validate(record), null, JSON.stringify(record));
    }
  }
}

/** Every detector off but `names` (so a test sees only what it is about). */
export function only(...names: DetectorName[]): Record<string, unknown> {
  return Object.fromEntries(DETECTOR_NAMES.map((n) => [`detect.${n}.enabled`, names.includes(n)]));
}

/** `n` packets spread evenly over `spanUs` from `startUs`, frame by index. */
export function spread(
  n: number,
  startUs: number,
  spanUs: number,
  frame: (i: number) => Uint8Array,
): Timed[] {
  return Array.from({ length: n }, (_, i) => ({
    tsUs: startUs + Math.floor((i * spanUs) / n),
    frame: frame(i),
  }));
}

/** The i-th address of 10.<a>.0.0/16 (i < 65536). */
export function addr4(a: number, i: number): string {
  return `10.${a}.${(i >> 8) & 255}.${i & 255}`;
}

/** An Ethernet frame carrying `payload` over IPv4 or IPv6 (chosen by the addresses). */
export function ipFrame(
  src: string,
  dst: string,
  proto: number,
  payload: Uint8Array,
  id?: number,
): Uint8Array {
  return src.includes(":")
    ? ethernet(0x86dd, ipv6({ nextHeader: proto, src, dst, payload }))
    : ethernet(0x0800, ipv4({ proto, src, dst, payload, id }));
}

/** A TCP segment (SYN by default). */
export function tcpFrame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  flags = SYN,
): Uint8Array {
  return ipFrame(src, dst, 6, tcp({ sport, dport, flags }));
}

/** A UDP datagram. */
export function udpFrame(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  size = 32,
): Uint8Array {
  return ipFrame(src, dst, 17, udp({ sport, dport, payload: new Uint8Array(size) }));
}

/** An ICMP (IPv4) or ICMPv6 echo request (or reply). */
export function echoFrame(src: string, dst: string, reply = false): Uint8Array {
  const v6 = src.includes(":");
  const type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
  return ipFrame(src, dst, v6 ? 58 : 1, icmp(type, 0, new Uint8Array(16)));
}

/**
 * An IPv4 UDP datagram in fragments: the first (with the UDP header) then `later` fragments of
 * 64 bytes each (no ports), all with IP id `id`.
 */
export function udpFragments(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  id: number,
  later = 1,
): Uint8Array[] {
  const first = ethernet(
    0x0800,
    ipv4({
      proto: 17,
      src,
      dst,
      id,
      moreFragments: true,
      payload: udp({ sport, dport, length: 8 + 56 + 64 * later, payload: new Uint8Array(56) }),
    }),
  );
  const rest = Array.from({ length: later }, (_, k) =>
    ethernet(
      0x0800,
      ipv4({
        proto: 17,
        src,
        dst,
        id,
        fragOffset: 64 * (k + 1),
        moreFragments: k < later - 1,
        payload: new Uint8Array(64),
      }),
    ));
  return [first, ...rest];
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
  type = router.includes(":") ? 1 : 3,
  code = router.includes(":") ? 4 : 3,
): Uint8Array {
  const v6 = router.includes(":");
  const transport = q.proto === 6
    ? tcp({ sport: q.sport, dport: q.dport })
    : udp({ sport: q.sport, dport: q.dport });
  const quoted = v6
    ? ipv6({ nextHeader: q.proto, src: q.src, dst: q.dst, payload: transport })
    : ipv4({ proto: q.proto, src: q.src, dst: q.dst, payload: transport });
  return ipFrame(router, q.src, v6 ? 58 : 1, icmp(type, code, quoted));
}
