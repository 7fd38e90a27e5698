/**
 * main.ts --no-ui against a hostile log directory and stdout (issue 10): a records file or
 * anomaly.log that is a symlink is refused and its target left as it was; a second writer on a
 * log directory is refused naming the first, and concurrent runs never garble a line; a stdout
 * that fails (/dev/full, a closed pipe) costs the alert lines, never the capture; --log-dir
 * pointing at a file, /proc, a symlink loop or a read-only mount gets a one-line message.
 */
import assert from "node:assert/strict";
import { RECORDS_FILE, RecordWriter } from "../../core/records/record_writer.ts";
import { ethernet, ipv4, tcp } from "../support/frames.ts";
import { runCommand } from "../support/netns.ts";
import { makeTempDir, writePcap } from "../support/pcap_writer.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { errorLine, mainArgs, ROOT, runMain, T0_US } from "./fixtures.ts";

const IS_ROOT = Deno.uid() === 0;

/** 40 sources each probing 30 ports of one host, 10 s apart: port_scan starts and ends. */
async function writeScanCapture(path: string): Promise<void> {
  const packets = [];
  for (let s = 0; s < 40; s++) {
    for (let p = 0; p < 30; p++) {
      const syn = tcp({ sport: 40000 + p, dport: 1000 + p, seq: 1 });
      packets.push({
        tsUs: T0_US + s * 10e6 + p * 1000,
        bytes: ethernet(
          0x0800,
          ipv4({ proto: 6, src: `10.1.0.${s}`, dst: "10.0.0.2", payload: syn }),
        ),
      });
    }
  }
  await writePcap(path, { packets });
}

/** Asserts the one-line error of a refused run: exit 1, nothing on stdout. */
async function expectRefused(args: string[], ...mentions: string[]): Promise<string> {
  const result = await runMain(args);
  const line = errorLine(result.stderr);
  assert.equal(result.code, 1, line);
  assert.equal(result.stdout, "");
  for (const text of mentions) assert.ok(line.includes(text), `"${line}" should mention ${text}`);
  return line;
}

for (const name of [RECORDS_FILE, "anomaly.log"]) {
  Deno.test(`a symlinked ${name} is refused (exit 1) and its target stays byte for byte`, async () => {
    await using dir = await makeTempDir();
    const capture = `${dir.path}/scan.pcap`;
    await writeScanCapture(capture);
    const logDir = `${dir.path}/log`;
    await Deno.mkdir(logDir);
    // A file without a final newline: the torn-tail cut would have emptied it.
    const target = `${dir.path}/precious`;
    const original = new TextEncoder().encode("line one\nline two without newline");
    await Deno.writeFile(target, original);
    await Deno.symlink(target, `${logDir}/${name}`);
    await expectRefused(
      ["-r", capture, "--log-dir", logDir],
      `"${logDir}/${name}" is a symbolic link to "${target}"`,
      "--log-dir",
    );
    assert.deepEqual(await Deno.readFile(target), original);
    assert.equal((await Deno.lstat(`${logDir}/${name}`)).isSymlink, true, "the link stays");
  });
}

Deno.test("a second writer on a log directory is refused naming the holder", async () => {
  await using dir = await makeTempDir();
  const capture = `${dir.path}/scan.pcap`;
  await writeScanCapture(capture);
  const logDir = `${dir.path}/log`;
  // The holder is this process, through the real lock (a flock on its own file description).
  const holder = RecordWriter.open(logDir, { maxBytes: 1 << 20, maxFiles: 1, mode: "ui" });
  try {
    holder.write({ event_type: "stats", n: 1 });
    await expectRefused(
      ["-r", capture, "--log-dir", logDir],
      `Log directory "${logDir}" is in use by anomaly pid ${Deno.pid} (web UI) since `,
      "stop it or use --log-dir",
    );
  } finally {
    holder.close();
  }
  assert.deepEqual(readRecords(`${logDir}/${RECORDS_FILE}`), [{ event_type: "stats", n: 1 }]);
  const after = await runMain(["-r", capture, "--log-dir", logDir]);
  assert.equal(after.code, 0, `free again once the holder closed:\n${after.stderr}`);
});

Deno.test("concurrent runs on one log directory: each writes alone or is refused, lines stay whole", async () => {
  await using dir = await makeTempDir();
  const capture = `${dir.path}/scan.pcap`;
  await writeScanCapture(capture);
  const logDir = `${dir.path}/log`;
  const runs = await Promise.all(
    Array.from({ length: 4 }, () => runMain(["-r", capture, "--log-dir", logDir])),
  );
  const finished = runs.filter((r) => r.code === 0);
  const refused = runs.filter((r) => r.code !== 0);
  for (const run of refused) {
    assert.equal(run.code, 1, run.stderr);
    assert.match(errorLine(run.stderr), /is in use by anomaly pid \d+ \(headless\) since /);
  }
  assert.ok(finished.length >= 1, "one run at least had the directory");
  const records = readRecords(`${logDir}/${RECORDS_FILE}`); // throws on a garbled line
  const finals = records.filter((r) => (r.summary as { final?: boolean } | undefined)?.final);
  assert.equal(finals.length, finished.length, "one final stats record per finished run");
  console.log(`${finished.length} of 4 runs wrote, ${refused.length} were refused`);
});

/** Runs main.ts with stdout sent where the shell redirection `stdout` says. */
async function runWithStdout(args: string[], stdout: string) {
  const script = `exec "$0" "$@" ${stdout}`;
  const output = await new Deno.Command("sh", {
    args: ["-c", script, Deno.execPath(), ...mainArgs(args)],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

type Run = (args: string[]) => Promise<{ code: number; stderr: string }>;
const FAILING_STDOUTS: [string, Run][] = [
  ["/dev/full", (args) => runWithStdout(args, ">/dev/full")],
  ["a closed pipe", (args) => runWithPipeClosed(args)],
];

for (const [what, run] of FAILING_STDOUTS) {
  Deno.test(`a headless --read with stdout on ${what} ends 0 with every record written`, async () => {
    await using dir = await makeTempDir();
    const capture = `${dir.path}/scan.pcap`;
    await writeScanCapture(capture);
    const reference = await runMain(["-r", capture, "--log-dir", `${dir.path}/ref`]);
    assert.equal(reference.code, 0, reference.stderr);
    const alertLines = reference.stdout.split("\n").filter((l) => l !== "").length;
    assert.ok(alertLines >= 40, `${alertLines} alert lines in the reference run`);

    const logDir = `${dir.path}/log`;
    const result = await run(["-r", capture, "--log-dir", logDir]);
    assert.equal(result.code, 0, result.stderr);
    const { all, final } = statsRecords(`${logDir}/${RECORDS_FILE}`);
    assert.equal(final.summary.final, true);
    assert.equal(all.length, readRecords(`${dir.path}/ref/${RECORDS_FILE}`).length);
    const warnings = result.stderr.split("\n").filter((l) => l.includes("Cannot print alert"));
    assert.equal(warnings.length, 1, `told once:\n${result.stderr}`);
    assert.match(
      result.stderr,
      / alert lines? could not be printed on stdout \((no space left on device|stdout was closed)\)/,
    );
    const log = await Deno.readTextFile(`${logDir}/anomaly.log`);
    assert.match(log, /alert lines? could not be printed on stdout/);
  });
}

/** Runs main.ts with a stdout pipe whose reader is gone before the first alert line. */
async function runWithPipeClosed(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: mainArgs(args),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  await child.stdout.cancel();
  const output = await child.output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("--log-dir at a file, inside /proc or /sys, or through a symlink loop: one line, exit 1", async () => {
  await using dir = await makeTempDir();
  const capture = `${dir.path}/scan.pcap`;
  await writeScanCapture(capture);
  await Deno.writeTextFile(`${dir.path}/file`, "a file\n");
  await Deno.symlink(`${dir.path}/loop_b`, `${dir.path}/loop_a`);
  await Deno.symlink(`${dir.path}/loop_a`, `${dir.path}/loop_b`);
  await Deno.symlink(`${dir.path}/nowhere`, `${dir.path}/dangling`);
  const cases: [string, string][] = [
    [`${dir.path}/file`, "it is a file, not a directory (remove it or choose another"],
    [`${dir.path}/file/log`, "a part of its path is a file, not a directory"],
    ["/proc/self", "it is inside /proc, a kernel file system"],
    ["/proc/anomaly-log", "it is inside /proc, a kernel file system"],
    ["/sys/kernel", "it is inside /sys, a kernel file system"],
    [`${dir.path}/loop_a`, "a symbolic link on its path loops back on itself (fix the link"],
    [`${dir.path}/loop_a/log`, "a symbolic link on its path loops back on itself"],
    [
      `${dir.path}/dangling`,
      `it is a symbolic link to "${dir.path}/nowhere", which does not exist`,
    ],
  ];
  for (const [logDir, reason] of cases) {
    await expectRefused(
      ["-r", capture, "--log-dir", logDir],
      `Cannot write to log directory "${logDir}": ${reason}`,
      "--log-dir)",
    );
  }
});

Deno.test({
  name: "--log-dir on a read-only mount: one line naming it and the fix, exit 1",
  ignore: !IS_ROOT,
  fn: async () => {
    await using dir = await makeTempDir();
    const capture = `${dir.path}/scan.pcap`;
    await writeScanCapture(capture);
    const mountPoint = `${dir.path}/ro`;
    await Deno.mkdir(mountPoint);
    await runCommand(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", mountPoint]);
    try {
      for (const logDir of [mountPoint, `${mountPoint}/log`]) {
        await expectRefused(
          ["-r", capture, "--log-dir", logDir],
          `"${logDir}": it is on a read-only file system (remount it read-write or choose another`,
        );
      }
    } finally {
      await runCommand(["umount", "-l", mountPoint], { allowFailure: true });
    }
  },
});
