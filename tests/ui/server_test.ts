/**
 * The UI's routes through `app.request()` (no sockets): status codes, validation, 409s, headers,
 * metrics and the event stream (the token and cross-origin refusal: server_security_test.ts). Captures are fake live sources or
 * real libpcap reads of pcap files the tests write, so no root is needed.
 */
import assert from "node:assert/strict";
import { CONTENT_SECURITY_POLICY, createApp } from "../../ui/server.ts";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { PAGE_SCRIPTS } from "../../ui/page_assets.ts";
import {
  errorOf,
  fileController,
  heldController,
  post,
  settled,
  SourceCounter,
  writeAlertFixture,
} from "./support.ts";

/** Reads the event stream until `count` events arrived, then cancels it. */
async function readEvents(
  response: Response,
  count: number,
): Promise<{ event: string; data: unknown }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const events: { event: string; data: unknown }[] = [];
  try {
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        if (block.startsWith(":")) continue;
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
        events.push({ event, data: JSON.parse(data.join("\n")) });
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

Deno.test("GET / serves the page with a CSP without inline scripts and the security headers", async () => {
  const app = createApp(heldController());
  const response = await app.request("/");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("Content-Type")!, /^text\/html/);
  const csp = response.headers.get("Content-Security-Policy")!;
  assert.equal(csp, CONTENT_SECURITY_POLICY);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers.get("X-Content-Type-Options"), "nosniff");
  assert.equal(response.headers.get("X-Frame-Options"), "DENY");
  assert.equal(response.headers.get("Referrer-Policy"), "no-referrer");
  const html = await response.text();
  for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(script[1]!, /\bsrc="\/[^"]+"/, "every script is a same-origin file");
    assert.equal(script[2]!.trim(), "", "no inline script");
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline event handlers");
  assert.doesNotMatch(html, /\sstyle=/i, "no inline styles");
  assert.doesNotMatch(html, /https?:\/\//, "nothing from another site (no CDN)");
});

Deno.test("the page's assets are embedded and served with their types", async () => {
  const app = createApp(heldController());
  const expected: [string, RegExp, RegExp][] = [
    ["/app.js", /^text\/javascript/, /textContent/],
    ["/format.js", /^text\/javascript/, /textContent/],
    ["/chart.js", /^text\/javascript/, /uPlot/],
    ["/style.css", /^text\/css/, /@media/],
    ["/vendor/uplot.js", /^text\/javascript/, /uPlot/],
    ["/vendor/uplot.css", /^text\/css/, /\.uplot/],
  ];
  for (const [path, type, content] of expected) {
    const response = await app.request(path);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get("Content-Type")!, type, path);
    assert.ok(response.headers.get("Content-Security-Policy"), path);
    assert.match(await response.text(), content, path);
  }
  assert.ok(PAGE_SCRIPTS.length >= 9, PAGE_SCRIPTS.join(", "));
  for (const path of PAGE_SCRIPTS) {
    const response = await app.request(path);
    assert.match(response.headers.get("Content-Type")!, /^text\/javascript/, path);
    const script = await response.text();
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, path);
    // Every module a page script imports is served (and so embedded for deno compile).
    for (const [, imported] of script.matchAll(/from "\.(\/[a-z_]+\.js)"/g)) {
      assert.ok(PAGE_SCRIPTS.includes(imported!), `${path} imports ${imported}, not served`);
    }
  }
});

Deno.test("GET /api/status and /api/interfaces describe an idle capture and the devices", async () => {
  const app = createApp(heldController());
  const status = await app.request("/api/status");
  assert.equal(status.status, 200);
  assert.equal(status.headers.get("Cache-Control"), "no-store");
  const body = await status.json();
  assert.equal(body.state, "idle");
  assert.equal(body.mode, "live");
  assert.equal(body.defaults.interface, "eth0");
  const interfaces = await (await app.request("/api/interfaces")).json();
  assert.equal(interfaces.default, "eth0");
  assert.equal(interfaces.interfaces[0].addresses[0].address, "192.0.2.10");
});

Deno.test("POST /api/start then /api/stop run one capture; repeats answer 409 with a message", async () => {
  const counter = new SourceCounter();
  const app = createApp(heldController(counter));
  const stopIdle = await post(app, "/api/stop");
  assert.equal(stopIdle.status, 409);
  assert.match(await errorOf(stopIdle), /Not capturing/);

  const started = await post(
    app,
    "/api/start",
    JSON.stringify({ interface: "eth0", filter: "tcp" }),
  );
  assert.equal(started.status, 200);
  const status = await started.json();
  assert.equal(status.state, "capturing");
  assert.equal(status.source, "eth0");
  assert.equal(status.filter, "tcp");
  assert.ok(!Number.isNaN(Date.parse(status.since)));

  const again = await post(app, "/api/start", "{}");
  assert.equal(again.status, 409);
  assert.match(await errorOf(again), /Already capturing on eth0 since .*: stop it first/);
  assert.equal(counter.opened, 1);

  const stopped = await post(app, "/api/stop");
  assert.equal(stopped.status, 200);
  const end = await stopped.json();
  assert.equal(end.state, "stopped");
  assert.equal(end.saved.path, null);
  assert.equal(end.saved.alerts, 0);
  assert.ok(end.saved.records >= 1, "the final stats record");
  assert.equal(counter.running, 0);

  const stopAgain = await post(app, "/api/stop", "");
  assert.equal(stopAgain.status, 409);
  assert.match(await errorOf(stopAgain), /already ended/);
});

Deno.test("POST /api/start refuses bad JSON, non-objects, unknown fields and bad types with 400", async () => {
  const counter = new SourceCounter();
  const app = createApp(heldController(counter));
  const cases: [string, RegExp][] = [
    ["{", /Bad JSON/],
    ["[1]", /expected an object/],
    ['"eth0"', /expected an object/],
    ["null", /expected an object/],
    ['{"interface":"eth0","bogus":1}', /Unknown field "bogus": expected interface, filter/],
    ['{"interface":5}', /"interface" must be a device name/],
    ['{"interface":""}', /"interface" must be a device name/],
    ['{"interface":"a b"}', /"interface" must be a device name/],
    ['{"filter":["tcp"]}', /"filter" must be a BPF expression/],
    [JSON.stringify({ filter: "x".repeat(9000) }), /"filter" must be a BPF expression/],
  ];
  for (const [body, message] of cases) {
    const response = await post(app, "/api/start", body);
    assert.equal(response.status, 400, body);
    assert.match(await errorOf(response), message, body);
  }
  const stop = await post(app, "/api/stop", '{"now":true}');
  assert.equal(stop.status, 400);
  assert.match(await errorOf(stop), /Unknown field "now"/);
  const form = await post(app, "/api/start", "interface=eth0", {
    "Content-Type": "application/x-www-form-urlencoded",
  });
  assert.equal(form.status, 415);
  assert.equal(counter.opened, 0, "nothing started");
  assert.equal((await (await app.request("/api/status")).json()).state, "idle");
});

Deno.test("a bad BPF filter answers 400 with libpcap's message and starts nothing", async () => {
  await using dir = await tempDir();
  const path = await writeAlertFixture(dir.path);
  const controller = fileController(path, null);
  const app = createApp(controller);
  const response = await post(app, "/api/start", JSON.stringify({ filter: "tcp port x" }));
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.match(body.error, /Bad filter "tcp port x": unknown port 'x'/);
  assert.equal(body.field, "filter", "the page shows the error next to the filter field");
  // The requester's mistake is not everyone's: the shared state stays idle, without a message.
  const status = await (await app.request("/api/status")).json();
  assert.equal(status.state, "idle");
  assert.equal(status.message, null);
  assert.equal(controller.sessionsStarted, 0);
  // An interface is refused in file mode.
  const device = await post(app, "/api/start", JSON.stringify({ interface: "eth0" }));
  assert.equal(device.status, 400);
  assert.match(await errorOf(device), /reads the file/);
});

Deno.test("a file read through the UI shows its alerts, summary and saved records", async () => {
  await using dir = await tempDir();
  const path = await writeAlertFixture(dir.path);
  const controller = fileController(path, `${dir.path}/log`);
  const app = createApp(controller, { history: new AlertHistory(`${dir.path}/log`) });
  assert.equal((await post(app, "/api/start", "{}")).status, 200);
  await settled(controller);
  const status = await (await app.request("/api/status")).json();
  assert.equal(status.state, "stopped", JSON.stringify(status));
  assert.equal(status.mode, "file");
  assert.equal(status.saved.path, `${dir.path}/log/network_activity.jsonl`);
  assert.equal(status.saved.alerts, 1);
  assert.equal(status.saved.packets, 155);
  const lines = (await Deno.readTextFile(status.saved.path)).trim().split("\n");
  assert.equal(status.saved.records, lines.length);

  // One item per alert (its latest record) from the alert history the run wrote.
  const { alerts } = await (await app.request("/api/alerts")).json();
  assert.deepEqual(alerts.map((a: { detection: { state: string } }) => a.detection.state), [
    "end",
  ]);
  assert.equal(alerts[0].triage.records, 2, "start and end");
  assert.equal(alerts[0].detection.detector, "high_packet_rate");
  assert.equal(alerts[0].src_ip, "10.0.0.66");
  const limited = await (await app.request("/api/alerts?limit=1")).json();
  assert.equal(limited.alerts.length, 1);
  const byDetector = await (await app.request("/api/alerts?detector=port_scan")).json();
  assert.equal(byDetector.alerts.length, 0);
  const severity = alerts[0].alert.severity;
  const bySeverity = await (await app.request(`/api/alerts?severity=${severity}`)).json();
  assert.equal(bySeverity.alerts.length, 1);
  const other = await (await app.request(`/api/alerts?severity=${severity + 1}`)).json();
  assert.equal(other.alerts.length, 0);

  const view = await (await app.request("/api/summary")).json();
  assert.equal(view.summary.packets, 155);
  assert.equal(view.rate.basis, "average");
  assert.ok(view.series.length > 0);
  assert.equal(view.alerts.started, 1);
  assert.ok(view.trackers.length > 0);
  assert.equal(view.summary.top_sources_by_packets[0].ip, "10.0.0.66");
});

Deno.test("GET /api/alerts refuses bad parameters with 400", async () => {
  const app = createApp(heldController());
  for (
    const [query, message] of [
      ["limit=0", /Bad limit/],
      ["limit=1001", /Bad limit/],
      ["limit=ten", /Bad limit/],
      ["severity=high", /Bad severity/],
      ["detector=nope", /Unknown detector "nope"/],
      ["colour=red", /Unknown parameter "colour"/],
    ] as const
  ) {
    const response = await app.request(`/api/alerts?${query}`);
    assert.equal(response.status, 400, query);
    assert.match(await errorOf(response), message, query);
  }
});

Deno.test("GET /metrics is Prometheus text with packets, drops, alerts by detector and state, trackers", async () => {
  await using dir = await tempDir();
  const path = await writeAlertFixture(dir.path);
  const controller = fileController(path, null);
  const app = createApp(controller);
  await post(app, "/api/start");
  await settled(controller);
  const response = await app.request("/metrics");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  assert.ok(text.endsWith("\n"));
  const sample =
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+]+$/;
  const typed = new Set<string>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      assert.match(type!, /^(counter|gauge)$/, line);
      typed.add(name!);
    } else if (!line.startsWith("# HELP ")) {
      assert.match(line, sample, line);
      assert.ok(typed.has(line.split(/[{ ]/)[0]!), `TYPE before ${line}`);
    }
  }
  const value = (series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(series + " "));
    assert.ok(line, `${series} in:\n${text}`);
    return Number(line.slice(series.length + 1));
  };
  assert.equal(value("anomaly_packets_total"), 155);
  assert.ok(value("anomaly_bytes_total") > 155 * 40);
  assert.equal(value("anomaly_kernel_drops_total"), 0);
  assert.equal(value('anomaly_alert_records_total{detector="high_packet_rate",state="start"}'), 1);
  assert.equal(value('anomaly_alert_records_total{detector="high_packet_rate",state="end"}'), 1);
  assert.equal(value('anomaly_alerts_active{detector="high_packet_rate"}'), 0);
  assert.equal(value('anomaly_protocol_packets_total{protocol="udp"}'), 155);
  assert.match(text, /^anomaly_tracker_entries\{tracker="[^"]+"\} \d+$/m);
  assert.match(text, /^anomaly_tracker_evictions_total\{tracker="[^"]+"\} \d+$/m);
  assert.match(text, /^# TYPE anomaly_decode_events_total counter$/m);
  assert.equal(value("anomaly_capturing"), 0);
});

Deno.test("GET /api/events starts with the state, then the summary, then pushes changes", async () => {
  const controller = heldController();
  const app = createApp(controller);
  const response = await app.request("/api/events");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("Content-Type")!, /^text\/event-stream/);
  assert.ok(response.headers.get("Content-Security-Policy"));
  const pending = readEvents(response, 4);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await controller.start({ interface: "eth0" });
  const events = await pending;
  assert.equal(events[0]!.event, "state");
  assert.equal((events[0]!.data as { state: string }).state, "idle");
  assert.equal(events[1]!.event, "summary");
  assert.deepEqual(
    events.slice(2).map((e) => [e.event, (e.data as { state: string }).state]),
    [["state", "starting"], ["state", "capturing"]],
  );
  await controller.stop();
  await controller.close();
});

Deno.test("unknown routes answer 404 in JSON", async () => {
  const app = createApp(heldController());
  const api = await app.request("/api/nope");
  assert.equal(api.status, 404);
  assert.match(await errorOf(api), /No API route GET \/api\/nope/);
  assert.equal((await app.request("/nope")).status, 404);
  assert.equal((await app.request("/api/start")).status, 404, "GET on a POST route");
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "anomaly-ui-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
