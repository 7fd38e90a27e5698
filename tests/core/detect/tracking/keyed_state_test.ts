import assert from "node:assert/strict";
import { type KeyedEntry, KeyedState } from "../../../../core/detect/tracking/keyed_state.ts";

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

/** The table's contract as a plain Map (the implementation before the typed-array one). */
class ModelTable {
  readonly map = new Map<number | string, Counter>();
  evictions = 0;
  expired = 0;
  constructor(readonly cap: number, readonly idleUs: number) {}

  get(key: number | string, nowUs: number): Counter | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (nowUs - e.movedUs >= 1e6) {
      this.map.delete(key);
      this.map.set(key, e);
      e.movedUs = nowUs;
    }
    if (nowUs > e.lastSeenUs) e.lastSeenUs = nowUs;
    return e;
  }

  insert(key: number | string, e: Counter): void {
    if (this.map.size >= this.cap && !this.map.has(key)) this.#evictOne(e.lastSeenUs);
    e.movedUs = e.lastSeenUs;
    this.map.set(key, e);
  }

  #evictOne(nowUs: number): void {
    for (let chances = 0; chances <= 4; chances++) {
      const [key, e] = this.map.entries().next().value!;
      if (chances < 4 && e.lastSeenUs > e.movedUs) {
        this.map.delete(key);
        this.map.set(key, e);
        e.movedUs = Math.max(e.lastSeenUs, nowUs);
        continue;
      }
      this.map.delete(key);
      this.evictions++;
      return;
    }
  }

  sweep(nowUs: number): void {
    const limit = nowUs - this.idleUs;
    for (const [key, e] of this.map) {
      if (e.movedUs >= limit) break;
      if (e.lastSeenUs >= limit) continue;
      this.map.delete(key);
      this.expired++;
    }
  }
}

Deno.test("KeyedState: matches a plain Map model over 200 000 random operations", () => {
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // Few distinct keys, so probe runs collide, wrap and shift; IPv4-like, composite and text.
  const keys: (number | string)[] = [];
  for (let i = 0; i < 300; i++) {
    keys.push(i % 3 === 0 ? -(i << 20) : i % 3 === 1 ? i * 0x20000 * 4099 + 7 : `k${i}`);
  }
  for (const cap of [1, 7, 100, 1000]) {
    const table = new KeyedState<Counter>("t", cap, 3e6);
    const model = new ModelTable(cap, 3e6);
    let now = 0;
    for (let step = 0; step < 50_000; step++) {
      now += Math.floor(random() * 20_000);
      const key = keys[Math.floor(random() * keys.length)]!;
      const op = random();
      if (op < 0.8) {
        const a = table.get(key, now), b = model.get(key, now);
        assert.equal(a === undefined, b === undefined, `get ${key} at step ${step}`);
        if (a === undefined) {
          table.insert(key, entry(now));
          model.insert(key, entry(now));
        }
      } else if (op < 0.9) {
        table.delete(key);
        model.map.delete(key);
      } else if (op < 0.95) {
        table.sweep(now);
        model.sweep(now);
      } else {
        assert.deepEqual([...table.entries()].map(([k]) => k), [...model.map.keys()]);
      }
      assert.equal(table.size, model.map.size);
    }
    assert.deepEqual([...table.entries()].map(([k]) => k), [...model.map.keys()]);
    assert.equal(table.evictions, model.evictions, `evictions at cap ${cap}`);
    assert.equal(table.stats().expired, model.expired, `expired at cap ${cap}`);
  }
});
