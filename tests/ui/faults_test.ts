/**
 * Faults with the web UI (main.ts --listen 127.0.0.1:0 --start inside namespace A of a
 * TestNetwork):
 * - the API keeps answering while tcpreplay --topspeed floods the captured veth (a poller inside
 *   A times every request; the figures are printed, the bound is generous);
 * - the log directory (a 64 KiB tmpfs) filling up shows a warning in the status, the event
 *   stream and the page, and its end too; the capture device deleted mid-run ends the capture in
 *   state error with the message, shown on the page, with the final records written.
 * The page is driven by Debian's chromium through playwright-core when /usr/bin/chromium exists
 * (the API checks run without it). Skipped, with the reason, without root, namespaces or tools.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import {
  type BackgroundProcess,
  canUseNamespaces,
  runCommand,
  TestNetwork,
} from "../support/netns.ts";
import { ethernet, ipv4, tcp, udp } from "../support/frames.ts";
import { type FixturePacket, writePcap } from "../support/pcap_writer.ts";
import { fill, mountSmallTmpfs } from "../support/full_disk.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { CHROMIUM, chromiumInNamespace, ROOT, startUiIn, waitFor } from "./support.ts";

const OUTPUT = `${ROOT}tests/output`;
const RECORDS = "network_activity.jsonl";

const unavailable = await canUseNamespaces([
  "ip",
  "ethtool",
  "timeout",
  "ping",
  "env",
  "curl",
  "mount",
  "tcpreplay",
]);
if (unavailable !== null) console.log(`skip: UI fault tests: ${unavailable}`);
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (unavailable === null && !hasChromium) {
  console.log(`UI fault tests: ${CHROMIUM} is missing: the page checks are skipped`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts main.ts with the UI in A, capturing on A's end of the veth at once; returns its URL. */
async function startUi(
  net: TestNetwork,
  args: string[],
): Promise<{ main: BackgroundProcess; url: string }> {
  return await startUiIn(net, net.a.ns, ["--start", "-i", net.a.iface, ...args], {
    timeoutS: 60,
    waitMs: 20_000,
  });
}

/** GET `path` of the UI from inside A (where it listens), parsed. */
async function getJson(net: TestNetwork, url: string, path: string) {
  const { stdout } = await net.exec(net.a.ns, ["curl", "-sS", "--max-time", "5", `${url}${path}`]);
  return JSON.parse(stdout);
}

/** 20 000 small frames: UDP from 250 sources, and TCP SYNs to 80 ports, toward two hosts. */
function replayPackets(): FixturePacket[] {
  const packets: FixturePacket[] = [];
  const t0 = 1_700_000_000 * 1e6;
  for (let i = 0; i < 20_000; i++) {
    const src = `10.77.${(i >> 8) % 250}.${(i % 250) + 1}`;
    const payload = i % 4 === 0
      ? tcp({ sport: 30000 + (i % 1000), dport: 1 + (i % 80), flags: 0x02 })
      : udp({ sport: 40000 + (i % 2000), dport: 5000 + (i % 10), payload: [i & 255, 1, 2, 3] });
    const proto = i % 4 === 0 ? 6 : 17;
    const dst = i % 2 === 0 ? "10.77.250.1" : "10.77.250.2";
    packets.push({
      tsUs: t0 + i * 10,
      bytes: ethernet(0x0800, ipv4({ proto, src, dst, payload })),
    });
  }
  return packets;
}

Deno.test({
  name: "the UI and the API keep answering while capture runs at full speed",
  ignore: unavailable !== null,
  fn: async () => {
    await using net = await TestNetwork.create();
    const work = await net.makeTemporaryDirectory();
    const pcap = `${work}/replay.pcap`;
    await writePcap(pcap, { packets: replayPackets() });
    const { main, url } = await startUi(net, ["--log-dir", `${work}/log`]);
    try {
      await waitFor("capturing", async () => {
        return (await getJson(net, url, "api/status")).state === "capturing";
      });
      const stopFile = `${work}/stop-polling`;
      const poller = net.spawn(net.a.ns, [
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-read",
        `${ROOT}tests/ui/poll_api.ts`,
        url,
        stopFile,
        "30",
      ], { timeoutS: 40 });
      await sleep(500);
      // 1.2 million packets as fast as this machine sends them, bounded in count and time.
      const replay = await net.exec(net.b.ns, [
        "tcpreplay",
        "-i",
        net.b.iface,
        "--topspeed",
        "--loop",
        "60",
        pcap,
      ], { timeoutS: 25 });
      await sleep(1000);
      await Deno.writeTextFile(stopFile, "");
      await poller.finished;
      const figures = JSON.parse(poller.recentOutput.trim().split("\n").at(-1)!);
      const rate = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(replay.stdout)?.[1];
      const summary = await getJson(net, url, "api/summary");
      console.log(
        `API under load: ${figures.requests} requests, median ${figures.medianMs} ms, ` +
          `p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms; tcpreplay offered ${rate} pps; ` +
          `captured ${summary.summary.packets}, kernel drops ${summary.kernel?.dropped}; ` +
          `slow (>100 ms, at ms since the start): ${figures.slow.join(", ")}; ` +
          `failures: ${figures.failures.join(", ") || "none"}`,
      );
      assert.deepEqual(figures.failures, [], "every request answered 200");
      assert.ok(figures.requests >= 20, `only ${figures.requests} requests answered`);
      assert.ok(figures.maxMs < 2000, `a request took ${figures.maxMs} ms`);
      assert.ok(
        figures.maxPackets > 0 && summary.summary.packets >= 1_000_000,
        `the capture saw ${summary.summary.packets} packets`,
      );
    } finally {
      const status = await main.stop("SIGTERM", 10_000);
      assert.equal(status.code, 0, `exit ${status.code} ${status.signal}: ${main.recentOutput}`);
    }
  },
});

Deno.test({
  name: "UI: a full log directory warns on the page and resumes; a deleted device ends in error",
  ignore: unavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using net = await TestNetwork.create();
    const work = await net.makeTemporaryDirectory();
    const mountPoint = await mountSmallTmpfs(work);
    let browser: Browser | undefined;
    let main: BackgroundProcess | undefined;
    try {
      const logDir = `${mountPoint}/log`;
      const config = `${work}/config.json`;
      await Deno.writeTextFile(config, JSON.stringify({ stats: { interval_s: 1 } }));
      const started = await startUi(net, ["-f", "icmp", "--config", config, "--log-dir", logDir]);
      main = started.main;
      const { url } = started;
      let page: Page | undefined;
      if (hasChromium) {
        browser = await chromium.launch({
          executablePath: await chromiumInNamespace(work, net.a.ns),
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
        page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        await page.goto(url);
        await page.locator('#state[data-state="capturing"]').waitFor();
      }
      const pinger = net.spawn(net.b.ns, ["ping", "-c", "400", "-i", "0.05", "-q", net.a.ipv4], {
        timeoutS: 30,
      });
      await waitFor("2 stats records", async () => {
        const text = await Deno.readTextFile(`${logDir}/${RECORDS}`).catch(() => "");
        return text.split("\n").length > 2;
      });

      // The disk fills up: told once, in the status, the event stream and the page.
      await fill(`${mountPoint}/filler`);
      let status: Record<string, unknown> = {};
      await waitFor("the write warning", async () => {
        status = await getJson(net, url, "api/status");
        return status.warning !== null;
      });
      assert.equal(status.state, "capturing");
      assert.match(
        String(status.warning),
        /^Cannot write records to .*: no space left on device; capture goes on/,
      );
      if (page !== undefined) {
        const warning = page.locator("#write-warning");
        await warning.waitFor({ state: "visible" });
        assert.match(await warning.textContent() ?? "", /no space left on device; capture goes on/);
        await Deno.mkdir(OUTPUT, { recursive: true });
        await page.screenshot({ path: `${OUTPUT}/ui_disk_full.png`, fullPage: true });
      }
      await sleep(1500);
      assert.ok(((await getJson(net, url, "api/status")).recordsLost as number) >= 1);

      // Space returns: writing resumes, told once too.
      await Deno.remove(`${mountPoint}/filler`);
      await waitFor("writing to resume", async () => {
        status = await getJson(net, url, "api/status");
        return /resumed/.test(String(status.warning));
      });
      assert.match(String(status.warning), /resumed: \d+ records? (?:was|were) lost/);
      if (page !== undefined) {
        await page.locator("#write-warning", { hasText: "resumed" }).waitFor();
      }
      const told = main.recentOutput.split("\n");
      assert.equal(told.filter((l) => /Cannot write records/.test(l)).length, 1, main.recentOutput);
      assert.equal(told.filter((l) => /resumed/.test(l)).length, 1, main.recentOutput);

      // The capture device goes away: state error with the message, final records written.
      await sleep(1200);
      await net.exec(net.a.ns, ["ip", "link", "del", net.a.iface]);
      await waitFor("the capture to end", async () => {
        status = await getJson(net, url, "api/status");
        return status.state !== "capturing";
      });
      await pinger.stop("SIGINT");
      assert.equal(status.state, "error", JSON.stringify(status));
      assert.match(
        String(status.message),
        new RegExp(`^Capture on "${net.a.iface}" ended: the device (was removed|went down)`),
      );
      const saved = status.saved as { records: number; writeFailures: number; path: string };
      assert.equal(saved.path, `${logDir}/${RECORDS}`);
      assert.ok(saved.writeFailures >= 1);
      if (page !== undefined) {
        await page.locator('#state[data-state="error"]').waitFor();
        assert.match(
          await page.locator("#state").textContent() ?? "",
          new RegExp(`^Error: Capture on "${net.a.iface}" ended: the device`),
        );
        assert.ok(await page.locator("#message").isVisible());
        assert.match(await page.locator("#saved").textContent() ?? "", /could not be written/);
        await page.screenshot({ path: `${OUTPUT}/ui_device_gone.png`, fullPage: true });
      }
      const records = readRecords(`${logDir}/${RECORDS}`); // whole lines, all valid
      const { final } = statsRecords(`${logDir}/${RECORDS}`);
      assert.equal(records.length, saved.records);
      assert.equal(final.summary.final, true);
      assert.equal(
        (final.summary as unknown as { records_lost: number }).records_lost,
        saved.writeFailures,
      );
    } finally {
      await browser?.close();
      if (main !== undefined) {
        const status = await main.stop("SIGTERM", 10_000);
        assert.equal(status.code, 0, main.recentOutput);
      }
      await runCommand(["umount", "-l", mountPoint], { allowFailure: true });
    }
  },
});
