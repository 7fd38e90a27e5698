import assert from "node:assert/strict";
import { AlertStoreWriter } from "../../core/store/alert_store_writer.ts";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { createApp } from "../../ui/server.ts";
import { CSV_COLUMNS } from "../../ui/alert_csv.ts";
import { makeTempDir } from "../support/pcap_writer.ts";
import { type AlertFixture, alertRecord, storeConfig } from "../core/store/store_fixtures.ts";
import { errorOf, heldController, post } from "./support.ts";

type Item = {
  detection: { alert_id: string; state: string; detector: string };
  triage: Record<string, unknown>;
};

/** A history in `dir` holding the fixture alerts (records in the order given). */
function fill(dir: string, fixtures: AlertFixture[]): AlertHistory {
  const writer = AlertStoreWriter.open(dir, storeConfig())!;
  for (const f of fixtures) {
    const record = alertRecord(f);
    writer.listener(record, JSON.stringify(record));
  }
  writer.close();
  return new AlertHistory(dir);
}

const SCAN_EVIDENCE = { ports: [1, 2, 3], ports_total: 1000, peak: 1000, threshold: 15 };

const FIXTURES: AlertFixture[] = [
  { id: "r1-0001", state: "start", atS: 0, src: "10.0.0.5", dest: "10.0.0.9" },
  { id: "r1-0001", state: "update", atS: 10, src: "10.0.0.5", dest: "10.0.0.9" },
  {
    id: "r1-0001",
    state: "end",
    atS: 40,
    durationS: 40,
    src: "10.0.0.5",
    dest: "10.0.0.9",
    evidence: SCAN_EVIDENCE,
  },
  {
    id: "r1-0002",
    atS: 20,
    detector: "flood",
    src: "192.0.2.7",
    dest: "10.0.0.9",
    severity: 1,
    signature: "SYN flood on 10.0.0.9",
    explanation: "Half-open connections piled up",
  },
  { id: "r2-0001", atS: 100, detector: "host_sweep", src: "fe80::1", dest: "10.0.0.20" },
];

const ids = (alerts: Item[]) => alerts.map((a) => a.detection.alert_id);

async function list(app: ReturnType<typeof createApp>, query: string) {
  const response = await app.request(`/api/alerts?${query}`);
  assert.equal(response.status, 200, `${query}: ${await response.clone().text()}`);
  return await response.json() as { alerts: Item[]; total: number; offset: number; limit: number };
}

Deno.test("GET /api/alerts lists one item per alert from the history, with triage", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  const page = await list(app, "");
  assert.deepEqual(ids(page.alerts), ["r2-0001", "r1-0001", "r1-0002"], "newest last record first");
  assert.equal(page.total, 3);
  assert.equal(page.offset, 0);
  assert.equal(page.limit, 100);
  const scan = page.alerts[1]!;
  assert.equal(scan.detection.state, "end", "the latest record, unchanged");
  assert.deepEqual(scan.triage, {
    started: "2023-11-14T22:13:20.000000Z",
    last: "2023-11-14T22:14:00.000000Z",
    ended: "2023-11-14T22:14:00.000000Z",
    duration_s: 40,
    records: 3,
    acked: false,
    acked_at: null,
    pcap: null,
  });
  assert.equal(page.alerts[2]!.triage.ended, null, "still open");
});

Deno.test("GET /api/alerts filters by ip, q, detector, severity, time, state and acked", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  const cases: [string, string[]][] = [
    ["ip=10.0.0.9", ["r1-0001", "r1-0002"]],
    ["ip=192.0.2.7", ["r1-0002"]],
    ["ip=fe80:0:0::1", ["r2-0001"]],
    ["ip=10.0.0.99", []],
    ["q=syn%20FLOOD", ["r1-0002"]],
    ["q=half-open", ["r1-0002"]],
    ["q=host_sweep", ["r2-0001"]],
    ["q=r1-", ["r1-0001", "r1-0002"]],
    ["q=100%25", []],
    ["detector=flood", ["r1-0002"]],
    ["severity=1", ["r1-0002"]],
    ["since=2023-11-14T22:13:50Z", ["r2-0001", "r1-0001"]],
    ["until=1700000030", ["r1-0002"]],
    ["since=1700000030&until=2023-11-14T22:14:00Z", ["r1-0001"]],
    ["state=open", ["r2-0001", "r1-0002"]],
    ["state=ended", ["r1-0001"]],
    ["acked=false", ["r2-0001", "r1-0001", "r1-0002"]],
    ["acked=true", []],
    ["sort=time&order=asc", ["r1-0002", "r1-0001", "r2-0001"]],
    ["sort=duration", ["r1-0001", "r2-0001", "r1-0002"]], // ties: newest first
    ["sort=severity", ["r1-0002", "r2-0001", "r1-0001"]],
    ["sort=detector", ["r1-0002", "r2-0001", "r1-0001"]],
    ["sort=src_ip&order=desc", ["r2-0001", "r1-0002", "r1-0001"]],
    ["sort=dest_ip", ["r2-0001", "r1-0001", "r1-0002"]],
    ["limit=1&offset=1", ["r1-0001"]],
    ["offset=5", []],
  ];
  for (const [query, want] of cases) {
    const page = await list(app, query);
    assert.deepEqual(ids(page.alerts), want, query);
  }
  const paged = await list(app, "limit=1&offset=1");
  assert.deepEqual([paged.total, paged.offset, paged.limit], [3, 1, 1]);
});

Deno.test("POST /api/alerts/{id}/ack stores the acknowledgement: listed, filtered, cleared", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  const response = await post(app, "/api/alerts/r1-0002/ack", '{"acked": true}');
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.alert_id, "r1-0002");
  assert.equal(body.acked, true);
  assert.ok(Math.abs(Date.parse(body.acked_at) - Date.now()) < 60_000, body.acked_at);
  assert.deepEqual(ids((await list(app, "acked=true")).alerts), ["r1-0002"]);
  const item = (await list(app, "acked=true")).alerts[0]!;
  assert.deepEqual([item.triage.acked, item.triage.acked_at], [true, body.acked_at]);
  // Stored in the file: another reader of the same directory sees it.
  const other = createApp(heldController(), { history: new AlertHistory(dir.path) });
  assert.deepEqual(ids((await list(other, "acked=true")).alerts), ["r1-0002"]);
  const cleared = await (await post(app, "/api/alerts/r1-0002/ack", '{"acked": false}')).json();
  assert.deepEqual(cleared, { alert_id: "r1-0002", acked: false, acked_at: null });
  assert.deepEqual(ids((await list(app, "acked=true")).alerts), []);
});

Deno.test("POST /api/alerts/{id}/ack refuses bad ids, unknown alerts, bad bodies, other origins", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  const cases: [string, string | undefined, Record<string, string>, number, RegExp][] = [
    ["/api/alerts/R1_0001/ack", '{"acked": true}', {}, 400, /Bad alert id "R1_0001"/],
    ["/api/alerts/r9-0009/ack", '{"acked": true}', {}, 404, /No alert "r9-0009"/],
    ["/api/alerts/r1-0001/ack", '{"acked": "yes"}', {}, 400, /expected \{"acked": true\}/],
    ["/api/alerts/r1-0001/ack", "{}", {}, 400, /expected \{"acked": true\}/],
    ["/api/alerts/r1-0001/ack", '{"acked": true, "x": 1}', {}, 400, /Bad body/],
    ["/api/alerts/r1-0001/ack", "not json", {}, 400, /Bad body/],
    ["/api/alerts/r1-0001/ack", "{}", { "Content-Type": "text/plain" }, 415, /Content-Type/],
    [
      "/api/alerts/r1-0001/ack",
      '{"acked": true}',
      { Origin: "http://evil.example" },
      403,
      /Cross-origin/,
    ],
  ];
  for (const [path, body, headers, status, message] of cases) {
    const response = await post(app, path, body, headers);
    assert.equal(response.status, status, `${path} ${body}`);
    assert.match(await errorOf(response), message, `${path} ${body}`);
  }
  const big = await post(
    app,
    "/api/alerts/r1-0001/ack",
    `{"acked": true, "pad": "${"x".repeat(2000)}"}`,
  );
  assert.equal(big.status, 413);
});

Deno.test("GET /api/alerts/{id} gives the alert, its timeline oldest first, and its evidence", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  const response = await app.request("/api/alerts/r1-0001");
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.alert.detection.state, "end");
  assert.equal(body.alert.triage.records, 3);
  assert.deepEqual(body.timeline.map((r: Item) => r.detection.state), ["start", "update", "end"]);
  assert.deepEqual(body.evidence, {
    observed: 16,
    peak: 1000,
    threshold: 15,
    window_s: 60,
    count: 16,
    ports: [1, 2, 3],
    ports_total: 1000,
  }, "detection.evidence over the counts");
  const plain = await (await app.request("/api/alerts/r1-0002")).json();
  assert.deepEqual(plain.evidence, {
    observed: 16,
    peak: 16,
    threshold: 15,
    window_s: 60,
    count: 16,
  });
  for (
    const [path, status, message] of [
      ["/api/alerts/r9-0009", 404, /No alert "r9-0009" in the history/],
      ["/api/alerts/DROP%20TABLE", 400, /Bad alert id "DROP TABLE"/],
      [`/api/alerts/${"a".repeat(65)}`, 400, /Bad alert id/],
    ] as const
  ) {
    const bad = await app.request(path);
    assert.equal(bad.status, status, path);
    assert.match(await errorOf(bad), message, path);
  }
});

Deno.test("GET /api/alerts exports the filtered list as CSV and as a JSON attachment", async () => {
  await using dir = await makeTempDir();
  const hostile = '=HYPERLINK("http://x")';
  const history = fill(dir.path, [...FIXTURES, { id: "r3-0001", atS: 5, signature: hostile }]);
  const app = createApp(heldController(), { history });
  const csv = await app.request("/api/alerts?format=csv&ip=10.0.0.9&sort=time&order=asc");
  assert.equal(csv.status, 200);
  assert.equal(csv.headers.get("Content-Type"), "text/csv; charset=utf-8");
  assert.match(csv.headers.get("Content-Disposition")!, /^attachment; filename="alerts-.*\.csv"$/);
  const lines = (await csv.text()).trimEnd().split("\r\n");
  assert.equal(lines[0], CSV_COLUMNS.join(","));
  assert.equal(lines.length, 4, "header + 3 alerts of 10.0.0.9");
  assert.ok(lines[1]!.startsWith("r3-0001,"), lines[1]);
  assert.ok(lines[1]!.includes(`"'=HYPERLINK(""http://x"")"`), "a formula is defused and quoted");
  assert.ok(lines[3]!.startsWith("r1-0001,2023-11-14T22:13:20.000000Z,"), lines[3]);
  const json = await app.request("/api/alerts?download=1&detector=flood");
  assert.match(
    json.headers.get("Content-Disposition")!,
    /^attachment; filename="alerts-.*\.json"$/,
  );
  const body = await json.json();
  assert.deepEqual([ids(body.alerts), body.total, body.limit], [["r1-0002"], 1, 10_000]);
});

Deno.test("GET /api/alerts refuses every bad parameter with 400 naming it", async () => {
  await using dir = await makeTempDir();
  const app = createApp(heldController(), { history: fill(dir.path, FIXTURES) });
  for (
    const [query, message] of [
      ["limit=0", /Bad limit "0": expected 1 to 1000/],
      ["limit=1001", /Bad limit/],
      ["format=csv&limit=100001", /Bad limit "100001": expected 1 to 100000/],
      ["offset=-1", /Bad offset/],
      ["severity=high", /Bad severity/],
      ["detector=nope", /Unknown detector "nope"/],
      ["ip=10.0.0.256", /Bad ip "10.0.0.256": expected an IPv4 or IPv6 address/],
      ["since=yesterday", /Bad since "yesterday": expected an ISO 8601 time/],
      ["until=2023-13-45T00:00:00Z", /Bad until/],
      ["state=closed", /Bad state "closed": expected one of open, ended/],
      ["acked=yes", /Bad acked "yes"/],
      ["sort=size", /Bad sort "size": expected one of time, severity/],
      ["order=up", /Bad order "up"/],
      ["format=xml", /Bad format "xml": expected one of json, csv/],
      ["download=maybe", /Bad download/],
      [`q=${"x".repeat(201)}`, /Bad q: at most 200 characters/],
      ["colour=red", /Unknown parameter "colour": expected limit, offset/],
    ] as const
  ) {
    const response = await app.request(`/api/alerts?${query}`);
    assert.equal(response.status, 400, query);
    assert.match(await errorOf(response), message, query);
  }
});

Deno.test("GET /api/alerts: an empty or missing history lists nothing; a broken one is 503", async () => {
  await using dir = await makeTempDir();
  const none = createApp(heldController());
  assert.deepEqual(await list(none, ""), { alerts: [], total: 0, offset: 0, limit: 100 });
  const missing = createApp(heldController(), { history: new AlertHistory(dir.path) });
  assert.equal((await list(missing, "")).total, 0, "no file yet: nothing, and none created");
  assert.equal((await missing.request("/api/alerts/r1-0001")).status, 404);
  await Deno.writeTextFile(`${dir.path}/alerts.sqlite`, "garbage".repeat(1000));
  const broken = createApp(heldController(), { history: new AlertHistory(dir.path) });
  const response = await broken.request("/api/alerts");
  assert.equal(response.status, 503);
  assert.match(await errorOf(response), /Cannot read the alert history .*alerts\.sqlite/);
});
