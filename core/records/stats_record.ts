/**
 * @module stats_record
 * Builds EVE `event_type: "stats"` records: Suricata's own `stats.decoder` and `stats.capture`
 * counters, and everything of ours under the top-level `summary` object.
 */
import { eveTimestamp } from "./eve_time.ts";
import type { SummarySnapshot, TrafficSummary } from "../summary/summary.ts";

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

/** What goes into one stats record besides the summary itself. */
export interface StatsContext {
  timestampUs: number;
  uptimeS: number;
  interval: IntervalCounts;
  kernel: KernelCounters | null;
  source: { name: string; live: boolean; link_type: string };
  final: boolean;
  /** Extra sections of ours (alerts, detector trackers...), merged into `summary`. */
  extra?: Record<string, unknown>;
}

/** The EVE stats record for the summary's current state. */
export function buildStatsRecord(summary: TrafficSummary, context: StatsContext) {
  const snapshot: SummarySnapshot = summary.snapshot();
  const p = summary.protocolCounts();
  const seconds = Math.max((context.interval.endUs - context.interval.startUs) / 1e6, 1e-6);
  const record: Record<string, unknown> = {
    timestamp: eveTimestamp(context.timestampUs),
    event_type: "stats",
    stats: {
      uptime: Math.max(0, Math.round(context.uptimeS)),
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
      ...(context.kernel === null ? {} : {
        capture: {
          kernel_packets: context.kernel.received,
          kernel_drops: context.kernel.dropped,
          kernel_ifdrops: context.kernel.ifDropped,
        },
      }),
    },
    summary: {
      final: context.final,
      source: context.source,
      interval: {
        start: eveTimestamp(context.interval.startUs),
        end: eveTimestamp(context.interval.endUs),
        packets: context.interval.packets,
        bytes: context.interval.bytes,
        pps: round(context.interval.packets / seconds),
        bps: round((context.interval.bytes * 8) / seconds),
      },
      ...snapshot,
      first_seen: snapshot.first_seen < 0 ? null : eveTimestamp(snapshot.first_seen),
      last_seen: snapshot.last_seen < 0 ? null : eveTimestamp(snapshot.last_seen),
      capture: context.kernel === null ? null : {
        kernel_packets: context.kernel.received,
        kernel_drops: context.kernel.dropped,
        kernel_ifdrops: context.kernel.ifDropped,
        drop_percent: context.kernel.received === 0
          ? 0
          : round((100 * context.kernel.dropped) / context.kernel.received),
      },
      ...context.extra,
    },
  };
  return record;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
