import assert from "node:assert/strict";
import { ConfigError, loadConfigFile } from "../../../core/config/config.ts";
import {
  CONFIG_FILE_MAX_BYTES,
  readConfigJson,
  readConfigText,
} from "../../../core/config/config_file.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";

function refused(read: () => unknown, message: RegExp): string {
  let text = "";
  assert.throws(read, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    assert.match(e.message, message);
    text = e.message;
    return true;
  });
  return text;
}

/**
 * A writer that opens `fifo` (blocking until a reader opens it) and closes it at once: if the
 * code under test ever opened the FIFO, it would see end of file instead of hanging the test.
 */
function fifoBackstop(fifo: string): Deno.ChildProcess {
  return new Deno.Command("timeout", {
    args: ["5", "sh", "-c", 'exec 3>"$1"', "sh", fifo],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("readConfigText() refuses a FIFO at once, without opening it", async () => {
  await using dir = await makeTempDir();
  const fifo = `${dir.path}/config.json`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0, "mkfifo");
  const writer = fifoBackstop(fifo);
  try {
    const started = performance.now();
    refused(
      () => readConfigText(fifo, 1024),
      /"[^"]+config\.json" is a FIFO \(named pipe\): give a regular JSON file/,
    );
    assert.ok(performance.now() - started < 100, "refused from its stat, not after a read");
  } finally {
    writer.kill("SIGTERM");
    await writer.status;
  }
});

Deno.test("readConfigText() refuses directories and devices, naming what they are", async () => {
  await using dir = await makeTempDir();
  refused(() => readConfigText(dir.path, 1024), /is a directory: give a regular JSON file/);
  refused(() => readConfigText("/dev/zero", 1024), /"\/dev\/zero" is a character device/);
  refused(() => readConfigText("/dev/null", 1024), /"\/dev\/null" is a character device/);
});

/** A block device to point at, if this machine shows one (containers may not). */
const BLOCK_DEVICE = [...Deno.readDirSync("/dev")].map((e) => `/dev/${e.name}`)
  .find((path) => {
    try {
      return Deno.statSync(path).isBlockDevice === true;
    } catch {
      return false; // a dangling link
    }
  });

Deno.test({
  name: "readConfigText() refuses a block device (ignored where /dev shows none)",
  ignore: BLOCK_DEVICE === undefined,
  fn() {
    refused(() => readConfigText(BLOCK_DEVICE!, 1024), /is a block device/);
  },
});

Deno.test("readConfigText() follows a symlink to what it points at", async () => {
  await using dir = await makeTempDir();
  Deno.writeTextFileSync(`${dir.path}/real.json`, "{}");
  Deno.symlinkSync(`${dir.path}/real.json`, `${dir.path}/good.json`);
  Deno.symlinkSync("/dev/zero", `${dir.path}/zero.json`);
  assert.equal(readConfigText(`${dir.path}/good.json`, 1024), "{}");
  refused(() => readConfigText(`${dir.path}/zero.json`, 1024), /is a character device/);
});

Deno.test("readConfigText() takes exactly the limit and refuses one byte more", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/c.json`;
  Deno.writeTextFileSync(path, " ".repeat(100));
  assert.equal(readConfigText(path, 100).length, 100);
  refused(() => readConfigText(path, 99), /is larger than 99 bytes, the most a config may hold/);
  Deno.writeFileSync(path, new Uint8Array(2 * 1024 * 1024));
  refused(() => readConfigText(path, CONFIG_FILE_MAX_BYTES), /larger than 1048576 bytes/);
});

Deno.test("readConfigText() bounds the read itself, not the size a stat reports", () => {
  // /proc files report a size of 0 and still hold more.
  const path = "/proc/self/status";
  assert.equal(Deno.statSync(path).size, 0);
  refused(() => readConfigText(path, 16), /larger than 16 bytes/);
});

Deno.test("readConfigText() reports missing files and bad UTF-8 in one line", async () => {
  await using dir = await makeTempDir();
  refused(
    () => readConfigText(`${dir.path}/missing.json`, 1024),
    /Cannot read config file ".*missing\.json": no such file \(check the path\)/,
  );
  Deno.writeFileSync(`${dir.path}/latin1.json`, new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
  refused(() => readConfigText(`${dir.path}/latin1.json`, 1024), /is not UTF-8 text/);
});

Deno.test("readConfigJson() refuses deep nesting and duplicate keys before using the value", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/c.json`;
  Deno.writeTextFileSync(path, "[".repeat(5000) + "]".repeat(5000));
  refused(() => readConfigJson(path), /nests deeper than 32 levels/);
  Deno.writeTextFileSync(path, '{"a":'.repeat(4) + "1" + "}".repeat(4));
  refused(() => readConfigJson(path, { maxDepth: 3 }), /nests deeper than 3 levels/);
  assert.ok(readConfigJson(path, { maxDepth: 4 }));
  Deno.writeTextFileSync(path, '{"stats": {"interval_s": 5, "interval_s": 9}}');
  refused(() => readConfigJson(path), /gives key "interval_s" twice in "stats" .*keep one/);
  Deno.writeTextFileSync(path, '{"a": 1, "a": ');
  refused(() => readConfigJson(path), /is not valid JSON/);
});

Deno.test("loadConfigFile() names the file in key errors and refuses two spellings of a key", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/c.json`;
  Deno.writeTextFileSync(path, '{"stats": {"interval_s": 5}, "stats.interval_s": 7}');
  refused(
    () => loadConfigFile(path),
    /^Config file ".*c\.json": Config key "stats\.interval_s" is set twice, as "stats" > "interval_s" and as "stats\.interval_s"/,
  );
  Deno.writeTextFileSync(path, '{"stats": {"interval_s": 0}}');
  refused(
    () => loadConfigFile(path),
    /^Config file ".*c\.json": Bad value 0 for "stats\.interval_s"/,
  );
});
