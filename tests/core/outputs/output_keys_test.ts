/**
 * The outputs' config keys: off by default, and a bad address, URL, mode or an output enabled
 * without what it needs is refused at start with one line naming the key and the fix (exit 2).
 */
import assert from "node:assert/strict";
import { applyOverrides, ConfigError, defaultConfig } from "../../../core/config/config.ts";
import { outputSettings } from "../../../core/outputs/output_settings.ts";
import { makeTempDir } from "../../../testing/pcap_writer.ts";
import { REPO_ROOT } from "../../support/main_read.ts";

const configWith = (outputs: unknown) => applyOverrides(defaultConfig(), { outputs });

Deno.test("outputSettings() leaves every output off by default", () => {
  const settings = outputSettings(defaultConfig());
  assert.deepEqual([settings.syslog, settings.redis, settings.webhook, settings.exec], [
    null,
    null,
    null,
    null,
  ]);
});

Deno.test("outputSettings() reads each output's address, mode and limits", () => {
  const settings = outputSettings(configWith({
    syslog: { enabled: true, address: "tcp://[::1]:6514", facility: "local0" },
    redis: { enabled: true, url: "redis://u:secret@127.0.0.1:6380/2", mode: "stream" },
    webhook: { enabled: true, url: "https://siem.example/in", types: ["alert", "stats"] },
    exec: { enabled: true, command: ["/bin/true", "--x"] },
  }));
  assert.deepEqual(settings.syslog, {
    address: { transport: "tcp", hostname: "::1", port: 6514 },
    label: "syslog tcp://[::1]:6514",
    facility: 16,
    hostname: Deno.hostname(), // sensor.name "" (the default): the machine's hostname
  });
  assert.deepEqual(settings.redis?.address, {
    hostname: "127.0.0.1",
    port: 6380,
    username: "u",
    password: "secret",
    db: 2,
  });
  assert.equal(settings.redis?.label, "redis redis://u:***@127.0.0.1:6380/2");
  assert.equal(settings.redis?.target.mode, "stream");
  assert.deepEqual(settings.webhook?.types, ["alert", "stats"]);
  assert.deepEqual(settings.exec?.command, ["/bin/true", "--x"]);
});

Deno.test("config: a bad output address, URL, mode, facility or type is refused naming the key and the forms", () => {
  const cases: [unknown, RegExp][] = [
    [
      { syslog: { address: "udp://127.0.0.1" } },
      /"outputs\.syslog\.address": expected udp:\/\/host:port/,
    ],
    [{ syslog: { address: "http://x:1" } }, /"outputs\.syslog\.address"/],
    [{ syslog: { address: "tcp://h:70000" } }, /"outputs\.syslog\.address"/],
    [{ syslog: { facility: "local9" } }, /"outputs\.syslog\.facility": expected one of kern/],
    [
      { redis: { url: "http://127.0.0.1:6379" } },
      /"outputs\.redis\.url": expected redis:\/\/host:port/,
    ],
    [{ redis: { mode: "lpush" } }, /"outputs\.redis\.mode": expected one of list, channel, stream/],
    [{ redis: { key: "" } }, /"outputs\.redis\.key"/],
    [{ webhook: { url: "ftp://x/" } }, /"outputs\.webhook\.url": expected an http/],
    [
      { webhook: { types: ["flow"] } },
      /"outputs\.webhook\.types": expected a list of record types/,
    ],
    [
      { webhook: { headers: { a: 1 } } },
      /"outputs\.webhook\.headers": expected an object of strings/,
    ],
    [{ exec: { command: "notify.sh" } }, /"outputs\.exec\.command": expected a list of strings/],
  ];
  for (const [outputs, message] of cases) {
    assert.throws(() => configWith(outputs), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    }, JSON.stringify(outputs));
  }
});

Deno.test("outputSettings() refuses a webhook without a URL and a hook without a command", () => {
  assert.throws(
    () => outputSettings(configWith({ webhook: { enabled: true } })),
    /"outputs\.webhook\.url" is empty: set the URL/,
  );
  assert.throws(
    () => outputSettings(configWith({ exec: { enabled: true } })),
    /"outputs\.exec\.command" is empty: set the program/,
  );
});

Deno.test("main.ts: a bad output setting is one line on stderr and exit 2", async () => {
  await using dir = await makeTempDir();
  for (
    const [outputs, expected] of [
      [{ redis: { enabled: true, mode: "queue" } }, /"outputs\.redis\.mode"/],
      [{ webhook: { enabled: true } }, /"outputs\.webhook\.url" is empty/],
    ] as const
  ) {
    const path = `${dir.path}/config.json`;
    await Deno.writeTextFile(path, JSON.stringify({ outputs }));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "--no-ui", "--config", path, "--read", "/nonexistent.pcap"],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, expected);
  }
});
