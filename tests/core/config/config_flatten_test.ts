import assert from "node:assert/strict";
import { applyOverrides, ConfigError, defaultConfig } from "../../../core/config/config.ts";
import { flattenKeys } from "../../../core/config/config_flatten.ts";

const KEYS = new Set(["stats.interval_s", "log.max_files", "detect.network_thresholds"]);
const isKey = (key: string) => KEYS.has(key);

function refused(value: unknown, message: RegExp, context?: string): void {
  assert.throws(
    () => flattenKeys(value, context === undefined ? { isKey } : { isKey, context }),
    (e: unknown) =>
      e instanceof ConfigError && message.test(e.message) && !e.message.includes("\n"),
    JSON.stringify(value),
  );
}

Deno.test("flattenKeys() gives dotted keys from nested, dotted and half-dotted spellings", () => {
  assert.deepEqual(
    flattenKeys({ stats: { interval_s: 5 }, "log.max_files": 2, detect: { x: {} } }, { isKey }),
    [["stats.interval_s", 5], ["log.max_files", 2]],
  );
  const lists = flattenKeys({ "detect.network_thresholds": [{ a: 1 }] }, { isKey });
  assert.deepEqual(lists, [["detect.network_thresholds", [{ a: 1 }]]], "a key stops the descent");
  assert.deepEqual(flattenKeys({ stats: { nope: 1 } }, { isKey }), [["stats.nope", 1]]);
});

Deno.test("flattenKeys() refuses one key spelled twice, naming both spellings", () => {
  refused(
    { stats: { interval_s: 5 }, "stats.interval_s": 7 },
    /Config key "stats\.interval_s" is set twice, as "stats" > "interval_s" and as "stats\.interval_s": keep one/,
  );
  refused(
    { "stats.interval_s": 7, stats: { interval_s: 5 } },
    /as "stats\.interval_s" and as "stats" > "interval_s"/,
  );
  refused(
    { detect: { "port_scan.threshold": 1 }, "detect.port_scan": { threshold: 2 } },
    /"detect\.port_scan\.threshold" is set twice, as "detect" > "port_scan\.threshold" and as "detect\.port_scan" > "threshold"/,
  );
  refused(
    { a: { b: 1 }, "a.b": 2 },
    /"a\.b" is set twice in entry 2, as/,
    "entry 2",
  );
});

Deno.test("flattenKeys() refuses a non-object and nesting past 32 levels without a RangeError", () => {
  for (const value of [null, 5, "x", [], [{}]]) refused(value, /must be a JSON object/);
  let deep: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  refused(deep, /nests deeper than 32 levels/);
});

Deno.test("applyOverrides() refuses two spellings of a threshold in one network entry", () => {
  const entry = {
    networks: ["10.0.0.0/8"],
    "detect.port_scan.threshold": 5,
    detect: { port_scan: { threshold: 6 } },
  };
  assert.throws(
    () => applyOverrides(defaultConfig(), { detect: { network_thresholds: [entry] } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /"detect\.port_scan\.threshold" is set twice in "detect\.network_thresholds" entry 1, as "detect\.port_scan\.threshold" and as "detect" > "port_scan" > "threshold"/
        .test(e.message),
  );
});
