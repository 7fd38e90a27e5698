import assert from "node:assert/strict";
import { BoundedTable, selectKth } from "../../core/bounded_table.ts";
import { DistinctCounter } from "../../core/distinct_count.ts";
import { TrafficSeries } from "../../core/traffic_series.ts";

Deno.test("BoundedTable never exceeds its cap, counts evictions and keeps heavy entries", () => {
  const table = new BoundedTable<{ n: number }>(100, [(v) => v.n]);
  table.insert(-1, { n: 1_000_000 });
  for (let i = 0; i < 10_000; i++) {
    table.insert(i, { n: 1 });
    assert.ok(table.size <= 100);
  }
  assert.equal(table.get(-1)?.n, 1_000_000);
  assert.equal(table.evictions, 10_001 - table.size);
});

Deno.test("BoundedTable keeps the best of each ranking when pruning", () => {
  const table = new BoundedTable<{ p: number; b: number }>(10, [(v) => v.p, (v) => v.b]);
  table.insert("many-packets", { p: 500, b: 1 });
  table.insert("many-bytes", { p: 1, b: 9000 });
  for (let i = 0; i < 100; i++) table.insert(i, { p: 2, b: 2 });
  assert.ok(table.get("many-packets"));
  assert.ok(table.get("many-bytes"));
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

Deno.test("BoundedTable prunes to the union of each ranking's top entries, ties to the oldest", () => {
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const byP = (v: { p: number; b: number }) => v.p;
  const byB = (v: { p: number; b: number }) => v.b;
  for (let round = 0; round < 50; round++) {
    const table = new BoundedTable<{ p: number; b: number }>(40, [byP, byB]);
    for (let i = 0; i < 40; i++) {
      // Few distinct values: many ties at the cut-off.
      table.insert(i, { p: Math.floor(random() * 5), b: Math.floor(random() * 4) });
    }
    const expected = new Set([...table.top(10, byP), ...table.top(10, byB)].map(([k]) => k));
    table.insert("new", { p: 0, b: 0 }); // full: prunes first
    const kept = [...table.entries()].map(([k]) => k).filter((k) => k !== "new");
    assert.deepEqual(new Set(kept), expected, `round ${round}`);
    assert.equal(table.evictions, 40 - expected.size);
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
