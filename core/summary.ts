/**
 * @module summary
 * The traffic summary: totals, protocol mix, direction split, top talkers and ports, distinct
 * addresses, a per-second series and decode events. Every table is bounded.
 */
import { HostCounterTable, type HostRanking } from "./host_counters.ts";
import { DistinctCounter } from "./distinct_count.ts";
import { DIRECTION_NAMES } from "./direction.ts";
import { EVENT_COUNT, eventName } from "./decode/events.ts";
import {
  F_ADDRESSES,
  F_ARP,
  F_ICMP4,
  F_ICMP6,
  F_INVALID,
  F_IPV4,
  F_IPV6,
  F_TCP,
  F_TRUNCATED,
  F_UDP,
  F_UNSUPPORTED,
  F_VLAN,
  W_DST_ADDR,
  W_DST_PORT,
  W_EVENT,
  W_NOTE_EVENT,
  W_SRC_ADDR,
  W_WIRE_LEN,
} from "./packet_batch.ts";
import { TrafficSeries } from "./traffic_series.ts";
import { hostKey, keyText } from "./host_key.ts";

/** Limits of the summary's tables (config keys `summary.*`). */
export interface SummaryLimits {
  /** Hosts tracked per side (sources, destinations) for top talkers. */
  maxHosts: number;
  /** Distinct addresses counted exactly before switching to an estimate. */
  exactDistinctCap: number;
  /** Seconds of per-second history kept. */
  seriesSeconds: number;
  /** Entries in each top-N list. */
  topN: number;
}

export const DEFAULT_SUMMARY_LIMITS: SummaryLimits = {
  maxHosts: 10_000,
  exactDistinctCap: 100_000,
  seriesSeconds: 300,
  topN: 10,
};

/**
 * Counter names of the protocol mix, in `stats.decoder` spelling, indexed by the bit position of
 * their flag so the hot path walks only the bits that are set.
 */
const PROTOCOLS = ["vlan", "ipv4", "ipv6", "arp", "tcp", "udp", "icmpv4", "icmpv6"] as const;
const PROTOCOL_MASK = F_VLAN | F_IPV4 | F_IPV6 | F_ARP | F_TCP | F_UDP | F_ICMP4 | F_ICMP6;
const PORT_PROTOCOLS = ["TCP", "UDP"] as const;

/** Accumulates the traffic summary, one packet record at a time. */
export class TrafficSummary {
  packets = 0;
  bytes = 0;
  invalid = 0;
  truncated = 0;
  unsupported = 0;
  firstTimestampUs = -1;
  lastTimestampUs = -1;
  readonly protocolPackets = new Float64Array(PROTOCOLS.length);
  readonly protocolBytes = new Float64Array(PROTOCOLS.length);
  readonly directionPackets = new Float64Array(DIRECTION_NAMES.length);
  readonly directionBytes = new Float64Array(DIRECTION_NAMES.length);
  readonly events = new Float64Array(EVENT_COUNT + 1);
  readonly #destPorts = [new Float64Array(65536), new Float64Array(65536)];
  readonly #sources: HostCounterTable;
  readonly #destinations: HostCounterTable;
  readonly #distinctSources: DistinctCounter;
  readonly #distinctDestinations: DistinctCounter;
  readonly series: TrafficSeries;

  constructor(readonly limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS) {
    this.#sources = new HostCounterTable(limits.maxHosts);
    this.#destinations = new HostCounterTable(limits.maxHosts);
    this.#distinctSources = new DistinctCounter(limits.exactDistinctCap);
    this.#distinctDestinations = new DistinctCounter(limits.exactDistinctCap);
    this.series = new TrafficSeries(limits.seriesSeconds);
  }

  /** Counts the packet record at `base` of `fields`, seen at `timestampUs` in `direction`. */
  observe(fields: Int32Array, base: number, timestampUs: number, direction: number): void {
    const flags = fields[base + 2]!;
    const bytes = fields[base + W_WIRE_LEN]!;
    this.packets++;
    this.bytes += bytes;
    if (this.firstTimestampUs < 0) this.firstTimestampUs = timestampUs;
    if (timestampUs > this.lastTimestampUs) this.lastTimestampUs = timestampUs;
    this.series.add(Math.floor(timestampUs / 1e6), bytes);
    this.directionPackets[direction]!++;
    this.directionBytes[direction]! += bytes;
    this.#countFlags(flags, bytes);
    this.events[fields[base + W_EVENT]!]!++;
    this.events[fields[base + W_NOTE_EVENT]!]!++;
    if (flags & F_ADDRESSES) this.#countHosts(fields, base, flags, bytes);
    const port = fields[base + W_DST_PORT]!;
    if (port >= 0) {
      if (flags & F_TCP) this.#destPorts[0]![port]!++;
      else if (flags & F_UDP) this.#destPorts[1]![port]!++;
    }
  }

  #countFlags(flags: number, bytes: number): void {
    if (flags & F_INVALID) this.invalid++;
    if (flags & F_TRUNCATED) this.truncated++;
    if (flags & F_UNSUPPORTED) this.unsupported++;
    for (let rest = flags & PROTOCOL_MASK; rest !== 0; rest &= rest - 1) {
      const bit = 31 - Math.clz32(rest & -rest);
      this.protocolPackets[bit]!++;
      this.protocolBytes[bit]! += bytes;
    }
  }

  #countHosts(fields: Int32Array, base: number, flags: number, bytes: number): void {
    const v6 = (flags & F_IPV6) !== 0;
    const src = hostKey(fields, base + W_SRC_ADDR, v6);
    const dst = hostKey(fields, base + W_DST_ADDR, v6);
    // A host already in its table was counted as distinct when it entered it, so the distinct
    // counters only see hosts new to the table (or back after an eviction: they deduplicate).
    if (this.#sources.count(src, bytes)) {
      this.#distinctSources.add(src);
    }
    if (this.#destinations.count(dst, bytes)) {
      this.#distinctDestinations.add(dst);
    }
  }

  /** Protocol counters by `stats.decoder` name. */
  protocolCounts(): Record<(typeof PROTOCOLS)[number], number> {
    return Object.fromEntries(PROTOCOLS.map((p, i) => [p, this.protocolPackets[i]!])) as Record<
      (typeof PROTOCOLS)[number],
      number
    >;
  }

  /** Decode event counts by name, only those seen. */
  eventCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let id = 1; id < this.events.length; id++) {
      if (this.events[id]! > 0) out[eventName(id)] = this.events[id]!;
    }
    return out;
  }

  /** The summary as plain data for records, the API and the UI. */
  snapshot(): SummarySnapshot {
    const n = this.limits.topN;
    const hosts = (t: HostCounterTable, by: HostRanking) =>
      t.top(n, by).map((h) => ({ ip: keyText(h.key), packets: h.packets, bytes: h.bytes }));
    const protocols: Record<string, { packets: number; bytes: number }> = {};
    PROTOCOLS.forEach((p, i) => {
      protocols[p] = { packets: this.protocolPackets[i]!, bytes: this.protocolBytes[i]! };
    });
    const direction: Record<string, { packets: number; bytes: number }> = {};
    DIRECTION_NAMES.forEach((d, i) => {
      direction[d] = { packets: this.directionPackets[i]!, bytes: this.directionBytes[i]! };
    });
    return {
      packets: this.packets,
      bytes: this.bytes,
      first_seen: this.firstTimestampUs,
      last_seen: this.lastTimestampUs,
      protocols,
      direction,
      top_sources_by_packets: hosts(this.#sources, "packets"),
      top_sources_by_bytes: hosts(this.#sources, "bytes"),
      top_destinations_by_packets: hosts(this.#destinations, "packets"),
      top_destinations_by_bytes: hosts(this.#destinations, "bytes"),
      top_dest_ports: this.#topPorts(n),
      unique_src_ips: this.#distinctSources.count,
      unique_dst_ips: this.#distinctDestinations.count,
      unique_ips_exact: this.#distinctSources.exact && this.#distinctDestinations.exact,
      invalid: this.invalid,
      truncated: this.truncated,
      unsupported: this.unsupported,
      decode_events: this.eventCounts(),
      tracking: {
        hosts_cap: this.limits.maxHosts,
        sources_tracked: this.#sources.size,
        destinations_tracked: this.#destinations.size,
        source_evictions: this.#sources.evictions,
        destination_evictions: this.#destinations.evictions,
      },
    };
  }

  #topPorts(n: number): { proto: string; port: number; packets: number }[] {
    const all: { proto: string; port: number; packets: number }[] = [];
    this.#destPorts.forEach((counts, p) => {
      for (let port = 0; port < counts.length; port++) {
        if (counts[port]! > 0) {
          all.push({ proto: PORT_PROTOCOLS[p]!, port, packets: counts[port]! });
        }
      }
    });
    return all.sort((a, b) => b.packets - a.packets || a.port - b.port).slice(0, n);
  }
}

/** What `TrafficSummary.snapshot()` returns. */
export interface SummarySnapshot {
  packets: number;
  bytes: number;
  first_seen: number;
  last_seen: number;
  protocols: Record<string, { packets: number; bytes: number }>;
  direction: Record<string, { packets: number; bytes: number }>;
  top_sources_by_packets: { ip: string; packets: number; bytes: number }[];
  top_sources_by_bytes: { ip: string; packets: number; bytes: number }[];
  top_destinations_by_packets: { ip: string; packets: number; bytes: number }[];
  top_destinations_by_bytes: { ip: string; packets: number; bytes: number }[];
  top_dest_ports: { proto: string; port: number; packets: number }[];
  unique_src_ips: number;
  unique_dst_ips: number;
  unique_ips_exact: boolean;
  invalid: number;
  truncated: number;
  unsupported: number;
  decode_events: Record<string, number>;
  tracking: Record<string, number>;
}
