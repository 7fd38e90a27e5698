import assert from "node:assert/strict";
import { HostCounterTable, selectKth } from "../../core/summary/host_counters.ts";
import { DistinctCounter } from "../../core/summary/distinct_count.ts";
import { TrafficSeries } from "../../core/summary/traffic_series.ts";

Deno.test("HostCounterTable never exceeds its cap, counts evictions and keeps heavy hosts", () => {
  const table = new HostCounterTable(100);
  for (let i = 0; i < 1000; i++) table.count(-1, 1, 60);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(table.count(i, 1, 60), true, "a new host");
    assert.ok(table.size <= 100);
  }
  assert.deepEqual(table.top(1, "packets"), [{ key: -1, packets: 1000, bytes: 60_000 }]);
  assert.equal(table.evictions, 10_001 - table.size);
  assert.equal(table.count(-1, 1, 60), false, "still there");
});

Deno.test("HostCounterTable keeps the best of each ranking when pruning", () => {
  const table = new HostCounterTable(16);
  for (let i = 0; i < 500; i++) table.count("many-packets", 1, 1);
  table.count("many-bytes", 1, 9000);
  for (let i = 0; i < 100; i++) {
    table.count(i, 1, 2);
    table.count(i, 1, 2);
  }
  assert.equal(table.top(1, "packets")[0]!.key, "many-packets");
  assert.equal(table.top(1, "bytes")[0]!.key, "many-bytes");
});

Deno.test("DistinctCounter is exact under its cap and close above it", () => {
  const small = new DistinctCounter(1000);
  for (let i = 0; i < 5000; i++) small.add(i % 700);
  assert.equal(small.count, 700);
  assert.equal(small.exact, true);
  const big = new DistinctCounter(1000);
  for (let i = 0; i < 200_000; i++) big.add(i * 7919);
  assert.equal(big.exact, false);
  assert.ok(Math.abs(big.count - 200_000) / 200_000 < 0.05, `estimate ${big.count}`);
});

Deno.test("TrafficSeries keeps per-second counts and fills gaps with zeros", () => {
  const series = new TrafficSeries(10);
  series.add(100, 60);
  series.add(100, 40);
  series.add(103, 1500);
  assert.deepEqual(series.points(4), [
    { t: 100, packets: 2, bytes: 100 },
    { t: 101, packets: 0, bytes: 0 },
    { t: 102, packets: 0, bytes: 0 },
    { t: 103, packets: 1, bytes: 1500 },
  ]);
  series.add(113, 1); // wraps over second 103's slot
  assert.equal(series.points(1)[0]!.packets, 1);
  assert.equal(series.points(10).reduce((sum, p) => sum + p.packets, 0), 1);
  series.add(90, 5); // older than the window: dropped, not counted into second 100's slot
  assert.equal(series.points(10).reduce((sum, p) => sum + p.packets, 0), 1);
});

Deno.test("HostCounterTable prunes to the union of each ranking's top hosts, ties to the oldest", () => {
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < 50; round++) {
    const table = new HostCounterTable(40);
    for (let i = 0; i < 40; i++) {
      // Few distinct totals: many ties at the cut-off. Text keys too, as IPv6 hosts have.
      const key = i % 3 === 0 ? `h${i}` : i;
      const packets = 1 + Math.floor(random() * 4);
      for (let p = 0; p < packets; p++) table.count(key, 1, 1 + Math.floor(random() * 3));
    }
    const keys = (rows: { key: number | string }[]) => rows.map((r) => r.key);
    const expected = new Set([...keys(table.top(10, "packets")), ...keys(table.top(10, "bytes"))]);
    table.count("new", 1, 1); // full: prunes first
    const kept = keys(table.top(40, "packets")).filter((k) => k !== "new");
    assert.deepEqual(new Set(kept), expected, `round ${round}`);
    assert.equal(table.evictions, 40 - expected.size);
    for (const key of kept) assert.equal(table.count(key, 1, 1), false, `${key} still found`);
  }
});

Deno.test("selectKth finds the k-th smallest, duplicates included", () => {
  let seed = 99;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(random() * 60);
    const spread = 1 + Math.floor(random() * 10); // small spreads: many equal values
    const values = Float64Array.from({ length: n }, () => Math.floor(random() * spread));
    const sorted = values.slice().sort();
    const k = Math.floor(random() * n);
    assert.equal(selectKth(values.slice(), k), sorted[k], `n ${n}, k ${k}`);
  }
});
