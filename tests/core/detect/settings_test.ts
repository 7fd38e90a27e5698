import assert from "node:assert/strict";
import { applyOverrides, type Config, defaultConfig } from "../../../core/config/config.ts";
import { DETECTION_KEYS } from "../../../core/detect/detect_keys.ts";
import { detectionSettings } from "../../../core/detect/settings.ts";

/** The value at a detection key's path in the settings (`detect.` dropped). */
function at(settings: object, key: string): unknown {
  const path = key.replace(/^detect\./, "").split(".");
  let node: unknown = settings;
  for (const part of path) {
    assert.ok(
      node !== null && typeof node === "object" && Object.hasOwn(node, part),
      `${key} is not in the typed settings (core/detect/settings.ts)`,
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
  const settings = detectionSettings(config);
  for (const spec of DETECTION_KEYS) {
    assert.deepEqual(at(settings, spec.key), config.get(spec.key), spec.key);
  }
  const expected = DETECTION_KEYS.map((spec) => spec.key.replace(/^detect\./, "")).sort();
  assert.deepEqual(leaves(settings).sort(), expected, "settings hold exactly the detection keys");
}

Deno.test("settings: every detection key is typed, with its default", () => {
  checkAll(defaultConfig());
});

Deno.test("settings: every detection key is typed, with its overridden value", () => {
  const overrides: Record<string, unknown> = {};
  for (const spec of DETECTION_KEYS) {
    const v = spec.default;
    if (spec.kind === "boolean") overrides[spec.key] = !v;
    else if (spec.kind === "integer" || spec.kind === "number") {
      overrides[spec.key] = v === spec.max ? spec.min : (v as number) + 1;
    } else if (spec.kind === "ports") overrides[spec.key] = [7, 9];
    else if (spec.kind === "cidrs") overrides[spec.key] = ["192.0.2.0/24"];
    else overrides[spec.key] = [{ networks: ["10.0.0.0/8"], "detect.port_scan.threshold": 3 }];
  }
  const config = applyOverrides(defaultConfig(), overrides);
  for (const spec of DETECTION_KEYS) assert.notDeepEqual(config.get(spec.key), spec.default);
  checkAll(config);
});

Deno.test("settings: the typed object is read-only", () => {
  const settings = detectionSettings(defaultConfig());
  assert.ok(Object.isFrozen(settings) && Object.isFrozen(settings.port_scan));
  assert.throws(() => {
    (settings.alerts as { quiet_s: number }).quiet_s = 1;
  }, TypeError);
});
