import assert from "node:assert/strict";
import { CONFIG_KEYS } from "../core/config/config.ts";
import { DETECTOR_NAMES, detectorInfo } from "../core/detect/catalog.ts";
import { withTables } from "../tools/readme_tables.ts";

const README = Deno.readTextFileSync(new URL("../README.md", import.meta.url));

Deno.test("README quick start holds exactly two commands: run the monitor, run the tests", () => {
  const section = README.split("## Quick start")[1]!;
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const commands = block.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  assert.equal(commands.length, 2);
  assert.match(commands[0]!, /task start/);
  assert.match(commands[1]!, /task test/);
  const ci = Deno.readTextFileSync(new URL("../.ci/run", import.meta.url));
  assert.ok(ci.includes(commands[1]!), ".ci/run runs the README's test command verbatim");
});

Deno.test("README documents every config key with its default", () => {
  for (const spec of CONFIG_KEYS) {
    const row = README.split("\n").find((line) => line.startsWith(`| \`${spec.key}\` |`));
    assert.ok(row, `README lacks ${spec.key}`);
    assert.ok(row.includes(JSON.stringify(spec.default)), `README's default of ${spec.key}`);
  }
});

Deno.test("README documents every detector with its signature id", () => {
  for (const name of DETECTOR_NAMES) {
    const row = README.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row, `README lacks detector ${name}`);
    assert.ok(row.includes(String(detectorInfo(name).signatureId)), `signature id of ${name}`);
  }
});

Deno.test("README tables are the ones the code makes (deno run -A tools/readme_tables.ts --write)", () => {
  assert.equal(withTables(README), README);
});
