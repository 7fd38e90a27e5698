import assert from "node:assert/strict";
import {
  type AlertCache,
  AlertManager,
  type AlertManager as Manager,
  type AlertSettings,
  type AlertStart,
  type AlertState,
} from "../../../../core/detect/alerts/alerts.ts";
import { detectorInfo } from "../../../../core/detect/catalog.ts";
import { loadEveValidator } from "../../../support/eve_schema.ts";
import { T0 } from "../../../support/detection_run.ts";
import { withOrigin } from "../../../../core/records/pivot_fields.ts";

const FLOOD = detectorInfo("flood");
const SCAN = detectorInfo("port_scan");
const S = 1e6;
const validate = loadEveValidator();

interface Rec {
  timestamp: string;
  src_ip?: string;
  dest_ip?: string;
  alert: { signature: string; signature_id: number };
  detection: {
    detector: string;
    message: string;
    state: AlertState;
    alert_id: string;
    count: number;
    observed: number;
    peak: number;
    first_seen: string;
    last_seen: string;
    duration_s?: number;
  };
}

function manager(settings: Partial<AlertSettings> = {}): { m: Manager; records: Rec[] } {
  const records: Rec[] = [];
  const m = new AlertManager({
    updateIntervalS: 60,
    quietS: 60,
    suppressS: 0,
    maxOpen: 100,
    allowList: [],
    detectorAllowLists: {},
    ...settings,
  }, (record, state) => {
    // The engine adds the origin (host, capture_file) to every record it writes.
    const written = withOrigin(record, { host: "sensor", capture_file: "test.pcap" });
    assert.equal(validate(written), null, JSON.stringify(written));
    assert.equal((record.detection as { state: string }).state, state);
    records.push(record as unknown as Rec);
  });
  return { m, records };
}

function start(key: string, atUs: number, o: Partial<AlertStart> = {}): AlertStart {
  return {
    key,
    timestampUs: atUs,
    destIp: key,
    observed: 10,
    threshold: 5,
    windowS: 1,
    direction: 1,
    render: (observed) => `${observed} things toward ${key}`,
    explanation: "test",
    ...o,
  };
}

/** What detectors do: observe, and start when that was not handled. */
function fire(m: Manager, key: string, atUs: number, observed = 10, o: Partial<AlertStart> = {}) {
  if (!m.observe(FLOOD, key, atUs, observed)) m.start(FLOOD, start(key, atUs, { observed, ...o }));
}

const states = (records: Rec[]) => records.map((r) => r.detection.state);

Deno.test("AlertManager: start, update only after the interval and only with news, end when quiet", () => {
  const { m, records } = manager({ updateIntervalS: 10, quietS: 30 });
  fire(m, "10.0.0.1", T0);
  assert.deepEqual(states(records), ["start"]);
  assert.equal(records[0]!.detection.message, "10 things toward 10.0.0.1");
  assert.equal(records[0]!.alert.signature_id, FLOOD.signatureId);
  assert.equal(m.isOpen(FLOOD, "10.0.0.1"), true);
  fire(m, "10.0.0.1", T0 + 2 * S, 40);
  m.tick(T0 + 9 * S);
  assert.deepEqual(states(records), ["start"], "no update before update_interval_s");
  m.tick(T0 + 10 * S);
  assert.deepEqual(states(records), ["start", "update"]);
  const update = records[1]!;
  assert.equal(update.detection.count, 2);
  assert.equal(update.detection.peak, 40);
  assert.equal(
    update.detection.message,
    "40 things toward 10.0.0.1",
    "the sentence shows the peak",
  );
  m.tick(T0 + 25 * S);
  assert.deepEqual(states(records), ["start", "update"], "no update without new observations");
  fire(m, "10.0.0.1", T0 + 26 * S, 20);
  m.tick(T0 + 27 * S);
  assert.deepEqual(states(records), ["start", "update", "update"]);
  m.tick(T0 + 55 * S);
  assert.equal(records.length, 3, "quiet for 29 s only");
  m.tick(T0 + 57 * S);
  assert.deepEqual(states(records), ["start", "update", "update", "end"]);
  const end = records[3]!;
  assert.equal(end.timestamp, "2023-11-14T22:14:16.000000+0000", "last seen + quiet_s");
  assert.equal(end.detection.duration_s, 26);
  assert.equal(end.detection.count, 3);
  assert.equal(end.detection.alert_id, records[0]!.detection.alert_id);
  assert.equal(m.isOpen(FLOOD, "10.0.0.1"), false);
  assert.deepEqual(
    { ...m.counts(), by_detector: undefined },
    {
      started: 1,
      active: 0,
      ended: 1,
      suppressed: 0,
      dropped: 0,
      resumed: 0,
      by_detector: undefined,
    },
  );
  fire(m, "10.0.0.1", T0 + 60 * S);
  assert.equal(states(records).at(-1), "start", "a renewed attack starts again (suppress_s 0)");
  assert.notEqual(records.at(-1)!.detection.alert_id, records[0]!.detection.alert_id);
});

Deno.test("AlertManager: finish ends every open alert at the end of the capture", () => {
  const { m, records } = manager();
  fire(m, "10.0.0.1", T0);
  m.start(SCAN, start("10.0.0.1", T0 + S));
  fire(m, "10.0.0.2", T0 + 2 * S);
  assert.equal(m.counts().active, 3, "the same key of two detectors is two alerts");
  assert.deepEqual(m.counts().by_detector.flood, {
    started: 2,
    active: 2,
    suppressed: 0,
    dropped: 0,
  });
  m.finish(T0 + 5 * S);
  assert.deepEqual(states(records), ["start", "start", "start", "end", "end", "end"]);
  assert.ok(records.slice(3).every((r) => r.timestamp === "2023-11-14T22:13:25.000000+0000"));
  assert.equal(m.counts().active, 0);
  assert.equal(m.counts().ended, 3);
});

Deno.test("AlertManager: a key firing within suppress_s resumes its ended alert as an update", () => {
  const { m, records } = manager({ quietS: 10, suppressS: 100 });
  fire(m, "10.0.0.1", T0);
  m.tick(T0 + 10 * S); // ends at T0 + 10 s
  assert.deepEqual(states(records), ["start", "end"]);
  for (let s = 20; s < 30; s++) fire(m, "10.0.0.1", T0 + s * S); // within suppress_s
  assert.deepEqual(states(records), ["start", "end", "update"], "one update, not one per fire");
  const resumed = records[2]!;
  assert.equal(resumed.detection.alert_id, records[0]!.detection.alert_id, "the same alert");
  assert.equal(resumed.timestamp, "2023-11-14T22:13:40.000000+0000");
  assert.equal((resumed.detection as { resumed?: number }).resumed, 1);
  assert.equal(m.counts().started, 1);
  assert.equal(m.counts().resumed, 1);
  assert.equal(m.isOpen(FLOOD, "10.0.0.1"), true);
  fire(m, "10.0.0.2", T0 + 30 * S);
  assert.equal(states(records).at(-1), "start", "other keys are not suppressed");
  m.tick(T0 + 40 * S); // 10.0.0.1 ends again at T0 + 39 s
  const ends = records.filter((r) => r.detection.state === "end" && r.dest_ip === "10.0.0.1");
  assert.equal(ends.length, 2);
  assert.equal(ends[1]!.detection.count, 11, "the end record counts every observation");
  assert.equal(ends[1]!.detection.duration_s, 29, "first seen to last seen over both episodes");
});

Deno.test("AlertManager: a key firing after suppress_s ran out starts a new alert", () => {
  const { m, records } = manager({ quietS: 10, suppressS: 30 });
  fire(m, "10.0.0.1", T0);
  m.tick(T0 + 10 * S); // ends at T0 + 10 s
  m.tick(T0 + 39 * S);
  fire(m, "10.0.0.1", T0 + 39 * S); // 29 s after the end: resumes
  m.tick(T0 + 60 * S); // ends again at T0 + 49 s
  m.tick(T0 + 79 * S);
  fire(m, "10.0.0.1", T0 + 79 * S); // 30 s after the second end: new
  assert.deepEqual(states(records), ["start", "end", "update", "end", "start"]);
  assert.notEqual(records[4]!.detection.alert_id, records[0]!.detection.alert_id);
  assert.equal(m.counts().started, 2);
  assert.equal(m.counts().resumed, 1);
});

Deno.test("AlertManager: ended alerts remembered for suppress_s are capped at max_open", () => {
  const { m, records } = manager({ quietS: 10, suppressS: 3600, maxOpen: 2 });
  fire(m, "10.0.0.1", T0);
  fire(m, "10.0.0.2", T0);
  m.tick(T0 + 10 * S);
  fire(m, "10.0.0.3", T0 + 11 * S);
  m.tick(T0 + 21 * S); // the third end evicts the first
  assert.equal(m.trackerStats().size, 2);
  assert.equal(m.trackerStats().evictions, 1);
  fire(m, "10.0.0.1", T0 + 22 * S);
  fire(m, "10.0.0.2", T0 + 22 * S);
  assert.deepEqual(states(records).slice(-2), ["start", "update"]);
});

Deno.test("AlertManager: global and per-detector allow-lists (IPv4 and IPv6) suppress and count", () => {
  const { m, records } = manager({
    quietS: 10,
    allowList: ["192.0.2.0/24", "2001:db8:1::/48"],
    detectorAllowLists: { flood: ["198.51.100.7/32", "2001:db8:ff::/64"] },
  });
  const cases: [string, Partial<AlertStart>][] = [
    ["a", { srcIp: "192.0.2.99", destIp: "10.0.0.1" }], // global, as source
    ["b", { destIp: "2001:db8:1:2::5" }], // global, IPv6, as destination
    ["c", { destIp: "198.51.100.7" }], // flood's own list
    ["d", { srcIp: "2001:db8:ff::1", destIp: "10.0.0.1" }], // flood's own list, IPv6
  ];
  for (let s = 0; s < 5; s++) {
    for (const [key, o] of cases) fire(m, key, T0 + s * S, 10, o);
  }
  assert.equal(records.length, 0);
  assert.equal(m.counts().suppressed, 4, "each key counted once while it stays active");
  // Outside every list, and another detector's list does not apply.
  fire(m, "e", T0 + 6 * S, 10, { destIp: "198.51.100.8" });
  fire(m, "f", T0 + 6 * S, 10, { destIp: "2001:db8:2::1" });
  m.start(SCAN, start("g", T0 + 6 * S, { destIp: "198.51.100.7" }));
  m.start(SCAN, start("h", T0 + 6 * S, { destIp: "192.0.2.1" }));
  assert.deepEqual(records.map((r) => r.dest_ip), [
    "198.51.100.8",
    "2001:db8:2::1",
    "198.51.100.7",
  ]);
  assert.deepEqual(m.counts().by_detector.port_scan, {
    started: 1,
    active: 1,
    suppressed: 1,
    dropped: 0,
  });
  // Quiet for quiet_s, then active again: a new suppressed episode.
  m.tick(T0 + 20 * S);
  fire(m, "a", T0 + 21 * S, 10, cases[0]![1]);
  assert.equal(m.counts().by_detector.flood!.suppressed, 5);
});

Deno.test("AlertManager: max_open drops starts beyond it and counts them", () => {
  const { m, records } = manager({ maxOpen: 2, quietS: 10, updateIntervalS: 5 });
  for (let s = 0; s < 3; s++) {
    for (const key of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) fire(m, key, T0 + s * S);
  }
  assert.deepEqual(records.map((r) => r.dest_ip), ["10.0.0.1", "10.0.0.2"]);
  assert.equal(m.counts().dropped, 1, "a dropped key is retried after an update interval only");
  assert.equal(m.counts().active, 2);
  m.tick(T0 + 12 * S); // both open alerts end (last seen at 2 s)
  fire(m, "10.0.0.3", T0 + 12 * S);
  assert.equal(records.at(-1)!.dest_ip, "10.0.0.3");
  assert.equal(records.at(-1)!.detection.state, "start");
  assert.equal(m.counts().dropped, 1);
});

Deno.test("AlertManager: a bad allow-list entry is refused with its text", () => {
  assert.throws(() => manager({ allowList: ["10.0.0.0/33"] }), /10\.0\.0\.0\/33/);
});

Deno.test("AlertManager: a cached alert counts like observe while open, then is refreshed", () => {
  const { m, records } = manager({ updateIntervalS: 10, quietS: 30 });
  const cache: AlertCache = { alert: null };
  const key = "10.0.0.1";
  assert.equal(m.observeCached(cache, FLOOD, key, T0, 10), false, "nothing open: start it");
  assert.equal(cache.alert, null);
  cache.alert = m.start(FLOOD, start(key, T0));
  assert.ok(cache.alert !== null && !cache.alert.ended);
  const first = cache.alert;
  assert.equal(m.observeCached(cache, FLOOD, key, T0 + 2 * S, 40), true);
  assert.equal(m.observeCached(cache, FLOOD, key, T0 + 3 * S, 30), true);
  m.tick(T0 + 10 * S);
  assert.deepEqual(states(records), ["start", "update"]);
  assert.equal(records[1]!.detection.count, 3, "each observation counted");
  assert.equal(records[1]!.detection.peak, 40);
  m.tick(T0 + 40 * S);
  assert.deepEqual(states(records), ["start", "update", "end"]);
  assert.equal(records[2]!.detection.last_seen, "2023-11-14T22:13:23.000000+0000", "last one");
  assert.equal(first.ended, true);
  assert.equal(m.observeCached(cache, FLOOD, key, T0 + 41 * S, 10), false, "ended: start again");
  assert.equal(cache.alert, null);
  cache.alert = m.start(FLOOD, start(key, T0 + 41 * S));
  assert.equal(states(records).at(-1), "start", "a new alert for the key");
  assert.notEqual(cache.alert, first);
  // An alert open but not (or no longer) cached is found, counted and cached again.
  const other: AlertCache = { alert: null };
  assert.equal(m.observeCached(other, FLOOD, key, T0 + 42 * S, 10), true);
  assert.equal(other.alert, cache.alert);
});

Deno.test("AlertManager: start returns null for a key an allow-list holds back", () => {
  const { m, records } = manager({ allowList: ["10.0.0.0/8"] });
  assert.equal(m.start(FLOOD, start("10.0.0.1", T0)), null);
  assert.deepEqual(records, []);
  const cache: AlertCache = { alert: null };
  assert.equal(m.observeCached(cache, FLOOD, "10.0.0.1", T0 + S, 10), true, "held: absorbed");
  assert.equal(cache.alert, null);
});
