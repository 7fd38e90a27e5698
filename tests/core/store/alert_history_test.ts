import assert from "node:assert/strict";
import { AlertHistory } from "../../../core/store/alert_history.ts";
import { openStoreDatabase, STORE_FILE } from "../../../core/store/alert_schema.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";
import { alertRecord } from "./store_fixtures.ts";
import { T0_US } from "../../support/base.ts";

/** `n` one-record alerts written straight through SQL (the writer's cost is measured elsewhere). */
function bulkFill(dir: string, n: number): void {
  const db = openStoreDatabase(`${dir}/${STORE_FILE}`, 0);
  const line = JSON.stringify(alertRecord({ id: "bulk" }));
  db.exec("BEGIN");
  db.prepare(`
    WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k + 1 < ?)
    INSERT INTO alerts (alert_id, detector, state, severity, signature, explanation, message, search,
      src_ip, dest_ip, started_us, started, last_us, last, ended, duration_s, records, pcap,
      stored_ms)
    SELECT 'b-' || k, CASE k % 3 WHEN 0 THEN 'port_scan' WHEN 1 THEN 'flood' ELSE 'host_sweep' END,
      'start', 1 + k % 3, 'probe ' || k, 'why', NULL, 'probe ' || k, '10.' || (k / 65536) || '.' ||
      (k / 256 % 256) || '.' || (k % 256), '10.0.0.' || (k % 200), ? + k * 1000000, 'x',
      ? + k * 1000000, 'x', NULL, k % 97, 1, NULL, ? FROM i`).run(n, T0_US, T0_US, Date.now());
  db.prepare("INSERT INTO records (alert_id, seq, line) SELECT alert_id, 1, ? FROM alerts")
    .run(line);
  db.exec("COMMIT");
  db.close();
}

function timed<T>(run: () => T): [T, number] {
  const started = performance.now();
  const value = run();
  return [value, performance.now() - started];
}

Deno.test("AlertHistory over 100,000 alerts: filtered pages and totals (figures)", async () => {
  await using dir = await makeTempDir();
  bulkFill(dir.path, 100_000);
  const history = new AlertHistory(dir.path);
  const figures: string[] = [];
  const cases = [
    ["newest page", { limit: 100 }, 100_000],
    ["ip (source or target)", { limit: 100, ip: "10.1.134.159" }, 1],
    ["ip of a victim", { limit: 100, ip: "10.0.0.7" }, 500],
    ["detector", { limit: 100, detector: "flood" }, 33_333],
    ["text q", { limit: 100, q: "probe 9999" }, 11],
    ["sort by duration", { limit: 100, sort: "duration" as const }, 100_000],
    ["since", { limit: 100, sinceUs: T0_US + 99_000 * 1e6 }, 1000],
    ["offset 50,000", { limit: 100, offset: 50_000 }, 100_000],
  ] as const;
  for (const [name, query, total] of cases) {
    const [page, ms] = timed(() => history.list(query));
    assert.equal(page.total, total, name);
    assert.ok(page.alerts.length > 0, name);
    figures.push(`${name} ${ms.toFixed(1)} ms`);
  }
  const [one, oneMs] = timed(() => history.get("b-77777"));
  assert.equal(one!.timeline.length, 1);
  figures.push(`one alert ${oneMs.toFixed(2)} ms`);
  console.log(`alert history, 100,000 alerts: ${figures.join("; ")}`);
  history.close();
});

Deno.test("AlertHistory.list() pages in a stable order and says the total", async () => {
  await using dir = await makeTempDir();
  bulkFill(dir.path, 250);
  const history = new AlertHistory(dir.path);
  const seen = new Set<string>();
  for (let offset = 0; offset < 250; offset += 100) {
    const page = history.list({ limit: 100, offset });
    assert.equal(page.total, 250);
    for (const a of page.alerts) seen.add(JSON.stringify(a.triage) + a.src_ip);
  }
  assert.equal(seen.size, 250, "every alert once across the pages");
  history.close();
});
