/**
 * End-to-end tests of live captures: main.ts runs inside namespace A of a TestNetwork, capturing
 * on A's end of the veth, while namespace B pings A. Skipped (with the reason) where namespaces
 * cannot be made.
 */
import assert from "node:assert/strict";
import { type BackgroundProcess, canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { mainArgs, ROOT } from "./fixtures.ts";

const unavailable = await canUseNamespaces(["ip", "ethtool", "timeout", "ping", "env"]);
if (unavailable !== null) console.log(`skip: live CLI tests: ${unavailable}`);

const RECORDS = "network_activity.jsonl";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts main.ts inside `ns` with `args`, in the repository (for deno.json), without colours. */
function startMain(net: TestNetwork, ns: string, args: string[]): BackgroundProcess {
  return net.spawn(ns, ["env", "-C", ROOT, "NO_COLOR=1", Deno.execPath(), ...mainArgs(args)], {
    timeoutS: 30,
  });
}

/** Pings A from B `count` times, 20 ms apart, and waits for the replies. */
async function ping(net: TestNetwork, count: number): Promise<void> {
  await net.exec(
    net.b.ns,
    ["ping", "-c", String(count), "-i", "0.02", "-W", "1", "-q", net.a.ipv4],
    {
      timeoutS: 15,
    },
  );
}

/** The pid of the process `timeout` runs (main.ts's deno), from /proc. */
async function childOf(pid: number): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
  const [child] = text.trim().split(/\s+/).map(Number);
  assert.ok(child > 0, `no child process under ${pid}`);
  return child!;
}

/** Complete lines of a records file (a torn last line left aside), each parsed. */
async function completeLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines = text.split("\n").slice(0, -1);
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new Error(`${path} line ${i + 1} is not JSON (${error}): ${line.slice(0, 200)}`);
    }
  });
}

Deno.test({
  name: "live captures stop cleanly on SIGINT, SIGTERM and --duration, and survive kill -9",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const { a } = net;

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      await t.step(`${signal} writes the final stats record and exits 0`, async () => {
        const logDir = await net.makeTemporaryDirectory();
        const main = startMain(net, a.ns, ["-i", a.iface, "-f", "icmp", "--log-dir", logDir]);
        await main.waitForLine(/Capturing from/, 15_000);
        await ping(net, 20);
        await sleep(500); // let the worker drain the last replies
        const status = await main.stop(signal, 10_000);
        assert.equal(status.code, 0, `exit code after ${signal}:\n${main.recentOutput}`);
        assert.doesNotMatch(main.recentOutput, /^anomaly: (?!info: )/m, "no error or warning");

        const { all, final } = statsRecords(`${logDir}/${RECORDS}`);
        assert.ok(all.length >= 1);
        for (const record of readRecords(`${logDir}/${RECORDS}`)) {
          assert.equal(record.in_iface, a.iface, "in_iface on every record of a live capture");
          assert.equal(record.capture_file, undefined);
          assert.equal(record.host, Deno.hostname(), "host: the hostname by default");
        }
        assert.equal(final.stats.decoder.icmpv4, 40, "20 echo requests + 20 replies");
        assert.equal(final.stats.decoder.pkts, 40, "the filter kept only ICMP");
        const capture = final.stats.capture;
        assert.ok(capture !== undefined, "stats.capture from pcap_stats");
        assert.ok(capture.kernel_packets >= 40, `kernel_packets ${capture.kernel_packets}`);
        assert.equal(capture.kernel_drops, 0);
      });
    }

    await t.step("--duration 2 ends the capture by itself with exit 0", async () => {
      const logDir = await net.makeTemporaryDirectory();
      const started = Date.now();
      const main = startMain(net, a.ns, ["-i", a.iface, "--duration", "2", "--log-dir", logDir]);
      await main.waitForLine(/Capturing from/, 15_000);
      const status = await main.finished;
      const elapsed = Date.now() - started;
      assert.equal(status.code, 0, main.recentOutput);
      assert.ok(elapsed >= 2000 && elapsed < 15_000, `ran ${elapsed} ms`);
      const { final } = statsRecords(`${logDir}/${RECORDS}`);
      assert.equal(final.summary.final, true);
      assert.ok(final.stats.capture !== undefined, "stats.capture from pcap_stats");
    });

    await t.step("kill -9 leaves valid lines, and the next run appends validly", async () => {
      const logDir = await net.makeTemporaryDirectory();
      const config = `${logDir}/config.json`;
      await Deno.writeTextFile(config, JSON.stringify({ stats: { interval_s: 1 } }));
      const path = `${logDir}/${RECORDS}`;
      const args = ["-i", a.iface, "--config", config, "--log-dir", logDir];

      const main = startMain(net, a.ns, args);
      await main.waitForLine(/Capturing from/, 15_000);
      const traffic = net.spawn(net.b.ns, ["ping", "-c", "200", "-i", "0.02", "-q", a.ipv4], {
        timeoutS: 15,
      });
      const deadline = Date.now() + 10_000;
      while ((await completeLines(path)).length < 2) {
        assert.ok(Date.now() < deadline, `no 2 stats records in 10 s:\n${main.recentOutput}`);
        await sleep(100);
      }
      Deno.kill(await childOf(main.pid), "SIGKILL");
      const killed = await main.finished;
      assert.notEqual(killed.code, 0, "killed, not finished");
      await traffic.stop("SIGINT");

      const before = await completeLines(path);
      assert.ok(before.length >= 2);
      // A kill in the middle of a write leaves the start of a line without its newline: make
      // one (whatever the kill left is complete lines, or it is this same case).
      const text = await Deno.readTextFile(path);
      const torn = text.endsWith("\n") ? text.slice(0, text.indexOf("\n") + 1).slice(0, 40) : "";
      await Deno.writeTextFile(path, torn, { append: true });
      assert.ok(!(await Deno.readTextFile(path)).endsWith("\n"), "the file ends in a torn line");
      assert.ok(before.every((r) => r.event_type === "stats"));
      assert.ok(before.every((r) => (r.summary as { final: boolean }).final === false));

      const again = startMain(net, a.ns, [...args, "--duration", "1"]);
      const status = await again.finished;
      assert.equal(status.code, 0, again.recentOutput);
      const after = readRecords(path); // every line whole and valid: the torn one was cut off
      assert.ok(after.length > before.length, `${after.length} records after ${before.length}`);
      assert.deepEqual(after.slice(0, before.length), before, "earlier records kept as they were");
      assert.equal(statsRecords(path).final.summary.final, true);
    });
  },
});
