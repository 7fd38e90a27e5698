import assert from "node:assert/strict";
import {
  applyOverrides,
  CONFIG_KEYS,
  configAsObject,
  ConfigError,
  defaultConfig,
  loadConfigFile,
} from "../../../core/config/config.ts";

Deno.test("defaultConfig() has every documented key with a doc", () => {
  const config = defaultConfig();
  for (const spec of CONFIG_KEYS) {
    assert.ok(config.has(spec.key), spec.key);
    assert.ok(spec.doc.length > 20, `${spec.key} needs a doc`);
  }
});

Deno.test("applyOverrides() takes nested and dotted keys", () => {
  const config = applyOverrides(defaultConfig(), {
    log: { max_files: 3 },
    "stats.interval_s": 10,
    home_networks: ["10.0.0.0/8"],
  });
  assert.equal(config.get("log.max_files"), 3);
  assert.equal(config.get("stats.interval_s"), 10);
  assert.deepEqual(config.get("home_networks"), ["10.0.0.0/8"]);
  assert.deepEqual((configAsObject(config).log as Record<string, unknown>).max_files, 3);
});

Deno.test("applyOverrides() refuses unknown keys and bad values, naming them", () => {
  const cases: [unknown, RegExp][] = [
    [{ log: { max_filez: 1 } }, /Unknown config key "log\.max_filez"/],
    [{ stats: { interval_s: 0 } }, /"stats\.interval_s".*from 1 to 86400/],
    [{ stats: { interval_s: 1.5 } }, /whole number/],
    [{ stats: { interval_s: "60" } }, /Bad value "60"/],
    [{ capture: { promiscuous: "yes" } }, /true or false/],
    [{ home_networks: ["10.0.0.0/40"] }, /CIDR/],
    [{ home_networks: "10.0.0.0/8" }, /list/],
    [[1, 2], /JSON object/],
  ];
  for (const [overrides, message] of cases) {
    assert.throws(
      () => applyOverrides(defaultConfig(), overrides),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(overrides),
    );
  }
});

Deno.test("loadConfigFile() reports unreadable files and bad JSON in one line", () => {
  const dir = Deno.makeTempDirSync();
  assert.throws(() => loadConfigFile(`${dir}/missing.json`), /Cannot read config file/);
  Deno.writeTextFileSync(`${dir}/bad.json`, "{ nope");
  assert.throws(() => loadConfigFile(`${dir}/bad.json`), /is not valid JSON/);
  Deno.writeTextFileSync(`${dir}/ok.json`, JSON.stringify({ summary: { top_n: 5 } }));
  assert.equal(loadConfigFile(`${dir}/ok.json`).get("summary.top_n"), 5);
  Deno.removeSync(dir, { recursive: true });
});
