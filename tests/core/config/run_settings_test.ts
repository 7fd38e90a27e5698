import assert from "node:assert/strict";
import { applyOverrides, type Config, defaultConfig } from "../../../core/config/config.ts";
import { RUN_KEYS, runSettings } from "../../../core/config/run_settings.ts";

/** The value at a key's dotted path in the settings. */
function at(settings: object, key: string): unknown {
  let node: unknown = settings;
  for (const part of key.split(".")) {
    assert.ok(
      node !== null && typeof node === "object" && Object.hasOwn(node, part),
      `${key} is not in the typed settings (core/config/run_settings.ts)`,
    );
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Leaves of the settings (a list is one leaf), as dotted paths. */
function leaves(node: unknown, prefix = ""): string[] {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return [prefix];
  return Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

function checkAll(config: Config): void {
  const settings = runSettings(config);
  for (const spec of RUN_KEYS) assert.deepEqual(at(settings, spec.key), config.get(spec.key));
  const expected = RUN_KEYS.map((spec) => spec.key).sort();
  assert.deepEqual(leaves(settings).sort(), expected, "settings hold exactly RUN_KEYS");
}

Deno.test("runSettings() holds every general, capture and UI key with its default", () => {
  assert.ok(RUN_KEYS.length >= 15, `only ${RUN_KEYS.length} keys`);
  checkAll(defaultConfig());
});

Deno.test("runSettings() holds every key with its overridden value", () => {
  const overrides: Record<string, unknown> = {};
  for (const spec of RUN_KEYS) {
    const v = spec.default;
    if (spec.kind === "boolean") overrides[spec.key] = !v;
    else if (spec.kind === "integer" || spec.kind === "number") {
      overrides[spec.key] = v === spec.max ? spec.min : (v as number) + 1;
    } else if (spec.kind === "cidrs") overrides[spec.key] = ["192.0.2.0/24"];
    else assert.fail(`no override for ${spec.key} of kind ${spec.kind}: extend this test`);
  }
  const config = applyOverrides(defaultConfig(), overrides);
  for (const spec of RUN_KEYS) assert.notDeepEqual(config.get(spec.key), spec.default, spec.key);
  checkAll(config);
});

Deno.test("runSettings() is read-only and built once per config", () => {
  const config = defaultConfig();
  const settings = runSettings(config);
  assert.equal(runSettings(config), settings);
  assert.ok(Object.isFrozen(settings.summary) && Object.isFrozen(settings.home_networks));
  assert.throws(() => {
    (settings.summary as { top_n: number }).top_n = 1;
  }, TypeError);
});
