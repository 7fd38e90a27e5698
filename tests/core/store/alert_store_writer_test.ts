import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { AlertStoreWriter } from "../../../core/store/alert_store_writer.ts";
import { AlertHistory } from "../../../core/store/alert_history.ts";
import { STORE_FILE } from "../../../core/store/alert_schema.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";
import { type AlertFixture, alertRecord, storeConfig } from "./store_fixtures.ts";

function write(writer: AlertStoreWriter, fixtures: AlertFixture[]): void {
  for (const f of fixtures) {
    const record = alertRecord(f);
    writer.listener(record, JSON.stringify(record));
  }
}

Deno.test("AlertStoreWriter keeps start, update and end of an alert: one row, every line", async () => {
  await using dir = await makeTempDir();
  const writer = AlertStoreWriter.open(dir.path, storeConfig())!;
  write(writer, [
    { id: "run1-0001", state: "start", atS: 1 },
    { id: "run1-0001", state: "update", atS: 11 },
    { id: "run1-0001", state: "end", atS: 31, durationS: 30 },
  ]);
  writer.listener({ event_type: "stats" } as never, "{}"); // not an alert: ignored
  writer.close();
  assert.equal(writer.written, 3);
  assert.equal(writer.lost, 0);
  const history = new AlertHistory(dir.path);
  const found = history.get("run1-0001")!;
  assert.deepEqual(found.timeline.map((r) => (r.detection as { state: string }).state), [
    "start",
    "update",
    "end",
  ]);
  const lines = found.timeline.map((r) => JSON.stringify(r));
  assert.deepEqual(lines[0], JSON.stringify(alertRecord({ id: "run1-0001", atS: 1 })));
  const { triage } = found.alert;
  assert.equal((found.alert.detection as { state: string }).state, "end");
  assert.equal(triage.started, "2023-11-14T22:13:21.000000Z", "the start record's time");
  assert.equal(triage.ended, "2023-11-14T22:13:51.000000Z");
  assert.equal(triage.duration_s, 30);
  assert.equal(triage.records, 3);
  history.close();
});

Deno.test("AlertStoreWriter writes in batches: nothing before the flush time, all after", async () => {
  await using dir = await makeTempDir();
  const writer = AlertStoreWriter.open(dir.path, storeConfig({ "store.flush_ms": 50 }))!;
  const history = new AlertHistory(dir.path);
  write(writer, [{ id: "run1-0001" }, { id: "run1-0002" }]);
  assert.equal(history.list({ limit: 10 }).total, 0, "buffered, not yet written");
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(history.list({ limit: 10 }).total, 2, "written by the timer");
  writer.close();
  history.close();
});

Deno.test("AlertStoreWriter evicts alerts older than store.max_age_days, counted", async () => {
  await using dir = await makeTempDir();
  const first = AlertStoreWriter.open(dir.path, storeConfig())!;
  write(first, [{ id: "old-0001" }, { id: "old-0002" }, { id: "new-0001" }]);
  first.close();
  const db = new DatabaseSync(`${dir.path}/${STORE_FILE}`);
  db.prepare("UPDATE alerts SET stored_ms = ? WHERE alert_id LIKE 'old-%'")
    .run(Date.now() - 8 * 86_400_000);
  db.close();
  const second = AlertStoreWriter.open(dir.path, storeConfig({ "store.max_age_days": 7 }))!;
  assert.equal(second.evicted, 2);
  second.close();
  const history = new AlertHistory(dir.path);
  assert.deepEqual(history.list({ limit: 10 }).alerts.map((a) => a.triage.records), [1]);
  assert.equal(history.get("old-0001"), null, "its records went with it");
  assert.deepEqual(history.counts(), { alerts: 1, evicted: 2 });
  history.close();
});

Deno.test("AlertStoreWriter evicts the oldest alerts past store.max_bytes and gives pages back", async () => {
  await using dir = await makeTempDir();
  const explanation = "x".repeat(2000);
  const big = AlertStoreWriter.open(dir.path, storeConfig())!;
  write(big, Array.from({ length: 1500 }, (_, i) => ({ id: `a-${i}`, explanation, atS: i })));
  big.close();
  const path = `${dir.path}/${STORE_FILE}`;
  const before = Deno.statSync(path).size;
  assert.ok(before > 4 * 1024 * 1024, `${before} bytes written`);
  const bounded = AlertStoreWriter.open(dir.path, storeConfig({ "store.max_bytes": 1048576 }))!;
  bounded.close();
  assert.ok(bounded.evicted > 1000, `${bounded.evicted} evicted`);
  const history = new AlertHistory(dir.path);
  const { alerts, total } = history.list({ limit: 1, sort: "time", order: "asc" });
  assert.equal(total, 1500 - bounded.evicted);
  assert.equal((alerts[0]!.detection as { alert_id: string }).alert_id, `a-${bounded.evicted}`);
  history.close();
  const after = Deno.statSync(path).size;
  assert.ok(after <= 1.2 * 1048576, `file ${before} -> ${after} bytes`);
});

Deno.test("AlertStoreWriter.open() on a corrupt file or a directory in the way warns and gives null", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/${STORE_FILE}`;
  await Deno.writeTextFile(path, "this is not a database\n".repeat(100));
  assert.equal(AlertStoreWriter.open(dir.path, storeConfig()), null);
  assert.equal(
    await Deno.readTextFile(path),
    "this is not a database\n".repeat(100),
    "the user's file is left as it was",
  );
  const history = new AlertHistory(dir.path);
  assert.throws(() => history.list({ limit: 1 }), /Cannot read the alert history .*move it away/);
  await Deno.remove(path);
  await Deno.mkdir(path);
  assert.equal(AlertStoreWriter.open(dir.path, storeConfig()), null);
  assert.equal(AlertStoreWriter.open(dir.path, storeConfig({ "store.enabled": false })), null);
});

Deno.test("AlertStoreWriter counts records it cannot write as lost and writes again once it can", async () => {
  await using dir = await makeTempDir();
  const writer = AlertStoreWriter.open(dir.path, storeConfig())!;
  // Another connection holds the write lock: the writer waits 0 ms, loses that batch, goes on.
  const other = new DatabaseSync(`${dir.path}/${STORE_FILE}`);
  other.exec("BEGIN IMMEDIATE");
  write(writer, [{ id: "lost-0001" }, { id: "lost-0002" }]);
  writer.flush();
  assert.equal(writer.lost, 2);
  other.exec("ROLLBACK");
  other.close();
  write(writer, [{ id: "kept-0001" }]);
  writer.close();
  assert.equal(writer.written, 1);
  const history = new AlertHistory(dir.path);
  assert.equal(history.list({ limit: 10 }).total, 1);
  history.close();
});

Deno.test("AlertStoreWriter: insert cost per record (figure)", async () => {
  await using dir = await makeTempDir();
  const writer = AlertStoreWriter.open(dir.path, storeConfig())!;
  const n = 20_000;
  const started = performance.now();
  write(writer, Array.from({ length: n }, (_, i) => ({ id: `f-${i >> 1}`, atS: i })));
  writer.close();
  const totalMs = performance.now() - started;
  assert.equal(writer.written, n);
  console.log(
    `alert store: ${n} records, ${(writer.flushMs * 1000 / n).toFixed(1)} µs/record in ` +
      `transactions, ${(totalMs * 1000 / n).toFixed(1)} µs/record in all`,
  );
});

/** Paths of this process's open files inside `dir`. */
function openFilesIn(dir: string): string[] {
  return [...Deno.readDirSync("/proc/self/fd")].flatMap((entry) => {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      return target.startsWith(`${dir}/`) ? [target] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

Deno.test("AlertStoreWriter holds the file only while alerts flow (a read-only remount needs that)", async () => {
  await using dir = await makeTempDir();
  const writer = AlertStoreWriter.open(dir.path, storeConfig({ "store.flush_ms": 20 }))!;
  assert.deepEqual(openFilesIn(dir.path), [], "checked and closed at open");
  write(writer, [{ id: "run1-0001" }]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(writer.written, 1);
  assert.ok(openFilesIn(dir.path).some((p) => p.endsWith(STORE_FILE)), "open while writing");
  await new Promise((resolve) => setTimeout(resolve, 2_300));
  assert.deepEqual(openFilesIn(dir.path), [], "closed after 2 s without an alert");
  write(writer, [{ id: "run1-0002" }]);
  writer.close();
  assert.equal(writer.written, 2, "reopened for the next alert");
  assert.deepEqual(openFilesIn(dir.path), []);
});
