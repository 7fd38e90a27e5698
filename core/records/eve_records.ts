/**
 * @module eve_records
 * The two EVE records we write, `AlertRecord` and `StatsRecord`, typed field by field as
 * tests/schema/anomaly-eve.schema.json describes them, and their builders (every field passed in).
 */
import { eveTimestamp } from "./eve_time.ts";
import type { SummarySnapshot, TrafficSummary } from "../summary/summary.ts";
import type { SeriesPoint } from "../summary/traffic_series.ts";
import type { DetectorName } from "../detect/catalog.ts";
import type { TrackerStats } from "../detect/tracking/keyed_state.ts";
import type { AlertTrigger, EveEndpoint, RecordOrigin } from "./pivot_fields.ts";

// Object type aliases rather than interfaces: they stay assignable to `Record<string, unknown>`,
// which the JSON-handling code (printer, UI, tests) reads records as.

/** Packets and bytes of one protocol or direction. */
export type PacketsBytes = { packets: number; bytes: number };

/** Suricata's `alert` object, with the fields we write. */
export type EveAlert = {
  action: "allowed";
  gid: 1;
  signature_id: number;
  rev: number;
  signature: string;
  category: string;
  severity: 1 | 2 | 3;
  source?: EveEndpoint;
  target?: EveEndpoint;
};

/** Alert lifecycle states, as written in `detection.state`. */
export type AlertState = "start" | "update" | "end";

/** Ours: the alert's lifecycle and evidence (`detection`). */
export type AlertDetection = {
  alert_id: string;
  detector: DetectorName;
  state: AlertState;
  first_seen: string;
  last_seen: string;
  count: number;
  observed: number;
  peak: number;
  threshold: number;
  window_s: number;
  direction: "other" | "incoming" | "outgoing";
  message: string;
  explanation: string;
  trigger?: AlertTrigger;
  /** Only when above 0. */
  resumed?: number;
  /** End records only. */
  duration_s?: number;
  /** Ports, hosts or sources behind the alert, bounded lists with their true totals. */
  evidence?: AlertEvidence;
  /** The packets behind the alert, relative to the log directory (core/pcap/), while on disk. */
  pcap?: string;
};

/**
 * What an alert's detector counted (`detection.evidence`): lists of at most
 * `alerts.evidence_list_max` items, first seen first, and their true totals over the alert's
 * life (exact, or estimated past `alerts.evidence_exact_max` where `*_exact` says false).
 */
export type AlertEvidence = {
  /** "tcp/80", "udp/53", or "proto/47" for IP protocols. */
  ports?: string[];
  ports_total?: number;
  hosts?: string[];
  hosts_total?: number;
  hosts_exact?: boolean;
  sources?: string[];
  sources_total?: number;
  sources_exact?: boolean;
  peak: number;
};

/** An EVE `alert` record; the engine adds its origin (pivot_fields.ts `withOrigin`). */
export type AlertRecord = {
  timestamp: string;
  event_type: "alert";
  src_ip?: string;
  src_port?: number;
  dest_ip?: string;
  dest_port?: number;
  proto?: string;
  community_id?: string;
  alert: EveAlert;
  detection: AlertDetection;
} & Partial<RecordOrigin>;

/** Kernel counters from pcap_stats, as Suricata's `stats.capture` names them. */
export type EveCapture = { kernel_packets: number; kernel_drops: number; kernel_ifdrops: number };

/** Alert counters for stats records and the UI. */
export type AlertCounts = {
  started: number;
  active: number;
  ended: number;
  suppressed: number;
  dropped: number;
  /** Ended alerts that resumed because their key fired again within `alerts.suppress_s`. */
  resumed: number;
  by_detector: Record<
    string,
    { started: number; active: number; suppressed: number; dropped: number }
  >;
};

/** What the alert pcaps did (`summary.pcap`). */
export type PcapCounts = {
  /** Alert pcaps started by this run, and the packets written to them. */
  written: number;
  packets: number;
  /** Files in the pcap folder now (past runs included), and their bytes. */
  files: number;
  bytes: number;
  /** Oldest files deleted to stay under `pcap.max_total_bytes`. */
  evicted: number;
  /** Alert starts that got no pcap: `pcap.max_open` files were being written. */
  skipped: number;
  /** Files stopped at a bound (per alert, or the total while every other file was open). */
  truncated: number;
  /** Files given up after a write failed (disk full, folder gone). */
  failed: number;
};

/** What one output beside the records file did with the records offered to it. */
export type OutputCounts = {
  /** Records the server took (for UDP syslog: handed to the kernel). */
  sent: number;
  /** Records lost without an attempt: the queue was full, or still held at the end's deadline. */
  dropped: number;
  /** Records given up after their attempts failed (refused, too large, a hook that failed). */
  failed: number;
  /** Records waiting in the queue now. */
  queued: number;
};

/**
 * The summary snapshot's fields that a stats record writes as they are (the top lists, unique
 * counts, decode counters): typed once, in SummarySnapshot.
 */
type SnapshotFields = Omit<
  SummarySnapshot,
  "packets" | "bytes" | "first_seen" | "last_seen" | "protocols" | "direction" | "tracking"
>;

/** Ours: the traffic summary, alert counters and table sizes (`summary`). */
export type StatsSummary = SnapshotFields & {
  final: boolean;
  source: { name: string; live: boolean; link_type: string };
  interval: {
    start: string;
    end: string;
    packets: number;
    bytes: number;
    pps: number;
    bps: number;
  };
  packets: number;
  bytes: number;
  first_seen: string | null;
  last_seen: string | null;
  protocols: Record<
    "vlan" | "ipv4" | "ipv6" | "arp" | "tcp" | "udp" | "icmpv4" | "icmpv6",
    PacketsBytes
  >;
  direction: Record<"other" | "incoming" | "outgoing", PacketsBytes>;
  tracking: {
    hosts_cap: number;
    sources_tracked: number;
    destinations_tracked: number;
    source_evictions: number;
    destination_evictions: number;
  };
  capture: (EveCapture & { drop_percent: number }) | null;
  series: SeriesPoint[];
  alerts: AlertCounts;
  trackers: TrackerStats[];
  /** With a records file only. */
  records_lost?: number;
  /** The alert pcaps (core/pcap/), when they are on. */
  pcap?: PcapCounts;
  /** By output name (syslog, redis, webhook, exec), for the enabled outputs only. */
  outputs?: Record<string, OutputCounts>;
};

/** An EVE `stats` record. */
export type StatsRecord = {
  timestamp: string;
  event_type: "stats";
  stats: {
    uptime: number;
    decoder: {
      pkts: number;
      bytes: number;
      invalid: number;
      ipv4: number;
      ipv6: number;
      vlan: number;
      arp: number;
      tcp: number;
      udp: number;
      icmpv4: number;
      icmpv6: number;
    };
    /** Live captures only. */
    capture?: EveCapture;
  };
  summary: StatsSummary;
} & Partial<RecordOrigin>;

/** Every record the engine writes. */
export type EveRecord = AlertRecord | StatsRecord;

/** Everything an alert record says, times in µs of packet time. */
export interface AlertRecordInput {
  atUs: number;
  srcIp?: string | undefined;
  srcPort?: number | undefined;
  destIp?: string | undefined;
  destPort?: number | undefined;
  proto?: string | undefined;
  communityId?: string | undefined;
  alert: EveAlert;
  alertId: string;
  detector: DetectorName;
  state: AlertState;
  firstSeenUs: number;
  lastSeenUs: number;
  count: number;
  observed: number;
  peak: number;
  threshold: number;
  windowS: number;
  direction: AlertDetection["direction"];
  message: string;
  explanation: string;
  trigger?: AlertTrigger | undefined;
  evidence?: AlertEvidence | undefined;
  /** Times the alert resumed; written only when above 0. */
  resumed: number;
}

/** The EVE alert record of `input` (`duration_s` on end records only). */
export function buildAlertRecord(input: AlertRecordInput): AlertRecord {
  return {
    timestamp: eveTimestamp(input.atUs),
    event_type: "alert",
    ...(input.srcIp === undefined ? {} : { src_ip: input.srcIp }),
    ...(input.srcPort === undefined ? {} : { src_port: input.srcPort }),
    ...(input.destIp === undefined ? {} : { dest_ip: input.destIp }),
    ...(input.destPort === undefined ? {} : { dest_port: input.destPort }),
    ...(input.proto === undefined ? {} : { proto: input.proto }),
    ...(input.communityId === undefined ? {} : { community_id: input.communityId }),
    alert: input.alert,
    detection: {
      alert_id: input.alertId,
      detector: input.detector,
      state: input.state,
      first_seen: eveTimestamp(input.firstSeenUs),
      last_seen: eveTimestamp(input.lastSeenUs),
      count: input.count,
      observed: input.observed,
      peak: input.peak,
      threshold: input.threshold,
      window_s: input.windowS,
      direction: input.direction,
      message: input.message,
      explanation: input.explanation,
      ...(input.trigger === undefined ? {} : { trigger: input.trigger }),
      ...(input.resumed > 0 ? { resumed: input.resumed } : {}),
      ...(input.state === "end"
        ? { duration_s: round3((input.lastSeenUs - input.firstSeenUs) / 1e6) }
        : {}),
      ...(input.evidence === undefined ? {} : { evidence: input.evidence }),
    },
  };
}

/** Kernel counters from pcap_stats, for live captures. */
export interface KernelCounters {
  received: number;
  dropped: number;
  ifDropped: number;
}

/** Counts over the interval a stats record covers. */
export interface IntervalCounts {
  startUs: number;
  endUs: number;
  packets: number;
  bytes: number;
}

/** What goes into one stats record besides the traffic summary itself. */
export interface StatsRecordInput {
  timestampUs: number;
  uptimeS: number;
  interval: IntervalCounts;
  kernel: KernelCounters | null;
  source: StatsSummary["source"];
  final: boolean;
  series: SeriesPoint[];
  alerts: AlertCounts;
  trackers: TrackerStats[];
  /** Records lost so far to failed writes; null without a records file (the field is left out). */
  recordsLost: number | null;
  /** Counts of the enabled outputs; null (the field is left out) when none is enabled. */
  outputs?: Record<string, OutputCounts> | null;
}

/** The EVE stats record for the summary's current state. */
export function buildStatsRecord(summary: TrafficSummary, input: StatsRecordInput): StatsRecord {
  const snapshot = summary.snapshot();
  const p = summary.protocolCounts();
  const kernel = input.kernel;
  const seconds = Math.max((input.interval.endUs - input.interval.startUs) / 1e6, 1e-6);
  const summaryObject: StatsSummary = {
    final: input.final,
    source: input.source,
    interval: {
      start: eveTimestamp(input.interval.startUs),
      end: eveTimestamp(input.interval.endUs),
      packets: input.interval.packets,
      bytes: input.interval.bytes,
      pps: round2(input.interval.packets / seconds),
      bps: round2((input.interval.bytes * 8) / seconds),
    },
    packets: snapshot.packets,
    bytes: snapshot.bytes,
    first_seen: snapshot.first_seen < 0 ? null : eveTimestamp(snapshot.first_seen),
    last_seen: snapshot.last_seen < 0 ? null : eveTimestamp(snapshot.last_seen),
    // Filled from PROTOCOL_NAMES and DIRECTION_NAMES, the names typed above.
    protocols: snapshot.protocols as StatsSummary["protocols"],
    direction: snapshot.direction as StatsSummary["direction"],
    top_sources_by_packets: snapshot.top_sources_by_packets,
    top_sources_by_bytes: snapshot.top_sources_by_bytes,
    top_destinations_by_packets: snapshot.top_destinations_by_packets,
    top_destinations_by_bytes: snapshot.top_destinations_by_bytes,
    top_dest_ports: snapshot.top_dest_ports,
    unique_src_ips: snapshot.unique_src_ips,
    unique_dst_ips: snapshot.unique_dst_ips,
    unique_ips_exact: snapshot.unique_ips_exact,
    invalid: snapshot.invalid,
    truncated: snapshot.truncated,
    unsupported: snapshot.unsupported,
    decode_events: snapshot.decode_events,
    tracking: snapshot.tracking as StatsSummary["tracking"],
    capture: kernel === null ? null : {
      ...eveCapture(kernel),
      drop_percent: kernel.received === 0 ? 0 : round2((100 * kernel.dropped) / kernel.received),
    },
    series: input.series,
    alerts: input.alerts,
    trackers: input.trackers,
    ...(input.recordsLost === null ? {} : { records_lost: input.recordsLost }),
    ...(input.outputs == null ? {} : { outputs: input.outputs }),
  };
  return {
    timestamp: eveTimestamp(input.timestampUs),
    event_type: "stats",
    stats: {
      uptime: Math.max(0, Math.round(input.uptimeS)),
      decoder: {
        pkts: summary.packets,
        bytes: summary.bytes,
        invalid: summary.invalid,
        ipv4: p.ipv4,
        ipv6: p.ipv6,
        vlan: p.vlan,
        arp: p.arp,
        tcp: p.tcp,
        udp: p.udp,
        icmpv4: p.icmpv4,
        icmpv6: p.icmpv6,
      },
      ...(kernel === null ? {} : { capture: eveCapture(kernel) }),
    },
    summary: summaryObject,
  };
}

function eveCapture(kernel: KernelCounters): EveCapture {
  return {
    kernel_packets: kernel.received,
    kernel_drops: kernel.dropped,
    kernel_ifdrops: kernel.ifDropped,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
