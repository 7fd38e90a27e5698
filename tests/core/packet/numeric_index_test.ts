import assert from "node:assert/strict";
import { NumericIndex } from "../../../core/packet/numeric_index.ts";

Deno.test("NumericIndex matches a Map over random sets and deletes, through growth", () => {
  let seed = 3;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  // int32 words (negative too), composite keys up to 2^53, and -0.
  const keys = Array.from(
    { length: 2000 },
    (_, i) =>
      i % 4 === 0 ? -(i * 65537) : i % 4 === 1 ? i * 2 ** 40 + 3 : i % 4 === 2 ? i : 0x7fffffff - i,
  );
  keys.push(-0);
  const index = new NumericIndex();
  const model = new Map<number, number>();
  for (let step = 0; step < 100_000; step++) {
    const key = keys[Math.floor(random() * keys.length)]!;
    if (random() < 0.6) {
      index.set(key, step);
      model.set(key, step);
    } else {
      index.delete(key);
      model.delete(key);
    }
    if (step % 97 === 0) {
      for (const k of keys) assert.equal(index.get(k), model.get(k) ?? -1, `key ${k}`);
    }
    assert.equal(index.size, model.size);
  }
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(index.get(keys[5]!), -1);
});
