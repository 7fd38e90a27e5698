/**
 * Anomaly's own web traffic never feeds its detection: main.ts serves the UI on 127.0.0.1 and
 * captures on lo (in a network namespace made for the test, so no other traffic is on that lo),
 * with thresholds lowered so that a client polling /api/summary and /metrics would raise
 * high_packet_rate. No alert comes, and the summary counts none of it; the same polling of
 * another HTTP server on the same lo then does raise the alert (the control). Also: Ctrl-C
 * while no capture runs says so, and a bad filter's error quotes the user's filter alone.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { readRecords } from "../support/records.ts";
import { REPO_ROOT as ROOT } from "../support/base.ts";
import { startUiIn, waitFor } from "./support.ts";

const unavailable = await canUseNamespaces(["ip", "curl", "python3", "env"]);
if (unavailable !== null) console.log(`skip: UI own-traffic test: ${unavailable}`);

/** Requests per poller run: each a new connection (about 10 packets on lo). */
const REQUESTS = 200;
const CONTROL_PORT = 8080;

/** Polls `urls` in turn, `REQUESTS` times, one connection per request, from inside `ns`. */
async function poll(net: TestNetwork, ns: string, urls: string[]): Promise<void> {
  const list = Array.from({ length: REQUESTS }, (_, i) => urls[i % urls.length]!);
  await net.exec(ns, [
    "curl",
    "-sS",
    "--max-time",
    "30",
    "-H",
    "Connection: close",
    ...list.flatMap((url) => ["-o", "/dev/null", url]),
  ], { timeoutS: 40 });
}

async function getJson(net: TestNetwork, ns: string, url: string) {
  const { stdout } = await net.exec(ns, ["curl", "-sS", "--max-time", "5", url]);
  return JSON.parse(stdout);
}

Deno.test({
  name: "the UI's own traffic on the captured interface raises no alert and is not counted",
  ignore: unavailable !== null,
  fn: async () => {
    await using net = await TestNetwork.create();
    const ns = net.a.ns;
    const dir = await net.makeTemporaryDirectory();
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        stats: { interval_s: 1 },
        detect: {
          high_packet_rate: { packets_per_second: 20, hold_s: 0 },
          unique_connections: { threshold: 1, hold_s: 0 },
        },
      }),
    );
    const { main, url } = await startUiIn(
      net,
      ns,
      ["-i", "lo", "--start", "--config", config, "--log-dir", `${dir}/log`],
      { timeoutS: 90, waitMs: 30_000 },
    );
    await waitFor("the capture on lo", async () => {
      return (await getJson(net, ns, `${url}api/status`)).state === "capturing";
    }, 30_000);
    await poll(net, ns, [`${url}api/summary`, `${url}metrics`]);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a batch and a stats interval
    const quiet = await getJson(net, ns, `${url}api/summary`);
    const controlFrom = Date.now();

    await using _server = await net.startServer(ns, "http", CONTROL_PORT);
    await poll(net, ns, [`http://127.0.0.1:${CONTROL_PORT}/`]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stopped = await main.stop("SIGINT");
    assert.equal(stopped.code, 0, main.recentOutput);

    const records = readRecords(`${dir}/log/network_activity.jsonl`);
    const alerts = records.filter((r) => r.event_type === "alert");
    const before = alerts.filter((r) => Date.parse(String(r.timestamp)) < controlFrom);
    assert.deepEqual(before, [], "alerts while only the UI was polled");
    assert.equal(quiet.summary?.packets ?? quiet.packets, 0, JSON.stringify(quiet).slice(0, 300));
    const detectors = alerts.map((r) => (r.detection as { detector: string }).detector);
    assert.ok(detectors.includes("high_packet_rate"), `the control alerts: ${detectors}`);
  },
});

Deno.test("Ctrl-C in UI mode with no capture running says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-ui-idle-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${ROOT}main.ts`, "--listen", "127.0.0.1:0", "--log-dir", dir],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("Anomaly UI: ")) {
      const { value, done } = await stdout.read();
      if (done) break;
      text += value;
    }
    const url = /Anomaly UI: (\S+)/.exec(text)![1];
    // A bad filter on a live interface: the error quotes the user's filter alone.
    const refused = await fetch(`${url}api/start`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ interface: "lo", filter: "tcp port x" }),
    });
    assert.equal(refused.status, 400);
    assert.match((await refused.json()).error, /^Bad filter "tcp port x": unknown port 'x'/);
    child.kill("SIGINT");
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      (async () => {
        while (!(await stdout.read()).done) { /* drain */ }
      })(),
    ]);
    assert.equal(status.code, 0);
    assert.match(stderr, /Shutting down: no capture is running \(idle\); stopping the UI/);
    assert.doesNotMatch(stderr, /stopping the capture/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
