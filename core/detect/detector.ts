/**
 * @module detector
 * The shape every detector has. A detector observes packets (and the connection tracker's
 * findings), keeps bounded per-key state in packet time, and tells the alert manager when a key
 * crosses its threshold. It never looks at the wall clock.
 */
import type { TableKey } from "../packet/host_key.ts";
import type { Config } from "../config/config.ts";
import type { DetectionSettings } from "./settings.ts";
import type { KernelCounters } from "../records/eve_records.ts";
import type { AlertManager } from "./alerts/alerts.ts";
import type { DetectorInfo } from "./catalog.ts";
import type { TrackerStats } from "./tracking/keyed_state.ts";
import type { PacketContext } from "./packet_context.ts";
import type { ArpPacket } from "./arp_packet.ts";

/**
 * A connection attempt seen by the tracker (core/detect/tracking/connections.ts). The tracker hands every
 * detector the same object, refilled from its tables before each call: it is valid only during
 * the call. A detector that needs an attempt later copies the fields it needs, and asks
 * `DetectorDeps.attempts.stateOf(attempt.ref)` for its state.
 */
export interface Attempt {
  /** Initiator and responder address keys (IPv4 word or IPv6 text). */
  src: TableKey;
  dst: TableKey;
  v6: boolean;
  proto: number;
  srcPort: number;
  dstPort: number;
  /** Packet time of the first packet, µs. */
  firstUs: number;
  /** Direction of the first packet (0 other, 1 incoming, 2 outgoing). */
  direction: number;
  /** TCP flags of the first packet (0 for UDP). */
  tcpFlags: number;
  /** ATTEMPT_PENDING, ATTEMPT_ANSWERED or ATTEMPT_FAILED at the time of the call. */
  readonly state: number;
  /** Names this exchange after the call, for `AttemptStates.stateOf`. */
  readonly ref: number;
}

/** The state of attempts seen earlier (the connection tracker). */
export interface AttemptStates {
  /**
   * The state of the attempt `ref` names (`Attempt.ref`), its last one if the tracker dropped
   * it; -1 once the tracker reused its place for another exchange (a full table under a flood).
   */
  stateOf(ref: number): number;
}

/** Hosts under an open SYN or UDP flood alert (the flood detector tells the tracker). */
export interface FloodFlags {
  /** `victim` is flooded at `nowUs`; the flag lasts a second of packet time unless renewed. */
  flagFlooded(victim: TableKey, nowUs: number): void;
}

/** `Attempt.state`: no answer yet. */
export const ATTEMPT_PENDING = 0;
/** `Attempt.state`: the other side answered (SYN-ACK, a UDP reply). */
export const ATTEMPT_ANSWERED = 1;
/** `Attempt.state`: refused (RST, ICMP unreachable) or unanswered past the timeout. */
export const ATTEMPT_FAILED = 2;

/** Why an attempt failed. */
export type FailureReason = "rst" | "unreachable" | "timeout";

/** A packet the destination never asked for (reflection, backscatter). */
export interface Unsolicited {
  /** The reflector (packet source) and the victim (packet destination). */
  reflector: TableKey;
  victim: TableKey;
  v6: boolean;
  proto: number;
  /** The reflector's port (the service abused), or -1 for fragments without ports. */
  reflectorPort: number;
  /** "udp" for a reflector-port response, "syn-ack" for a SYN-ACK with no SYN. */
  kind: "udp" | "syn-ack";
  timestampUs: number;
  direction: number;
}

/**
 * An IP protocol tried on a host (IP protocol scans, nmap -sO): a packet of a protocol other than
 * TCP, UDP and ICMP, or the host's ICMP protocol unreachable (ICMPv6 unrecognized next header)
 * naming one. One object, refilled for each report.
 */
export interface ProtocolProbe {
  /** The prober and the host tried. */
  src: TableKey;
  dst: TableKey;
  v6: boolean;
  /** The IP protocol number tried. */
  proto: number;
  /** True when seen in the host's reply rather than in the probe. */
  reply: boolean;
  timestampUs: number;
  /** Direction of the probe (of the reply, reversed). */
  direction: number;
}

/**
 * Sources currently flagged as attackers: scanners (over port_scan's or host_sweep's threshold)
 * and password guessers (over brute_force's).
 */
export interface ScannerFlags {
  isScanner(source: TableKey, nowUs: number): boolean;
  flag(source: TableKey, nowUs: number): void;
}

/** What a detector is built with. */
export interface DetectorDeps {
  /** The validated config map (for networkThreshold's per-network values). */
  config: Config;
  /** The same config, typed (core/detect/settings.ts). */
  settings: DetectionSettings;
  alerts: AlertManager;
  scanners: ScannerFlags;
  /** States of attempts reported earlier (the Attempt object itself is reused). */
  attempts: AttemptStates;
  /** Where the flood detector says which hosts are flooded (the tracker sheds toward them). */
  floods: FloodFlags;
  /** Every table of the pipeline (for state_saturation). */
  trackers(): TrackerStats[];
}

/** One detector. Every hook is optional except `tick` and `trackers`. */
export interface Detector {
  readonly info: DetectorInfo;
  /** Every decoded packet, after the connection tracker set `role`. */
  onPacket?(packet: PacketContext): void;
  /** Every whole ARP packet (IPv4 over Ethernet); ARP never reaches `onPacket`. */
  onArp?(packet: ArpPacket): void;
  /** A new connection attempt (TCP probe without ACK, first UDP packet of an exchange). */
  onAttempt?(attempt: Attempt, packet: PacketContext): void;
  /** An attempt that failed (RST, ICMP unreachable) or went unanswered. */
  onFailure?(attempt: Attempt, reason: FailureReason, nowUs: number): void;
  /** A packet its destination never asked for. */
  onUnsolicited?(event: Unsolicited): void;
  /** An IP protocol tried on a host (the tracker's finding; see ProtocolProbe). */
  onProtocolProbe?(probe: ProtocolProbe): void;
  /** Kernel counters of a live capture, about once a second. */
  onKernelCounters?(counters: KernelCounters, nowUs: number): void;
  /** Packet time moved on (about once a second): expire state, end windows. */
  tick(nowUs: number): void;
  /**
   * The capture stopped at `nowUs`: flush what is held for later (as if packet time ran on).
   * Detectors without it get a last `tick(nowUs)`.
   */
  finish?(nowUs: number): void;
  /** Sizes and evictions of the detector's tables. */
  trackers(): TrackerStats[];
}
