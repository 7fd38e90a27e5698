/**
 * Faults of a headless live capture (main.ts --no-ui inside namespace A of a TestNetwork, B
 * pinging A): the log directory on a 64 KiB tmpfs filling up, turning read-only, and being
 * replaced by a file, then coming back; and the capture device deleted mid-run. Skipped (with
 * the reason) where namespaces or mounts cannot be made.
 */
import assert from "node:assert/strict";
import {
  type BackgroundProcess,
  canUseNamespaces,
  runCommand,
  TestNetwork,
} from "../support/netns.ts";
import { fill, mountSmallTmpfs } from "../support/full_disk.ts";
import { readRecords, type StatsRecord, statsRecords } from "../support/records.ts";
import { mainArgs, ROOT } from "./fixtures.ts";

const unavailable = await canUseNamespaces(["ip", "ethtool", "timeout", "ping", "env", "mount"]);
if (unavailable !== null) console.log(`skip: CLI fault tests: ${unavailable}`);

const RECORDS = "network_activity.jsonl";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startMain(net: TestNetwork, args: string[]): BackgroundProcess {
  const argv = ["env", "-C", ROOT, "NO_COLOR=1", Deno.execPath(), ...mainArgs(args)];
  return net.spawn(net.a.ns, argv, { timeoutS: 40 });
}

/** Output lines of `process` matching `pattern`. */
function linesOf(process: BackgroundProcess, pattern: RegExp): string[] {
  return process.recentOutput.split("\n").filter((line) => pattern.test(line));
}

/** Waits until `count` output lines match `pattern`. */
async function waitForLines(process: BackgroundProcess, pattern: RegExp, count: number) {
  const deadline = Date.now() + 10_000;
  while (linesOf(process, pattern).length < count) {
    if (Date.now() > deadline || process.hasExited) {
      throw new Error(`no ${count} lines matching ${pattern}:\n${process.recentOutput}`);
    }
    await sleep(100);
  }
}

/** Complete lines of a file, parsed; throws on a line that is not JSON. */
async function completeLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").slice(0, -1).map((line) => JSON.parse(line));
}

/** `mount -o remount,OPTIONS`, retried while a write of the moment holds the mount busy. */
async function remount(mountPoint: string, options: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const result = await runCommand(["mount", "-o", `remount,${options}`, mountPoint], {
      allowFailure: true,
    });
    if (result.code === 0) return;
    if (attempt === 20) throw new Error(`remount,${options} failed: ${result.stderr}`);
    await sleep(50);
  }
}

const FAILING = /^anomaly: warning: Cannot write records to .*; capture goes on/;
const RESUMED =
  /^anomaly: warning: Writing records to .* resumed: (\d+) records? (?:was|were) lost/;

Deno.test({
  name: "a full, read-only or replaced log directory: capture goes on, told once, writing resumes",
  ignore: unavailable !== null,
  fn: async () => {
    await using net = await TestNetwork.create();
    const work = await net.makeTemporaryDirectory();
    const mountPoint = await mountSmallTmpfs(work);
    try {
      const logDir = `${mountPoint}/log`;
      const path = `${logDir}/${RECORDS}`;
      const config = `${work}/config.json`;
      await Deno.writeTextFile(config, JSON.stringify({ stats: { interval_s: 1 } }));
      const main = startMain(net, [
        "-i",
        net.a.iface,
        "-f",
        "icmp",
        "--config",
        config,
        "--log-dir",
        logDir,
      ]);
      await main.waitForLine(/Capturing from/, 15_000);
      const pinger = net.spawn(net.b.ns, ["ping", "-c", "600", "-i", "0.05", "-q", net.a.ipv4], {
        timeoutS: 40,
      });
      const deadline = Date.now() + 10_000;
      while ((await completeLines(path)).length < 2) {
        assert.ok(Date.now() < deadline, `no 2 stats records in 10 s:\n${main.recentOutput}`);
        await sleep(100);
      }

      // 1. The disk fills up, then turns read-only: one episode, told once.
      await fill(`${mountPoint}/filler`);
      await waitForLines(main, FAILING, 1);
      assert.match(linesOf(main, FAILING)[0]!, /: no space left on device; /);
      const beforeFull = (await completeLines(path)).at(-1) as unknown as StatsRecord;
      await sleep(1500);
      await remount(mountPoint, "ro");
      await sleep(1500);
      await remount(mountPoint, "rw");
      await Deno.remove(`${mountPoint}/filler`);
      await waitForLines(main, RESUMED, 1);
      assert.equal(linesOf(main, FAILING).length, 1, "the full disk is reported once");
      assert.ok(!main.hasExited, "capture goes on");
      const firstLost = Number(RESUMED.exec(linesOf(main, RESUMED)[0]!)![1]);
      assert.ok(firstLost >= 2, `${firstLost} records lost in 3 s of stats every second`);

      // 2. The log directory is replaced by a file, then comes back.
      await Deno.rename(logDir, `${mountPoint}/log.old`);
      await Deno.writeTextFile(logDir, "in the way");
      await waitForLines(main, FAILING, 2);
      assert.match(linesOf(main, FAILING)[1]!, /: a file is in the way; /);
      await sleep(1200);
      await Deno.remove(logDir);
      await waitForLines(main, RESUMED, 2);
      await sleep(1200); // another stats record in the new directory

      const status = await main.stop("SIGINT", 10_000);
      await pinger.stop("SIGINT");
      assert.equal(status.code, 0, main.recentOutput);
      assert.equal(linesOf(main, FAILING).length, 2, main.recentOutput);
      assert.equal(linesOf(main, RESUMED).length, 2, main.recentOutput);
      const secondLost = Number(RESUMED.exec(linesOf(main, RESUMED)[1]!)![1]);
      const lost = firstLost + secondLost;
      const done = linesOf(main, /Done: /);
      assert.equal(done.length, 1, main.recentOutput);
      assert.match(
        done[0]!,
        new RegExp(
          `; ${lost} records could not be written and are lost \\(a file is in the way\\)`,
        ),
      );

      // Nothing written was damaged: both files are whole lines of valid JSON.
      const old = readRecords(`${mountPoint}/log.old/${RECORDS}`) as unknown as StatsRecord[];
      const { all, final } = statsRecords(path);
      assert.ok(old.length >= 3 && all.length >= 2, `${old.length} and ${all.length} records`);
      const lostCounts = [...old, ...all].map((r) =>
        (r.summary as unknown as { records_lost: number }).records_lost
      );
      assert.deepEqual(lostCounts.toSorted((x, y) => x - y), lostCounts, "records_lost only grows");
      assert.equal(lostCounts.at(-1), lost, "the final stats record counts every lost record");
      assert.ok(
        old.some((r) => (r.summary as unknown as { records_lost: number }).records_lost > 0),
        "the first stats record after space returned counts the records lost",
      );
      // Capture went on during the outages.
      assert.equal(final.summary.final, true);
      assert.ok(
        final.stats.decoder.pkts >= beforeFull.stats.decoder.pkts + 4 * 40,
        `${final.stats.decoder.pkts} packets in the end, ${beforeFull.stats.decoder.pkts} before`,
      );
      for (const log of [`${mountPoint}/log.old/anomaly.log`, `${logDir}/anomaly.log`]) {
        const text = await Deno.readTextFile(log);
        assert.ok(text.endsWith("\n"), `${log} ends in a whole line`);
        text.trim().split("\n").forEach((line) => JSON.parse(line));
      }
      assert.match(await Deno.readTextFile(`${mountPoint}/log.old/anomaly.log`), /resumed/);
    } finally {
      await runCommand(["umount", "-l", mountPoint], { allowFailure: true });
    }
  },
});

Deno.test({
  name:
    "the capture device deleted mid-run ends a headless capture: exit 1, one line, final records",
  ignore: unavailable !== null,
  fn: async () => {
    await using net = await TestNetwork.create();
    const logDir = await net.makeTemporaryDirectory();
    const iface = net.a.iface;
    const main = startMain(net, ["-i", iface, "-f", "icmp", "--log-dir", logDir]);
    await main.waitForLine(/Capturing from/, 15_000);
    await net.exec(net.b.ns, ["ping", "-c", "20", "-i", "0.02", "-W", "1", "-q", net.a.ipv4], {
      timeoutS: 15,
    });
    await sleep(300);
    const deleted = Date.now();
    await net.exec(net.a.ns, ["ip", "link", "del", iface]);
    const ended = await Promise.race([main.finished, sleep(10_000).then(() => null)]);
    assert.ok(
      ended !== null,
      `still running 10 s after the device went away:\n${main.recentOutput}`,
    );
    console.log(`ended ${Date.now() - deleted} ms after the device was deleted`);
    assert.equal(ended.code, 1, main.recentOutput);
    const errors = linesOf(main, /^anomaly: (?!info: )/);
    assert.equal(errors.length, 1, main.recentOutput);
    assert.match(
      errors[0]!,
      new RegExp(
        `^anomaly: Capture on "${iface}" ended: the device (was removed|went down or away)` +
          `.*\\(processed \\d+ packets from ${iface}; \\d+ records? in ${logDir}/${RECORDS}\\)$`,
      ),
    );
    const { final } = statsRecords(`${logDir}/${RECORDS}`);
    assert.equal(final.summary.final, true);
    assert.equal(final.stats.decoder.icmpv4, 40, "the pings before the device went away");
  },
});
