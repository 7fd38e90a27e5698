import assert from "node:assert/strict";
import { type KeyedEntry, KeyedState } from "../../core/detect/keyed_state.ts";

interface Counter extends KeyedEntry {
  n: number;
}

const entry = (nowUs: number): Counter => ({ lastSeenUs: nowUs, movedUs: nowUs, n: 0 });

/** What detectors do: get, else insert; then count. */
function touch(state: KeyedState<Counter>, key: number | string, nowUs: number): Counter {
  const e = state.get(key, nowUs) ?? state.insert(key, entry(nowUs));
  e.n++;
  return e;
}

Deno.test("KeyedState: a capped table evicts the oldest and counts it", () => {
  const state = new KeyedState<Counter>("test.table", 4, 10e6);
  for (let i = 0; i < 6; i++) touch(state, i, i * 1000);
  assert.equal(state.size, 4);
  assert.equal(state.evictions, 2);
  assert.deepEqual([...state.entries()].map(([k]) => k), [2, 3, 4, 5]);
  assert.deepEqual(state.stats(), {
    name: "test.table",
    size: 4,
    cap: 4,
    evictions: 2,
    expired: 0,
  });
  touch(state, 5, 7000); // re-inserting or touching a present key evicts nothing
  state.insert(5, entry(8000));
  assert.equal(state.evictions, 2);
});

Deno.test("KeyedState: an active key survives a flood of one-shot keys faster than cap/s", () => {
  const state = new KeyedState<Counter>("test.table", 100, 2e6);
  touch(state, "attacker", 0);
  // 100000 spoofed one-packet keys in 1 s (1000 x the cap per second), the attacker sending
  // every 20th packet: before it reaches the front again, it has been touched.
  for (let i = 0; i < 100_000; i++) {
    const now = i * 10;
    touch(state, i, now);
    if (i % 20 === 0) touch(state, "attacker", now);
  }
  const attacker = state.peek("attacker");
  assert.ok(attacker !== undefined, "still tracked");
  assert.equal(attacker.n, 5001, "never evicted: its count is whole");
  assert.equal(state.size, 100);
  assert.equal(state.evictions, 100_000 + 1 - 100);
  // A key sending more slowly than the table turns over is evicted: the cap is the limit.
});

Deno.test("KeyedState: a key touched once after insert gets one second chance, not more", () => {
  const state = new KeyedState<Counter>("test.table", 2, 60e6);
  touch(state, "a", 0);
  touch(state, "a", 10); // touched: a second chance when it reaches the front
  touch(state, "b", 20);
  touch(state, "c", 30); // a moves to the back, b goes
  assert.deepEqual([...state.entries()].map(([k]) => k), ["a", "c"]);
  touch(state, "d", 40); // a was not touched since: it goes
  assert.deepEqual([...state.entries()].map(([k]) => k), ["c", "d"]);
  assert.equal(state.evictions, 2);
});

Deno.test("KeyedState: sweep expires idle entries in packet time, counts and reports them", () => {
  const state = new KeyedState<Counter>("test.table", 100, 5e6);
  touch(state, "idle", 0);
  touch(state, "busy", 0);
  touch(state, "late", 3e6);
  for (let t = 1e6; t <= 9e6; t += 1e6) touch(state, "busy", t);
  const expired: string[] = [];
  state.sweep(5e6 - 1, (k) => expired.push(String(k)));
  assert.equal(expired.length, 0, "idle for less than idleUs");
  state.sweep(9e6, (k) => expired.push(String(k)));
  assert.deepEqual(expired, ["idle", "late"]);
  assert.equal(state.stats().expired, 2);
  assert.equal(state.stats().evictions, 0);
  assert.deepEqual([...state.entries()].map(([k]) => k), ["busy"]);
  assert.equal(state.get("idle", 9e6), undefined);
});

Deno.test("KeyedState: get refreshes lastSeenUs, peek does not; delete removes", () => {
  const state = new KeyedState<Counter>("test.table", 10, 5e6);
  touch(state, 1, 0);
  assert.equal(state.peek(1)!.lastSeenUs, 0);
  state.get(1, 2e6);
  assert.equal(state.peek(1)!.lastSeenUs, 2e6);
  state.get(1, 1e6); // an older time never moves it back
  assert.equal(state.peek(1)!.lastSeenUs, 2e6);
  state.delete(1);
  assert.equal(state.size, 0);
});
