/**
 * End-to-end tests of main.ts as users run it: usage errors, file and device errors, and reading
 * pcap/pcapng fixtures into records. Live captures are in live_test.ts.
 */
import assert from "node:assert/strict";
import { CONFIG_KEYS } from "../../core/config/config.ts";
import { VERSION } from "../../core/version.ts";
import { loadEveValidator } from "../support/eve_schema.ts";
import {
  encodePcap,
  encodePcapng,
  type FixturePacket,
  makeTempDir,
  writePcap,
  writePcapng,
} from "../support/pcap_writer.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { errorLine, mixedFixture, runMain, udpPackets, WITHOUT_DAC_OVERRIDE } from "./fixtures.ts";

const IS_ROOT = Deno.uid() === 0;

/** Asserts a usage-or-open error: the exit code, and stderr that is that one line and no more. */
async function expectError(args: string[], code: number, ...mentions: string[]): Promise<string> {
  return await expectErrorFrom(await runMain(args), args, code, ...mentions);
}

function expectErrorFrom(
  result: Awaited<ReturnType<typeof runMain>>,
  args: string[],
  code: number,
  ...mentions: string[]
): string {
  const line = errorLine(result.stderr);
  assert.equal(
    result.stderr,
    `${line}\n`,
    `stderr should be the one error line:\n${result.stderr}`,
  );
  assert.equal(result.code, code, `exit code for ${args.join(" ")}: ${line}`);
  assert.equal(result.stdout, "", "nothing on stdout");
  for (const text of mentions) assert.ok(line.includes(text), `"${line}" should mention ${text}`);
  return line;
}

// ---------------------------------------------------------------------------------------------
// Usage (exit 2)

Deno.test("an unknown option exits 2 naming it and --help", async () => {
  await expectError(["--bogus"], 2, "--bogus", "--help");
});

Deno.test("an option missing its value exits 2 naming the option", async () => {
  await expectError(["--read"], 2, "--read", "needs a value", "--help");
  await expectError(["--log-dir"], 2, "--log-dir", "needs a value");
});

Deno.test("--read and --interface together exit 2", async () => {
  await expectError(["-r", "x.pcap", "-i", "eth0"], 2, "--read", "--interface", "choose");
});

Deno.test("a bad --duration exits 2 naming the value and what is allowed", async () => {
  await expectError(["--duration", "soon"], 2, '"soon"', "--duration", "expected a number");
  await expectError(["--duration=-5"], 2, '"-5"', "greater than 0");
  // parseArgs takes "-5" for a forgotten value; the message says how to pass it anyway.
  await expectError(["--duration", "-5"], 2, '"-5"', "--duration=-5");
});

Deno.test("a bad config file exits 2 naming the key, the value and what is allowed", async () => {
  await using dir = await makeTempDir();
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify({ stats: { interval_s: 0 } }));
  await expectError(
    ["--config", config],
    2,
    '"stats.interval_s"',
    "Bad value 0",
    "from 1 to 86400",
  );
  await Deno.writeTextFile(config, JSON.stringify({ "log.max_filez": 3 }));
  await expectError(["--config", config], 2, '"log.max_filez"', "--print-config");
  await Deno.writeTextFile(config, "{ not json");
  await expectError(["--config", config], 2, config, "not valid JSON");
  await expectError(["--config", `${dir.path}/missing.json`], 2, "missing.json", "check the path");
});

// ---------------------------------------------------------------------------------------------
// Informational options (exit 0)

Deno.test("--print-config prints valid JSON with every key, overrides applied", async () => {
  const result = await runMain(["--print-config"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const printed = JSON.parse(result.stdout);
  const at = (key: string) =>
    key.split(".").reduce<unknown>(
      (node, part) => (node as Record<string, unknown>)?.[part],
      printed,
    );
  for (const spec of CONFIG_KEYS) assert.deepEqual(at(spec.key), spec.default, spec.key);

  await using dir = await makeTempDir();
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ "stats.interval_s": 5, log: { max_files: 2 } }),
  );
  const overridden = await runMain(["--config", config, "--print-config"]);
  assert.equal(overridden.code, 0, overridden.stderr);
  const values = JSON.parse(overridden.stdout);
  assert.equal(values.stats.interval_s, 5);
  assert.equal(values.log.max_files, 2);
});

Deno.test("--help and --version print to stdout and exit 0", async () => {
  for (const flag of ["--help", "-h"]) {
    const help = await runMain([flag]);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stderr, "");
    assert.match(help.stdout, /Usage: anomaly \[options\]/);
    for (const option of ["--read", "--interface", "--filter", "--log-dir", "--duration"]) {
      assert.ok(help.stdout.includes(option), `help mentions ${option}`);
    }
  }
  const version = await runMain(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stderr, "");
  assert.equal(version.stdout, `anomaly ${VERSION}\n`);
});

// ---------------------------------------------------------------------------------------------
// Files (exit 1)

Deno.test("a missing file exits 1 naming it", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/nope.pcap`;
  await expectError(["-r", path, "--log-dir", `${dir.path}/log`], 1, `"${path}"`, "no such file");
});

Deno.test("a directory given as the capture file exits 1 naming it", async () => {
  await using dir = await makeTempDir();
  // A directory cannot be read as a capture, even by root.
  await expectError(
    ["-r", dir.path, "--log-dir", `${dir.path}/log`],
    1,
    `"${dir.path}"`,
    "directory",
    "pcap or pcapng",
  );
});

Deno.test("a file without read permission exits 1 naming it", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/secret.pcap`;
  await writePcap(path, { packets: udpPackets(1) });
  await Deno.chmod(path, 0o000);
  const args = ["-r", path, "--log-dir", `${dir.path}/log`];
  // Root reads any file; without CAP_DAC_OVERRIDE the permission bits hold for it too.
  const result = await runMain(args, 30_000, IS_ROOT ? WITHOUT_DAC_OVERRIDE : []);
  expectErrorFrom(result, args, 1, `"${path}"`, "permission");
});

Deno.test("a file that is not a capture exits 1 naming it", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/notes.txt`;
  await Deno.writeTextFile(path, "these are my notes, not packets\n".repeat(10));
  await expectError(
    ["-r", path, "--log-dir", `${dir.path}/log`],
    1,
    `"${path}"`,
    "not a pcap or pcapng",
  );
});

for (const format of ["pcap", "pcapng"] as const) {
  Deno.test(`a truncated ${format} exits 1 after writing the stats of the readable packets`, async () => {
    await using dir = await makeTempDir();
    const encode = (packets: FixturePacket[]) =>
      format === "pcap" ? encodePcap({ packets }) : encodePcapng({ packets });
    const packets = udpPackets(10);
    const header = encode([]).length;
    const perPacket = encode(packets.slice(0, 1)).length - header;
    // Cut in the middle of packet 7's record: 6 packets are readable.
    const cut = header + 6 * perPacket + Math.floor(perPacket / 2);
    const path = `${dir.path}/cut.${format}`;
    await Deno.writeFile(path, encode(packets).slice(0, cut));
    const logDir = `${dir.path}/log`;

    const result = await runMain(["-r", path, "--log-dir", logDir]);
    assert.equal(result.code, 1, result.stderr);
    const line = errorLine(result.stderr);
    assert.ok(line.includes(`"${path}"`), line);
    assert.ok(line.includes("truncated"), line);
    assert.ok(line.includes("6 packets read"), `says where it broke: ${line}`);

    const { final } = statsRecords(`${logDir}/network_activity.jsonl`);
    assert.equal(final.stats.decoder.pkts, 6);
    assert.equal(final.stats.decoder.udp, 6);
    assert.equal(final.summary.interval.packets, 6);
  });
}

// ---------------------------------------------------------------------------------------------
// Devices, filters, log directory

Deno.test({
  name: "no such device exits 1 naming it and --list-interfaces",
  ignore: !IS_ROOT,
  fn: async () => {
    await using dir = await makeTempDir();
    await expectError(
      ["-i", "nosuchdev0", "--log-dir", `${dir.path}/log`],
      1,
      '"nosuchdev0"',
      "no such device",
      "--list-interfaces",
    );
  },
});

Deno.test("a BPF syntax error exits 2 with libpcap's text and the fix", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/one.pcap`;
  await writePcap(path, { packets: udpPackets(1) });
  const args = ["-f", "tcp port x", "--log-dir", `${dir.path}/log`];
  await expectError(["-r", path, ...args], 2, '"tcp port x"', "unknown port 'x'", "pcap-filter");
  await expectError(["-r", path, "-f", "tcp and (", "--log-dir", `${dir.path}/log`], 2, "syntax");
  if (IS_ROOT) {
    await expectError(["-i", "lo", ...args], 2, '"tcp port x"', "unknown port 'x'", "pcap-filter");
  }
});

Deno.test("an unwritable log directory exits 1 naming it and --log-dir", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/one.pcap`;
  await writePcap(path, { packets: udpPackets(1) });
  await Deno.writeTextFile(`${dir.path}/file`, "a regular file\n");
  const logDir = `${dir.path}/file/log`;
  await expectError(["-r", path, "--log-dir", logDir], 1, `"${logDir}"`, "--log-dir");
});

// ---------------------------------------------------------------------------------------------
// Reading fixtures (exit 0)

for (const format of ["pcap", "pcapng"] as const) {
  Deno.test(`a ${format} of known traffic gives exact decoder counts and EVE records`, async () => {
    await using dir = await makeTempDir();
    const fixture = mixedFixture();
    const path = `${dir.path}/mixed.${format}`;
    if (format === "pcap") await writePcap(path, { packets: fixture.packets });
    else await writePcapng(path, { packets: fixture.packets });
    const logDir = `${dir.path}/log`;

    const result = await runMain(["-r", path, "--log-dir", logDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Capturing from /);
    assert.doesNotMatch(result.stderr, /^anomaly: (?!info: )/m, "no error or warning");

    const { all, periodic, final } = statsRecords(`${logDir}/network_activity.jsonl`);
    assert.equal(periodic.length, 0, "16 s of packet time: no periodic record");
    assert.deepEqual(final.stats.decoder, fixture.expected);
    assert.equal(final.stats.capture, undefined, "no kernel counters for a file");
    assert.deepEqual(final.summary.decode_events, fixture.events);
    assert.equal(final.summary.truncated, fixture.truncated);
    assert.equal(final.summary.invalid, fixture.expected.invalid);
    assert.equal(final.timestamp, "2023-11-14T22:13:35.000000+0000", "the last packet's time");
    assertEve(all);
  });
}

Deno.test("stats records come every 60 s of packet time, then a final one", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/150s.pcap`;
  // 16 packets at +0, +10 ... +150 s.
  await writePcap(path, { packets: udpPackets(16, 10) });
  const logDir = `${dir.path}/log`;

  const result = await runMain(["-r", path, "--log-dir", logDir]);
  assert.equal(result.code, 0, result.stderr);
  const { all, periodic, final } = statsRecords(`${logDir}/network_activity.jsonl`);
  assert.equal(all.length, 3);
  assert.deepEqual(
    periodic.map((r) => [r.timestamp, r.summary.interval.packets, r.stats.decoder.pkts]),
    [
      ["2023-11-14T22:14:20.000000+0000", 6, 6], // +60 s: packets at +0 ... +50
      ["2023-11-14T22:15:20.000000+0000", 6, 12], // +120 s: packets at +60 ... +110
    ],
  );
  assert.deepEqual(periodic.map((r) => [r.summary.interval.start, r.summary.interval.end]), [
    ["2023-11-14T22:13:20.000000+0000", "2023-11-14T22:14:20.000000+0000"],
    ["2023-11-14T22:14:20.000000+0000", "2023-11-14T22:15:20.000000+0000"],
  ]);
  assert.equal(final.timestamp, "2023-11-14T22:15:50.000000+0000");
  assert.equal(final.summary.interval.packets, 4, "+120 ... +150 s");
  assert.equal(final.stats.decoder.pkts, 16);
  assertEve(all);
});

Deno.test("a second run appends to the records file, which stays valid JSON Lines", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/one.pcap`;
  await writePcap(path, { packets: udpPackets(3) });
  const logDir = `${dir.path}/log`;
  assert.equal((await runMain(["-r", path, "--log-dir", logDir])).code, 0);
  // A torn last line, as a crash in the middle of a write would leave.
  await Deno.writeTextFile(`${logDir}/network_activity.jsonl`, '{"timestamp":"20', {
    append: true,
  });
  assert.equal((await runMain(["-r", path, "--log-dir", logDir])).code, 0);
  const records = readRecords(`${logDir}/network_activity.jsonl`);
  assert.equal(records.length, 2, "one final record per run, the torn line cut");
  assert.ok(records.every((r) => r.event_type === "stats"));
});

/** Validates every record against tests/schema/anomaly-eve.schema.json. */
function assertEve(records: Record<string, unknown>[]): void {
  const validate = loadEveValidator();
  records.forEach((record, i) => {
    const problem = validate(record);
    assert.equal(problem, null, `record ${i + 1} is not valid EVE: ${problem}`);
  });
}
