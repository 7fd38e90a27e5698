import assert from "node:assert/strict";
import { scanJsonShape } from "../../../core/config/json_shape.ts";

Deno.test("scanJsonShape() accepts nesting up to the limit and stops one level past it", () => {
  const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
  assert.deepEqual(scanJsonShape(nested(32), 32), { tooDeep: false });
  assert.deepEqual(scanJsonShape(nested(33), 32), { tooDeep: true });
  const objects = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
  assert.deepEqual(scanJsonShape(objects(32), 32), { tooDeep: false });
  assert.deepEqual(scanJsonShape(objects(33), 32), { tooDeep: true });
});

Deno.test("scanJsonShape() goes 1,000,000 levels deep without recursing, in a few ms", () => {
  const text = "[".repeat(1_000_000);
  const started = performance.now();
  assert.deepEqual(scanJsonShape(text, 32), { tooDeep: true });
  assert.ok(performance.now() - started < 100, "stops at the limit");
});

Deno.test("scanJsonShape() ignores brackets, commas and quotes inside strings", () => {
  const text = JSON.stringify({ a: "[[[[{{{{", b: 'x\\"}}]],"y', c: ['"', "\\"] });
  assert.deepEqual(scanJsonShape(text, 2), { tooDeep: false });
});

Deno.test("scanJsonShape() finds a key given twice in one object, with its path", () => {
  const cases: [string, { at: string; key: string }][] = [
    ['{"stats": 1, "stats": 2}', { at: "", key: "stats" }],
    ['{"stats": {"interval_s": 5, "interval_s": 9}}', { at: "stats", key: "interval_s" }],
    ['{"a": [{"x": 1}, {"y": 1, "y": 2}]}', { at: "a[1]", key: "y" }],
    ['{"a": {"b": [[], {"k": 0, "k": 0}]}}', { at: "a.b[1]", key: "k" }],
    ['{"\\u0061": 1, "a": 2}', { at: "", key: "a" }], // one key to JSON.parse
    ['{"x": {"a": 1, "b": 2}, "y": 0, "x": 3}', { at: "", key: "x" }],
  ];
  for (const [text, duplicate] of cases) {
    assert.doesNotThrow(() => JSON.parse(text), text);
    assert.deepEqual(scanJsonShape(text, 32), { tooDeep: false, duplicate }, text);
  }
});

Deno.test("scanJsonShape() finds no duplicate in distinct keys, sibling objects or values", () => {
  const texts = [
    '{"a": 1, "b": 2}',
    '[{"a": 1}, {"a": 2}]',
    '{"x": {"a": 1}, "y": {"a": 1}}',
    '{"a": "a", "b": ["a", "a"]}',
    '{"a": {"a": {"a": 1}}}',
    '{"a.b": 1, "a": {"b": 2}}', // two spellings of one config key: config_flatten's job
  ];
  for (const text of texts) assert.deepEqual(scanJsonShape(text, 32), { tooDeep: false }, text);
});

Deno.test("scanJsonShape() tolerates invalid JSON (JSON.parse reports it)", () => {
  for (const text of ["", "{", "}", "]]]", '"unclosed', '{"a', '{"a": 1,, "a"', "\\"]) {
    assert.equal(scanJsonShape(text, 32).tooDeep, false, text);
  }
});
