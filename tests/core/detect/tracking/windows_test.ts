import assert from "node:assert/strict";
import {
  DistinctRun,
  DistinctWindow,
  RecentDistinct,
  SlidingCount,
} from "../../../../core/detect/tracking/windows.ts";

const S = 1e6;

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("SlidingCount: counts within the window and slides out old events", () => {
  const c = new SlidingCount();
  const t0 = 1_700_000_000 * S;
  for (let i = 0; i < 50; i++) c.add(t0 + i * 10_000, S); // 50 in the first 0.5 s
  assert.equal(c.count(t0 + 500_000, S), 50);
  assert.equal(c.add(t0 + 900_000, S), 51);
  assert.equal(c.count(t0 + 1_050_000, S), 41, "the first 100 ms (10 events) slid out");
  assert.equal(c.count(t0 + 1_600_000, S), 1);
  assert.equal(c.count(t0 + 2_000_000, S), 0);
  assert.equal(c.count(t0 + 100 * S, S), 0, "after a long gap");
  assert.equal(c.add(t0 + 100 * S, S, 5), 5, "n events at once");
});

Deno.test("SlidingCount: never counts more than a true 1 s window, nor less than 0.9 s", () => {
  const next = random(7);
  const c = new SlidingCount();
  const times: number[] = [];
  let t = 1_700_000_000 * S;
  for (let i = 0; i < 20_000; i++) {
    t += Math.floor(next() * (next() < 0.1 ? 300_000 : 2_000)); // bursts and gaps
    times.push(t);
    const counted = c.add(t, S);
    let exact = 0, last09 = 0;
    for (let j = times.length - 1; j >= 0 && times[j]! > t - S; j--) {
      exact++;
      if (times[j]! > t - 0.9 * S) last09++;
    }
    assert.ok(counted <= exact, `counted ${counted} > ${exact} in the true window at ${i}`);
    assert.ok(counted >= last09, `counted ${counted} < ${last09} in the last 0.9 s at ${i}`);
  }
});

Deno.test("DistinctWindow: counts distinct values in the window, expires, saturates at cap", () => {
  const w = new DistinctWindow(5);
  assert.equal(w.add("a", 0, 10 * S), 1);
  assert.equal(w.add("a", 1 * S, 10 * S), 1);
  assert.equal(w.add("b", 2 * S, 10 * S), 2);
  assert.equal(w.count(10 * S, 10 * S), 2);
  assert.equal(w.count(11 * S, 10 * S), 1, "a expired (last seen at 1 s)");
  assert.equal(w.count(12 * S, 10 * S), 0);
  for (let i = 0; i < 8; i++) w.add(i, 20 * S + i, 10 * S);
  assert.equal(w.count(20 * S + 8, 10 * S), 5, "capped");
  assert.deepEqual(w.sample(3), [0, 1, 2]);
  assert.equal(w.add(99, 31 * S, 10 * S), 1, "old values expire first, making room");
});

Deno.test("RecentDistinct: small, capped, 'at least' when full, single value", () => {
  const d = new RecentDistinct(3);
  d.add(1, 0, S);
  d.add(1, 100, S);
  assert.equal(d.count(200, S), 1);
  assert.equal(d.only(200, S), 1);
  d.add("x", 300, S);
  assert.equal(d.only(300, S), undefined);
  d.add(2, 400, S);
  d.add(3, 500, S); // turned away: full of live values
  assert.equal(d.count(500, S), 3);
  assert.equal(d.saturated(500, S), true);
  assert.equal(d.saturated(500 + S, S), false, "the overflow left the window");
  assert.equal(d.count(S + 350, S), 1, "1 (at 100) and x (at 300) left the window");
  d.add(4, S + 350, S); // reuses an expired slot
  assert.equal(d.count(S + 350, S), 2);
  assert.equal(d.only(3 * S, S), undefined, "nothing in the window");
});

Deno.test("DistinctWindow: a value refreshed in place outlives older ones, each expires on time", () => {
  const w = new DistinctWindow(10);
  const s = 1_000_000;
  assert.equal(w.add("a", 0, 4 * s), 1);
  assert.equal(w.add("b", 2 * s, 4 * s), 2);
  assert.equal(w.add("a", 3 * s, 4 * s), 2); // refreshed in place, b still inside
  assert.equal(w.count(6.5 * s, 4 * s), 1); // b (2 s) slid out; a (3 s) stays
  assert.deepEqual(w.sample(5), ["a"]);
  assert.equal(w.count(7 * s, 4 * s), 0); // a last seen at 3 s: gone once 4 s passed
  assert.equal(w.add("c", 7.5 * s, 4 * s), 1);
});

Deno.test("SlidingCount: a burst in one slot then events in later slots count exactly", () => {
  const c = new SlidingCount();
  const s = 1_000_000;
  for (let i = 0; i < 50; i++) assert.equal(c.add(0.01 * s, s), i + 1);
  assert.equal(c.add(0.55 * s, s), 51); // second slot: the per-slot array takes over
  assert.equal(c.count(1.05 * s, s), 1); // the burst's slot slid out; the 0.55 s event stays
  assert.equal(c.count(1.6 * s, s), 0);
  assert.equal(c.add(5 * s, s), 1);
});

Deno.test("RecentDistinct.add: true exactly when the count may have risen or saturation begun", () => {
  // The property flood relies on: after an add that returned false, count and saturated are
  // what they were before it, or lower (values only left the window).
  const next = random(11);
  const d = new RecentDistinct(4);
  let now = 0;
  for (let i = 0; i < 20_000; i++) {
    now += Math.floor(next() * 0.3 * S);
    const before = d.count(now, S), wasSaturated = d.saturated(now, S);
    const changed = d.add(Math.floor(next() * 7), now, S);
    const after = d.count(now, S), saturated = d.saturated(now, S);
    if (!changed) {
      assert.ok(after <= before, `count rose from ${before} to ${after} at step ${i}`);
      assert.ok(!saturated || wasSaturated, `saturation began unreported at step ${i}`);
    }
    if (after > before) assert.equal(changed, true);
  }
});

Deno.test("DistinctRun: a run restarts after a window without sightings; peak and its time", () => {
  const run = new DistinctRun(10, 0);
  assert.equal(run.addInRun("a", 0, 5 * S), 1);
  assert.equal(run.addInRun("b", 2 * S, 5 * S), 2);
  assert.equal(run.addInRun("c", 3 * S, 5 * S), 3);
  assert.deepEqual([run.peak, run.peakElapsedUs, run.firstUs], [3, 3 * S, 0]);
  // 5 s without a sighting: a new run starts, its peak measured from its own start.
  assert.equal(run.addInRun("d", 8 * S, 5 * S), 1, "a, b and c left the window");
  assert.equal(run.firstUs, 8 * S);
  assert.equal(run.peak, 3, "the peak is the most seen at once, over the key's life");
  run.addInRun("e", 9 * S, 5 * S);
  run.addInRun("f", 10 * S, 5 * S);
  run.addInRun("g", 11 * S, 5 * S);
  assert.deepEqual([run.peak, run.peakElapsedUs, run.lastUs], [4, 3 * S, 11 * S]);
});
