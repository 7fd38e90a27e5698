/**
 * Every config key at its edges: numbers at min-1, min, max, max+1, fractional, as a string,
 * null, an array, NaN-like strings; booleans, cidrs and ports with bad entries. Each value is
 * either refused with one line naming the key and what is allowed, or accepted (and documented
 * in the README's configuration section).
 */
import assert from "node:assert/strict";
import {
  applyOverrides,
  CONFIG_KEYS,
  ConfigError,
  defaultConfig,
  type KeySpec,
  loadConfigFile,
} from "../../../core/config/config.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";

function accepts(key: string, value: unknown): unknown {
  return applyOverrides(defaultConfig(), { [key]: value }).get(key);
}

function refuses(spec: KeySpec, value: unknown, allowed: RegExp): void {
  const what = `${spec.key} = ${JSON.stringify(value)}`;
  assert.throws(
    () => applyOverrides(defaultConfig(), { [spec.key]: value }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${what}: a ConfigError, got ${e}`);
      assert.ok(!e.message.includes("\n"), `${what}: one line`);
      assert.ok(
        e.message.includes(`"${spec.key}"`),
        `${what}: names the key: ${e.message}`,
      );
      assert.match(e.message, allowed, `${what}: says what is allowed`);
      return true;
    },
    what,
  );
}

const NOT_NUMBERS: unknown[] = [
  null,
  true,
  "",
  "5",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e3",
  "0x10",
  [5],
  [],
  {},
  { value: 5 },
];

Deno.test("every integer and number key: min-1 and max+1 refused, min and max accepted", () => {
  const numeric = CONFIG_KEYS.filter((k) => k.kind === "integer" || k.kind === "number");
  assert.ok(numeric.length > 30);
  for (const spec of numeric) {
    const { min, max } = spec;
    assert.ok(
      min !== undefined && max !== undefined,
      `${spec.key} has a range`,
    );
    const range = new RegExp(`from ${min} to ${max}`);
    assert.equal(accepts(spec.key, min), min, `${spec.key} = min`);
    assert.equal(accepts(spec.key, max), max, `${spec.key} = max`);
    refuses(spec, min - 1, range);
    refuses(spec, max + 1, range);
    refuses(spec, -1e300, range);
    refuses(spec, 1e300, range);
    refuses(spec, Number.MAX_SAFE_INTEGER + 2, range);
    for (const value of NOT_NUMBERS) {
      refuses(spec, value, /expected a (whole )?number/);
    }
    const fraction = min + 0.5;
    if (spec.kind === "integer") {
      refuses(spec, fraction, /expected a whole number/);
    } else {assert.equal(
        accepts(spec.key, fraction),
        fraction,
        `${spec.key} takes fractions`,
      );}
  }
});

Deno.test("JSON values that are not finite numbers never pass as numbers", () => {
  // JSON has no NaN or Infinity; a JS caller might pass them.
  const spec = CONFIG_KEYS.find((k) => k.key === "detect.capture_drops.percent")!;
  for (const value of [NaN, Infinity, -Infinity]) {
    refuses(spec, value, /expected a number/);
  }
  const integer = CONFIG_KEYS.find((k) => k.key === "stats.interval_s")!;
  for (const value of [NaN, Infinity]) {
    refuses(integer, value, /expected a whole number/);
  }
});

Deno.test("every boolean key takes only true and false", () => {
  for (const spec of CONFIG_KEYS.filter((k) => k.kind === "boolean")) {
    assert.equal(accepts(spec.key, false), false);
    assert.equal(accepts(spec.key, true), true);
    for (const value of [0, 1, "true", "false", "", null, [], {}, [true]]) {
      refuses(spec, value, /expected true or false/);
    }
  }
});

Deno.test("every cidrs key refuses bad entries and takes good ones, normalised", () => {
  const bad: unknown[] = [
    "10.0.0.0/8", // a string, not a list
    null,
    5,
    {},
    [""],
    [" "],
    [5],
    [null],
    [["10.0.0.0/8"]],
    ["10.0.0.0/33"],
    ["10.0.0.0/-1"],
    ["10.0.0.0/"],
    ["10.0.0.0/8/8"],
    ["10.0.0.0/ 8"],
    ["1.2.3.4.5"],
    ["256.0.0.1"],
    ["10.1/8"],
    ["010.0.0.0/8"], // octal to inet_aton, decimal elsewhere: refused
    ["0x0a.0.0.0/8"],
    ["::/129"],
    ["1::2::3"],
    ["fe80::g"],
    ["10.0.0.0/8", "nope"],
    ["localhost"],
  ];
  const cidrKeys = CONFIG_KEYS.filter((k) => k.kind === "cidrs");
  assert.ok(cidrKeys.length >= 10);
  for (const spec of cidrKeys) {
    for (const value of bad) {
      refuses(spec, value, /expected a list of addresses or CIDR blocks/);
    }
    assert.deepEqual(accepts(spec.key, []), [], "an empty list means none");
    assert.deepEqual(
      accepts(spec.key, [
        " 10.0.0.0/8 ",
        "192.0.2.1",
        "0.0.0.0/0",
        "::/0",
        "fe80::1%eth0",
      ]),
      ["10.0.0.0/8", "192.0.2.1", "0.0.0.0/0", "::/0", "fe80::1%eth0"],
    );
    assert.deepEqual(
      accepts(spec.key, ["10.0.0.1/8"]),
      ["10.0.0.1/8"],
      "host bits are masked",
    );
  }
});

Deno.test("every ports key refuses bad entries and takes 0..65535, deduplicated and sorted", () => {
  const bad: unknown[] = [
    80,
    "80",
    null,
    {},
    [-1],
    [65536],
    [1.5],
    ["80"],
    [null],
    [[80]],
    [
      80,
      NaN,
    ],
    [1e300],
  ];
  const portKeys = CONFIG_KEYS.filter((k) => k.kind === "ports");
  assert.ok(portKeys.length >= 3);
  for (const spec of portKeys) {
    for (const value of bad) {
      refuses(spec, value, /expected a list of port numbers from 0 to 65535/);
    }
    assert.deepEqual(accepts(spec.key, []), []);
    assert.deepEqual(accepts(spec.key, [65535, 0, 443, 443, 80]), [
      0,
      80,
      443,
      65535,
    ]);
  }
});

Deno.test("config files at their edges: empty, null, a list, nested wrong types, huge numbers", async () => {
  await using dir = await makeTempDir();
  const cases: [string, RegExp][] = [
    ["", /is not valid JSON/],
    ["null", /must be a JSON object/],
    ["[]", /must be a JSON object/],
    ['"stats"', /must be a JSON object/],
    ["{}", /^$/], // nothing changed
    ['{"stats": 5}', /Unknown config key "stats"/],
    [
      '{"stats": {"interval_s": {"value": 5}}}',
      /Bad value \{"value":5\} for "stats\.interval_s"/,
    ],
    [
      '{"stats": {"interval_s": 1e400}}',
      /Bad value Infinity for "stats\.interval_s"/,
    ], // JSON.parse: Infinity
    [
      '{"stats.interval_s": -0}',
      /Bad value 0 for "stats\.interval_s": .*from 1 to 86400/,
    ],
    [
      `{"home_networks": [${'"10.0.0.0/8",'.repeat(1000)} "x"]}`,
      /Bad value \[.{60,80}\.\.\. for/,
    ],
    ['{"__proto__": {"x": 1}}', /Unknown config key "__proto__\.x"/],
  ];
  for (const [text, message] of cases) {
    const path = `${dir.path}/c.json`;
    await Deno.writeTextFile(path, text);
    let error = "";
    try {
      loadConfigFile(path);
    } catch (e) {
      assert.ok(e instanceof ConfigError, `${text}: ${e}`);
      assert.ok(!e.message.includes("\n"), "one line");
      error = e.message;
    }
    assert.match(error, message, text);
  }
});
