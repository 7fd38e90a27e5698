/**
 * @module summary
 * The traffic summary: totals, protocol mix, direction split, top talkers and ports, distinct
 * addresses, a per-second series and decode events. Every table is bounded.
 */
import { HostCounterTable, type HostCounts, type HostRanking } from "./host_counters.ts";
import { WatchedHosts } from "./watched_hosts.ts";
import { DistinctCounter } from "./distinct_count.ts";
import { DIRECTION_NAMES } from "../packet/direction.ts";
import { EVENT_COUNT, eventName } from "../decode/events.ts";
import { TrafficSeries } from "./traffic_series.ts";
import { keyText, type TableKey } from "../packet/host_key.ts";
import { PROTOCOL_NAMES } from "../packet/packet_batch.ts";
import type { SummaryTarget } from "./apply_rows.ts";

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
  /** Hosts given top peers and ports (`summary.watched_hosts`; 0: none). */
  watchedHosts?: number;
}

export const DEFAULT_SUMMARY_LIMITS: SummaryLimits = {
  maxHosts: 10_000,
  exactDistinctCap: 100_000,
  seriesSeconds: 300,
  topN: 10,
  watchedHosts: 32,
};

const PORT_PROTOCOLS = ["TCP", "UDP"] as const;

/**
 * Accumulates the traffic summary from batch rows (core/summary/batch_summary.ts) and, per packet, the
 * direction (decided on the main thread).
 */
export class TrafficSummary implements SummaryTarget {
  packets = 0;
  bytes = 0;
  invalid = 0;
  truncated = 0;
  unsupported = 0;
  firstTimestampUs = -1;
  lastTimestampUs = -1;
  readonly protocolPackets = new Float64Array(PROTOCOL_NAMES.length);
  readonly protocolBytes = new Float64Array(PROTOCOL_NAMES.length);
  readonly directionPackets = new Float64Array(DIRECTION_NAMES.length);
  readonly directionBytes = new Float64Array(DIRECTION_NAMES.length);
  readonly events = new Float64Array(EVENT_COUNT + 1);
  readonly #destPorts = [new Float64Array(65536), new Float64Array(65536)];
  readonly #sources: HostCounterTable;
  readonly #destinations: HostCounterTable;
  readonly #distinctSources: DistinctCounter;
  readonly #distinctDestinations: DistinctCounter;
  readonly series: TrafficSeries;
  /** Top peers and ports of the hosts opened in the UI or named by an alert. */
  watched: WatchedHosts;

  constructor(readonly limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS) {
    this.#sources = new HostCounterTable(limits.maxHosts);
    this.#destinations = new HostCounterTable(limits.maxHosts);
    this.#distinctSources = new DistinctCounter(limits.exactDistinctCap);
    this.#distinctDestinations = new DistinctCounter(limits.exactDistinctCap);
    this.series = new TrafficSeries(limits.seriesSeconds);
    this.watched = new WatchedHosts(limits.watchedHosts ?? 32, limits.topN);
  }

  /** Watches up to `capacity` hosts (`summary.watched_hosts`) from now on, none watched yet. */
  watchUpTo(capacity: number): void {
    if (capacity !== this.watched.capacity) {
      this.watched = new WatchedHosts(capacity, this.limits.topN);
    }
  }

  /** Counts a packet of `bytes` in `direction` (the rest of it comes in batch rows). */
  countDirection(direction: number, bytes: number): void {
    this.directionPackets[direction]!++;
    this.directionBytes[direction]! += bytes;
  }

  addTotals(
    firstUs: number,
    maxUs: number,
    packets: number,
    bytes: number,
    invalid: number,
    truncated: number,
    unsupported: number,
  ): void {
    if (this.firstTimestampUs < 0) this.firstTimestampUs = firstUs;
    if (maxUs > this.lastTimestampUs) this.lastTimestampUs = maxUs;
    this.packets += packets;
    this.bytes += bytes;
    this.invalid += invalid;
    this.truncated += truncated;
    this.unsupported += unsupported;
  }

  addProtocol(bit: number, packets: number, bytes: number): void {
    this.protocolPackets[bit]! += packets;
    this.protocolBytes[bit]! += bytes;
  }

  addEvent(id: number, count: number): void {
    this.events[id]! += count;
  }

  addSecond(second: number, packets: number, bytes: number): void {
    this.series.add(second, bytes, packets);
  }

  addPort(table: number, port: number, packets: number): void {
    this.#destPorts[table]![port]! += packets;
  }

  // A host already in its table was counted as distinct when it entered it, so the distinct
  // counters only see hosts new to the table (or back after an eviction: they deduplicate).
  // `counters[at..]`: packets, bytes, then TCP, UDP, ICMP packets (core/summary/batch_rows.ts).
  addSource(key: TableKey, counters: Float64Array, at: number): void {
    const isNew = this.#sources.count(key, counters[at]!, counters[at + 1]!, counters, at + 2);
    if (isNew) this.#distinctSources.add(key);
  }

  addDestination(key: TableKey, counters: Float64Array, at: number): void {
    const isNew = this.#destinations.count(key, counters[at]!, counters[at + 1]!, counters, at + 2);
    if (isNew) this.#distinctDestinations.add(key);
  }

  /**
   * What one host sent (as a source) and received (as a destination), or null while it is in
   * neither table (never seen, or evicted under many hosts).
   */
  hostTraffic(key: TableKey): HostTraffic | null {
    const sent = this.#sources.lookup(key), received = this.#destinations.lookup(key);
    if (sent === null && received === null) return null;
    return {
      packets_sent: sent?.packets ?? 0,
      bytes_sent: sent?.bytes ?? 0,
      packets_received: received?.packets ?? 0,
      bytes_received: received?.bytes ?? 0,
      protocols: protocolMix(sent, received),
    };
  }

  /** Protocol counters by `stats.decoder` name. */
  protocolCounts(): Record<(typeof PROTOCOL_NAMES)[number], number> {
    return Object.fromEntries(
      PROTOCOL_NAMES.map((p, i) => [p, this.protocolPackets[i]!]),
    ) as Record<
      (typeof PROTOCOL_NAMES)[number],
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
    PROTOCOL_NAMES.forEach((p, i) => {
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

/** One host's counters in the summary (`TrafficSummary.hostTraffic`). */
export interface HostTraffic {
  packets_sent: number;
  bytes_sent: number;
  packets_received: number;
  bytes_received: number;
  /** Packets sent and received per protocol (other: not TCP, UDP or ICMP, e.g. ARP). */
  protocols: { tcp: number; udp: number; icmp: number; other: number };
}

/** A host's packets per protocol, sent and received together. */
function protocolMix(
  sent: HostCounts | null,
  received: HostCounts | null,
): HostTraffic["protocols"] {
  const sum = (i: number) => (sent?.protocols[i] ?? 0) + (received?.protocols[i] ?? 0);
  const packets = (sent?.packets ?? 0) + (received?.packets ?? 0);
  const tcp = sum(0), udp = sum(1), icmp = sum(2);
  return { tcp, udp, icmp, other: packets - tcp - udp - icmp };
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
