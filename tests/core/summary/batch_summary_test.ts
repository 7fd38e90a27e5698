import assert from "node:assert/strict";
import { applySegment, type SummaryTarget } from "../../../core/summary/apply_rows.ts";
import { BatchSummaryCollector } from "../../../core/summary/batch_summary.ts";
import { serviceDestinationPort } from "../../../core/summary/service_port.ts";
import { HOST_COUNTERS, SEG_END, SEG_NEXT, SEG_PACKETS } from "../../../core/summary/batch_rows.ts";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { Engine } from "../../../core/run/engine.ts";
import { hostKey, type TableKey } from "../../../core/packet/host_key.ts";
import {
  F_ADDRESSES,
  F_ARP,
  F_ICMP4,
  F_ICMP6,
  F_INVALID,
  F_IPV4,
  F_IPV6,
  F_TCP,
  F_UDP,
  F_VLAN,
  PacketBatch,
  PROTOCOL_FLAGS,
  PROTOCOL_NAMES,
  RECORD_WORDS,
  W_DST_ADDR,
  W_DST_PORT,
  W_EVENT,
  W_FLAGS,
  W_NOTE_EVENT,
  W_SRC_ADDR,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_WIRE_LEN,
} from "../../../core/packet/packet_batch.ts";
import { batchOf } from "../../support/detection_run.ts";
import { ethernet, icmp, ipv4, ipv6, tcp, udp } from "../../support/frames.ts";

const T0 = 1_700_000_000_300_000;

/** A deterministic mix: IPv4 and IPv6, TCP, UDP, ICMP, a malformed header, few hosts. */
function mixedFrame(i: number): Uint8Array {
  const v4 = (host: number) => `10.0.${host % 3}.${host % 7}`;
  const v6 = (host: number) => `2001:db8::${(host % 5).toString(16)}`;
  switch (i % 6) {
    case 0:
      return ethernet(
        0x0800,
        ipv4({ proto: 6, src: v4(i), dst: v4(i + 1), payload: tcp({ dport: 20 + (i % 4) }) }),
      );
    case 1:
      return ethernet(
        0x0800,
        ipv4({ proto: 17, src: v4(i * 3), dst: v4(i), payload: udp({ dport: 53 + (i % 2) }) }),
      );
    case 2:
      return ethernet(
        0x86dd,
        ipv6({ nextHeader: 6, src: v6(i), dst: v6(i * 2), payload: httpsSegment(i) }),
      );
    case 3:
      return ethernet(0x86dd, ipv6({ nextHeader: 58, src: v6(i), payload: icmp(128, 0) }));
    case 4:
      return ethernet(0x0800, ipv4({ proto: 6, version: 5, payload: tcp() }));
    default:
      return ethernet(0x0800, ipv4({ proto: 1, src: v4(i), dst: v4(2), payload: icmp(8, 0) }));
  }
}

/** A SYN to 443, or (every other time) the server's ACK back to the client's port. */
function httpsSegment(i: number): Uint8Array {
  return i % 12 === 2 ? tcp({ dport: 443 }) : tcp({ sport: 443, dport: 40000, flags: 0x10 });
}

/** Everything rows carry, accumulated by hand from rows (or packets) in arrival order. */
class Tally implements SummaryTarget {
  first = -1;
  max = -1;
  totals = [0, 0, 0, 0, 0];
  protocols = new Map<number, [number, number]>();
  events = new Map<number, number>();
  seconds = new Map<number, [number, number]>();
  ports = new Map<string, number>();
  /** Per host: packets, bytes, TCP, UDP, ICMP packets. */
  sources = new Map<TableKey, number[]>();
  destinations = new Map<TableKey, number[]>();

  addTotals(
    first: number,
    max: number,
    ...counts: [number, number, number, number, number]
  ): void {
    if (this.first < 0) this.first = first;
    this.max = Math.max(this.max, max);
    counts.forEach((n, i) => this.totals[i]! += n);
  }
  addProtocol(bit: number, packets: number, bytes: number): void {
    add2(this.protocols, bit, packets, bytes);
  }
  addEvent(id: number, count: number): void {
    this.events.set(id, (this.events.get(id) ?? 0) + count);
  }
  addSecond(second: number, packets: number, bytes: number): void {
    add2(this.seconds, second, packets, bytes);
  }
  addPort(table: number, port: number, packets: number): void {
    const key = `${table}/${port}`;
    this.ports.set(key, (this.ports.get(key) ?? 0) + packets);
  }
  addSource(key: TableKey, counters: Float64Array, at: number): void {
    addHost(this.sources, key, counters, at);
  }
  addDestination(key: TableKey, counters: Float64Array, at: number): void {
    addHost(this.destinations, key, counters, at);
  }
}

function addHost(map: Map<TableKey, number[]>, key: TableKey, counters: Float64Array, at: number) {
  const held = map.get(key) ?? new Array(HOST_COUNTERS).fill(0);
  for (let c = 0; c < HOST_COUNTERS; c++) held[c] += counters[at + c]!;
  map.set(key, held);
}

function add2<K>(map: Map<K, [number, number]>, key: K, a: number, b: number): void {
  const held = map.get(key) ?? [0, 0];
  map.set(key, [held[0] + a, held[1] + b]);
}

/** The same tally, packet by packet from the records (no rows involved). */
function tallyPackets(batches: PacketBatch[]): Tally {
  const t = new Tally();
  for (const batch of batches) {
    for (let i = 0, base = 0; i < batch.count; i++, base += RECORD_WORDS) {
      const f = batch.fields, flags = f[base + W_FLAGS]!, bytes = f[base + W_WIRE_LEN]!;
      const ts = batch.timestampsUs[i]!;
      t.addTotals(ts, ts, 1, bytes, flags & F_INVALID ? 1 : 0, 0, 0);
      for (let bit = 0; bit < 8; bit++) if (flags & (1 << bit)) t.addProtocol(bit, 1, bytes);
      for (const id of [f[base + W_EVENT]!, f[base + W_NOTE_EVENT]!]) if (id) t.addEvent(id, 1);
      t.addSecond(Math.floor(ts / 1e6), 1, bytes);
      const port = serviceDestinationPort(
        flags,
        f[base + W_TCP_FLAGS]!,
        f[base + W_SRC_PORT]!,
        f[base + W_DST_PORT]!,
      );
      if (port >= 0) t.addPort(flags & F_TCP ? 0 : 1, port, 1);
      if (flags & F_ADDRESSES) {
        const v6 = (flags & F_IPV6) !== 0, counters = new Float64Array([1, bytes, 0, 0, 0]);
        if (flags & F_TCP) counters[2] = 1;
        else if (flags & F_UDP) counters[3] = 1;
        else if (flags & (F_ICMP4 | F_ICMP6)) counters[4] = 1;
        t.addSource(hostKey(f, base + W_SRC_ADDR, v6), counters, 0);
        t.addDestination(hostKey(f, base + W_DST_ADDR, v6), counters, 0);
      }
    }
  }
  return t;
}

function applyAll(rows: Float64Array, target: SummaryTarget): number[] {
  const ends: number[] = [];
  for (let at = 0; at < rows.length; at = rows[at + SEG_NEXT]!) {
    applySegment(target, rows, at);
    ends.push(rows[at + SEG_END]!);
  }
  return ends;
}

Deno.test("BatchSummary rows add up to the packets, hosts in order of first appearance", () => {
  // Two batches over three seconds, one packet arriving late (out of time order).
  const times = Array.from({ length: 240 }, (_, i) => T0 + i * 12_000);
  times[150] = T0 + 5_000;
  const packets = times.map((tsUs, i) => ({ tsUs, frame: mixedFrame(i) }));
  const batches = [batchOf(packets.slice(0, 100)), batchOf(packets.slice(100))];
  const collector = new BatchSummaryCollector();
  const fromRows = new Tally();
  for (const batch of batches) applyAll(collector.collect(batch), fromRows);
  const expected = tallyPackets(batches);

  assert.deepEqual(fromRows.totals, expected.totals);
  assert.ok(expected.totals[2]! > 0, "the malformed packets count as invalid");
  assert.equal(fromRows.first, T0);
  assert.equal(fromRows.max, expected.max);
  assert.deepEqual(fromRows.protocols, expected.protocols);
  assert.deepEqual(fromRows.events, expected.events);
  assert.deepEqual(fromRows.seconds, expected.seconds);
  assert.deepEqual(fromRows.ports, expected.ports);
  assert.ok(fromRows.ports.has("0/443") && !fromRows.ports.has("0/40000"), "service ports only");
  // Map equality ignores order: the order of first appearance is checked on the keys.
  assert.deepEqual(fromRows.sources, expected.sources);
  assert.deepEqual(fromRows.destinations, expected.destinations);
  assert.deepEqual([...fromRows.sources.keys()], [...expected.sources.keys()]);
  assert.deepEqual([...fromRows.destinations.keys()], [...expected.destinations.keys()]);
  assert.ok([...expected.sources.keys()].some((k) => typeof k === "string"), "IPv6 hosts too");
});

Deno.test("PROTOCOL_NAMES name the layer flags, bit by bit", () => {
  const flags = [F_VLAN, F_IPV4, F_IPV6, F_ARP, F_TCP, F_UDP, F_ICMP4, F_ICMP6];
  assert.deepEqual(flags.map((f) => PROTOCOL_NAMES[31 - Math.clz32(f)]), [...PROTOCOL_NAMES]);
  assert.equal(PROTOCOL_FLAGS, flags.reduce((a, f) => a | f, 0));
});

Deno.test("BatchSummary cuts a segment where the latest packet enters a new second from the first", () => {
  const frame = mixedFrame(0);
  const at = (seconds: number) => ({ tsUs: T0 + seconds * 1e6, frame });
  const collector = new BatchSummaryCollector();
  const segments = (batch: PacketBatch) => {
    const rows = collector.collect(batch);
    const out: [number, number][] = [];
    for (let a = 0; a < rows.length; a = rows[a + SEG_NEXT]!) {
      out.push([rows[a + SEG_END]!, rows[a + SEG_PACKETS]!]);
    }
    return out;
  };
  // 0.2 arrives after 1.0 and stays in its segment: only the latest time cuts.
  assert.deepEqual(
    segments(batchOf([at(0), at(0.5), at(0.999999), at(1), at(0.2), at(1.5), at(2), at(2.1)])),
    [[3, 3], [6, 3], [8, 2]],
  );
  // The seconds keep counting from the first packet of the capture, across batches.
  assert.deepEqual(segments(batchOf([at(2.9), at(3), at(7.5)])), [[1, 1], [2, 1], [3, 1]]);
});

Deno.test("Engine: batches with rows from another collector give the same records", () => {
  const config = applyOverrides(defaultConfig(), { stats: { interval_s: 1 } });
  const run = (withRows: boolean) => {
    const records: Record<string, unknown>[] = [];
    const engine = new Engine({
      config,
      writer: null,
      source: { name: "test", live: false, link_type: "EN10MB" },
      listeners: [(r) => records.push(r)],
    });
    const worker = new BatchSummaryCollector();
    for (let b = 0; b < 4; b++) {
      const batch = batchOf(
        Array.from({ length: 90 }, (_, i) => ({
          tsUs: T0 + (b * 90 + i) * 17_000,
          frame: mixedFrame(b * 90 + i),
        })),
      );
      if (withRows) batch.summaryRows = worker.collect(batch).slice();
      engine.ingest(batch);
    }
    engine.finish();
    return records;
  };
  const local = run(false);
  assert.ok(local.filter((r) => r.event_type === "stats").length >= 6, "boundaries in batches");
  assert.deepEqual(run(true), local);
  // Each stats record (one a second from the first packet) counts exactly the packets before it.
  const times = Array.from({ length: 360 }, (_, i) => T0 + i * 17_000);
  const periodic = local.filter((r) => r.event_type === "stats" && !isFinal(r));
  periodic.forEach((r, k) => {
    const boundary = T0 + (k + 1) * 1e6;
    const decoder = (r.stats as { decoder: { pkts: number } }).decoder;
    assert.equal(decoder.pkts, times.filter((t) => t < boundary).length, `record ${k}`);
  });
});

function isFinal(record: Record<string, unknown>): boolean {
  return (record.summary as { final: boolean }).final;
}
