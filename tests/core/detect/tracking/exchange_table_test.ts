import assert from "node:assert/strict";
import { ExchangeTable } from "../../../../core/detect/tracking/exchange_table.ts";
import { SlotQueue } from "../../../../core/detect/tracking/slot_queue.ts";

Deno.test("ExchangeTable: a full table evicts the least recently active exchange and counts it", () => {
  const table = new ExchangeTable("test.exchanges", 4, 10e6, 4);
  for (let i = 0; i < 6; i++) table.add(100 + i, i * 1000);
  assert.equal(table.size, 4);
  assert.equal(table.find(100, 6000), -1);
  assert.equal(table.find(101, 6000), -1);
  for (let i = 2; i < 6; i++) assert.notEqual(table.find(100 + i, 6000), -1);
  assert.deepEqual(table.stats(), {
    name: "test.exchanges",
    size: 4,
    cap: 4,
    evictions: 2,
    expired: 0,
  });
});

Deno.test("ExchangeTable: an active exchange survives a flood of one-shot ones", () => {
  const table = new ExchangeTable("test.exchanges", 100, 2e6, 100);
  const active = table.add(1, 0);
  for (let i = 0; i < 100_000; i++) {
    const now = i * 10;
    table.add(1000 + i, now);
    if (i % 20 === 0) assert.equal(table.find(1, now), active, "same slot, never evicted");
  }
  assert.equal(table.size, 100);
  assert.equal(table.stats().evictions, 100_000 + 1 - 100);
});

Deno.test("ExchangeTable: sweep drops exchanges idle past idleUs", () => {
  const table = new ExchangeTable("test.exchanges", 10, 5e6, 10);
  table.add(1, 0);
  table.add(2, 1e6);
  table.find(1, 4e6); // touched: stays
  table.sweep(6.5e6);
  assert.notEqual(table.find(1, 6.5e6), -1);
  assert.equal(table.find(2, 6.5e6), -1);
  assert.equal(table.stats().expired, 1);
});

Deno.test("ExchangeTable: a slot the queue holds keeps its fields after the table drops it", () => {
  const table = new ExchangeTable("test.exchanges", 1, 60e6, 1);
  const first = table.add(1, 0);
  table.hold(first);
  table.firstUs[first] = 123;
  table.state[first] = 2;
  const ref = table.refOf(first);
  const second = table.add(2, 10); // evicts key 1: its slot stays with the queue
  assert.notEqual(second, first);
  assert.equal(table.find(1, 10), -1);
  assert.equal(table.firstUs[first], 123);
  assert.equal(table.stateOf(ref), 2, "the last state, while the slot is not reused");
  table.hold(second);
  table.release(first);
  assert.equal(table.stateOf(ref), 2, "freed but not reused yet");
  assert.equal(table.add(3, 20), first, "the freed slot is reused");
  assert.equal(table.stateOf(ref), -1, "the slot now holds another exchange");
});

Deno.test("SlotQueue: a full queue drops the oldest slot and hands it back", () => {
  const queue = new SlotQueue(3);
  assert.equal(queue.peek(), -1);
  for (let slot = 0; slot < 3; slot++) assert.equal(queue.push(slot), -1);
  assert.equal(queue.push(7), 0);
  assert.equal(queue.dropped, 1);
  assert.equal(queue.size, 3);
  assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], [1, 2, 7, -1]);
});

Deno.test("SlotQueue: grows past its first ring up to the cap, in order", () => {
  const queue = new SlotQueue(1000);
  for (let slot = 0; slot < 1200; slot++) queue.push(slot);
  assert.equal(queue.size, 1000);
  assert.equal(queue.dropped, 200);
  for (let slot = 200; slot < 1200; slot++) assert.equal(queue.shift(), slot);
});
