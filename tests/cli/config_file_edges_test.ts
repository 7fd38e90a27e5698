/**
 * Hostile config files end to end through main.ts: a FIFO, a device, a directory, an oversized
 * or deeply nested file, and a key given twice are each refused at once with exit 2 and one
 * line naming the file, the problem and the fix (never a hang, a 2 GB read or a stack trace).
 */
import assert from "node:assert/strict";
import { makeTempDir } from "../support/pcap_writer.ts";
import { errorLine, runMain } from "./fixtures.ts";

/** Every run here is killed after this long: a refusal takes ~0.1 s, a hang would be forever. */
const BOUND_MS = 5_000;

async function refusedByMain(config: string, message: RegExp): Promise<number> {
  const started = performance.now();
  const r = await runMain(["--config", config, "--print-config"], BOUND_MS);
  const elapsed = performance.now() - started;
  const line = errorLine(r.stderr);
  assert.equal(r.code, 2, `${config}: ${line}`);
  assert.match(line, message);
  assert.ok(line.includes(`"${config}"`), `names the file: ${line}`);
  assert.equal(r.stdout, "");
  return elapsed;
}

Deno.test("main.ts refuses a FIFO config at once with exit 2 (never waits for a writer)", async () => {
  await using dir = await makeTempDir();
  const fifo = `${dir.path}/config.json`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  // Baseline: the same run on a regular file, so the bound is about the FIFO, not startup.
  await Deno.writeTextFile(`${dir.path}/ok.json`, "{}");
  const startup = performance.now();
  assert.equal((await runMain(["--config", `${dir.path}/ok.json`, "--print-config"])).code, 0);
  const baseline = performance.now() - startup;
  const elapsed = await refusedByMain(fifo, /is a FIFO \(named pipe\): give a regular JSON file/);
  assert.ok(elapsed < baseline + 1_000, `refused in ${elapsed} ms (startup ${baseline} ms)`);
});

Deno.test("main.ts refuses /dev/zero, a directory and a 2 MiB file with exit 2", async () => {
  await using dir = await makeTempDir();
  const big = `${dir.path}/big.json`;
  // Valid JSON all along (a long list), so only its size refuses it.
  await Deno.writeTextFile(big, `{"home_networks": [${'"10.0.0.0/8",'.repeat(170_000)}"::/0"]}`);
  assert.ok((await Deno.stat(big)).size > 2 * 1024 * 1024);
  await refusedByMain("/dev/zero", /"\/dev\/zero" is a character device: give a regular JSON file/);
  await refusedByMain(dir.path, /is a directory: give a regular JSON file/);
  await refusedByMain(big, /is larger than 1048576 bytes, the most a config may hold/);
});

Deno.test("main.ts refuses a config 5,000 levels deep with exit 2 and no stack trace", async () => {
  await using dir = await makeTempDir();
  const objects = `${dir.path}/objects.json`;
  const arrays = `${dir.path}/arrays.json`;
  await Deno.writeTextFile(objects, '{"a":'.repeat(5000) + "1" + "}".repeat(5000));
  await Deno.writeTextFile(arrays, "[".repeat(5000) + "]".repeat(5000));
  for (const path of [objects, arrays]) {
    await refusedByMain(path, /nests deeper than 32 levels \(a config needs 6 at most\)/);
  }
});

Deno.test("main.ts refuses a key given twice, naming both spellings, exit 2", async () => {
  await using dir = await makeTempDir();
  const write = (name: string, text: string) => {
    const path = `${dir.path}/${name}.json`;
    Deno.writeTextFileSync(path, text);
    return path;
  };
  await refusedByMain(
    write("spellings", '{"stats": {"interval_s": 5}, "stats.interval_s": 7}'),
    /Config key "stats\.interval_s" is set twice, as "stats" > "interval_s" and as "stats\.interval_s": keep one of them/,
  );
  await refusedByMain(
    write("same", '{"stats": {"interval_s": 5}, "stats": {"interval_s": 9}}'),
    /gives key "stats" twice at the top level \(JSON would keep only the last\): keep one/,
  );
  await refusedByMain(
    write(
      "network",
      JSON.stringify({
        detect: {
          network_thresholds: [{
            networks: ["10.0.0.0/8"],
            "detect.port_scan.threshold": 5,
            detect: { port_scan: { threshold: 6 } },
          }],
        },
      }),
    ),
    /"detect\.port_scan\.threshold" is set twice in "detect\.network_thresholds" entry 1/,
  );
});
