/**
 * The page in a real browser: headless Debian chromium driven by playwright-core. main.ts serves
 * the UI inside namespace A of a TestNetwork and chromium runs in the same namespace (through a
 * wrapper that enters it), so it reaches 127.0.0.1 there. The test picks A's interface, presses
 * Start, scans B from A with nmap, sees the port_scan row appear and the counters rise, presses
 * Stop and sees where the records were saved. Screenshots go to tests/output/.
 *
 * Skipped, with the reason, without root, namespaces, nmap or /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { loadEveValidator } from "../support/eve_schema.ts";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { CHROMIUM, chromiumInNamespace, ROOT, startUiIn, waitFor } from "./support.ts";

const OUTPUT = `${ROOT}tests/output`;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

async function unavailableReason(): Promise<string | null> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    return `${CHROMIUM} is missing (apt-get install -y chromium)`;
  }
  return await canUseNamespaces(["ip", "ethtool", "timeout", "nmap", "ping", "env"]);
}

const unavailable = await unavailableReason();
if (unavailable !== null) console.log(`skip: browser test: ${unavailable}`);

async function numberIn(page: Page, selector: string): Promise<number> {
  const text = await page.locator(selector).textContent() ?? "";
  return Number(text.replace(/[^\d.]/g, ""));
}

Deno.test({
  name: "the page starts a capture, shows a port scan's alert and counters live, and stops it",
  ignore: unavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await Deno.mkdir(OUTPUT, { recursive: true });
    await using net = await TestNetwork.create();
    const { a, b } = net;
    const work = await net.makeTemporaryDirectory();
    const logDir = `${work}/log`;
    const { main, url } = await startUiIn(net, a.ns, ["--log-dir", logDir], {
      timeoutS: 180,
      waitMs: 30_000,
    });

    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: await chromiumInNamespace(work, a.ns),
        args: CHROMIUM_ARGS,
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const consoleErrors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => consoleErrors.push(String(error)));
      await page.goto(url);
      await page.locator('#state[data-state="idle"]').waitFor();
      assert.match(await page.locator("#state").textContent() ?? "", /Idle/);

      // The picker lists the namespace's devices with their addresses.
      const option = page.locator(`#interface option[value="${a.iface}"]`);
      await option.waitFor({ state: "attached" });
      assert.match(await option.textContent() ?? "", new RegExp(a.ipv4.replaceAll(".", "\\.")));
      await page.locator("#interface").selectOption(a.iface);

      // A bad filter shows libpcap's message next to the field, nothing starts, and the shared
      // state stays idle (the mistake is this viewer's, not everyone's).
      await page.locator("#filter").fill("tcp port x");
      await page.locator("#start").click();
      await page.locator("#filter-error:not([hidden])").waitFor();
      assert.match(await page.locator("#filter-error").textContent() ?? "", /unknown port 'x'/);
      assert.equal(await page.locator("#state").getAttribute("data-state"), "idle");

      await page.locator("#filter").fill("");
      await page.locator("#start").click();
      await page.locator('#state[data-state="capturing"]').waitFor();
      const stateText = await page.locator("#state").textContent() ?? "";
      assert.match(stateText, new RegExp(`Capturing on ${a.iface} since`));
      assert.ok(await page.locator("#stop").isEnabled());
      assert.ok(await page.locator("#start").isDisabled());

      // Background traffic for the chart, then the scan.
      const pinger = net.spawn(b.ns, ["ping", "-c", "40", "-i", "0.1", "-q", a.ipv4], {
        timeoutS: 20,
      });
      await net.exec(
        a.ns,
        ["nmap", "-sS", "-p", "1-200", "--max-retries", "1", "-n", "-Pn", b.ipv4],
        { timeoutS: 60 },
      );
      const row = page.locator('#alerts tr[data-detector="port_scan"]').first();
      await row.waitFor({ timeout: 20_000 });
      const rowText = await row.textContent() ?? "";
      assert.ok(rowText.includes(a.ipv4), rowText);
      assert.ok(rowText.includes(b.ipv4), rowText);
      assert.match(await row.locator("td.alert-state").textContent() ?? "", /open|ended/);

      // Counters rise as traffic arrives.
      // Counters rise as traffic arrives (summary ticks come every second).
      await waitFor(
        "the scan in the packet counter",
        async () => (await numberIn(page, "#packets")) > 200,
        15_000,
        200,
      );
      const first = await numberIn(page, "#packets");
      await waitFor(
        "the packet counter to rise",
        async () => (await numberIn(page, "#packets")) > first,
        15_000,
        200,
      );
      assert.ok((await numberIn(page, "#alert-counts")) >= 1);
      assert.ok((await page.locator("#talkers tr").count()) > 0);
      await page.locator("#chart canvas").first().waitFor();
      await pinger.finished;
      await page.screenshot({ path: `${OUTPUT}/ui_capturing.png`, fullPage: true });

      // The severity and detector filters hide and show the row.
      await page.locator("#detector-filter").selectOption(
        await row.getAttribute("data-detector") ?? "",
      );
      assert.ok(await row.isVisible());
      await page.locator("#severity-filter").selectOption("1");
      await page.locator('#alerts tr[data-detector="port_scan"]').waitFor({ state: "detached" });
      await page.locator("#severity-filter").selectOption("");
      await page.locator("#detector-filter").selectOption("");

      await page.locator("#stop").click();
      await page.locator('#state[data-state="stopped"]').waitFor();
      const saved = page.locator("#saved");
      await saved.waitFor();
      const savedText = await saved.textContent() ?? "";
      assert.match(
        savedText,
        new RegExp(`Saved \\d+ records to ${logDir}/network_activity\\.jsonl: \\d+ alerts?`),
      );
      const alertsSaved = Number(/: (\d+) alerts?/.exec(savedText)![1]);
      assert.ok(alertsSaved >= 1, savedText);
      const records = (await Deno.readTextFile(`${logDir}/network_activity.jsonl`)).trim()
        .split("\n").map((l) => JSON.parse(l));
      const starts = records.filter((r) =>
        r.event_type === "alert" && r.detection.state === "start"
      );
      assert.equal(starts.length, alertsSaved);
      assert.ok(starts.some((r) => r.detection.detector === "port_scan"));
      const validate = loadEveValidator(); // a live run: stats carry the kernel counters
      for (const r of records) assert.equal(validate(r), null, JSON.stringify(r));
      await page.screenshot({ path: `${OUTPUT}/ui_stopped.png`, fullPage: true });

      // A phone-sized viewport keeps everything readable (no horizontal page scroll).
      await page.setViewportSize({ width: 390, height: 844 });
      for (const panel of await page.locator(".panel:visible").all()) {
        const box = await panel.boundingBox();
        assert.ok(box !== null && box.x >= 0 && box.x + box.width <= 391, JSON.stringify(box));
      }
      await page.screenshot({ path: `${OUTPUT}/ui_phone.png`, fullPage: true });

      // The bad filter's 400 is the one failed request the browser reports.
      const unexpected = consoleErrors.filter((e) => !/status of 400 \(Bad Request\)/.test(e));
      assert.deepEqual(unexpected, [], "no script errors (a CSP violation would show here)");
    } finally {
      await browser?.close();
      const status = await main.stop("SIGTERM", 10_000);
      assert.equal(status.code, 0, main.recentOutput);
    }
  },
});
