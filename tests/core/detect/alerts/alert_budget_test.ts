import assert from "node:assert/strict";
import {
  AlertManager,
  type AlertSettings,
  type AlertStart,
} from "../../../../core/detect/alerts/alerts.ts";
import { AlertBudget } from "../../../../core/detect/alerts/alert_budget.ts";
import { detectorInfo, type DetectorName } from "../../../../core/detect/catalog.ts";
import { T0 } from "../../../support/detection_run.ts";

function manager(settings: Partial<AlertSettings>) {
  const starts: string[] = [];
  const warnings: string[] = [];
  const m = new AlertManager({
    updateIntervalS: 60,
    quietS: 60,
    suppressS: 0,
    maxOpen: 100,
    allowList: [],
    detectorAllowLists: {},
    ...settings,
  }, (record, state) => {
    const detection = record.detection as { detector: string };
    if (state === "start") starts.push(detection.detector);
  });
  m.onFirstDrop = (message) => warnings.push(message);
  return { m, starts, warnings };
}

function start(key: string): AlertStart {
  return {
    key,
    timestampUs: T0,
    observed: 1,
    threshold: 0,
    windowS: 1,
    direction: 0,
    render: () => `alert ${key}`,
    explanation: "test",
  };
}

/** Starts `n` alerts of `name` with distinct keys; returns how many opened. */
function fill(m: AlertManager, name: DetectorName, n: number): number {
  let opened = 0;
  for (let i = 0; i < n; i++) if (m.start(detectorInfo(name), start(`k${i}`)) !== null) opened++;
  return opened;
}

Deno.test("AlertBudget: half of max_open is reserved in equal parts, the rest is a pool", () => {
  const budget = new AlertBudget(10_000, 2_500);
  assert.equal(budget.share, 2_500);
  assert.equal(budget.reserve, 500, "10,000 / 2 over the 10 capped detectors");
  assert.equal(new AlertBudget(100, 2_500).share, 100, "never above max_open");
  assert.equal(new AlertBudget(100, 2).reserve, 2, "never above the share");
});

Deno.test("AlertManager: one detector fills its share only, drops counted and warned once", () => {
  const { m, starts, warnings } = manager({ maxOpen: 100, maxOpenPerDetector: 30 });
  assert.equal(fill(m, "unusual_port", 50), 30);
  assert.equal(fill(m, "flood", 1), 1, "another detector still starts");
  const counts = m.counts();
  assert.equal(counts.dropped, 20);
  assert.deepEqual(counts.by_detector.unusual_port, {
    started: 30,
    active: 30,
    suppressed: 0,
    dropped: 20,
  });
  assert.equal(counts.by_detector.flood!.dropped, 0);
  assert.equal(starts.length, 31);
  assert.deepEqual(warnings, [
    "New unusual_port alerts are being dropped: it holds 30 open alerts, its share " +
    "(alerts.max_open_per_detector 30); other detectors still alert. Drops are counted " +
    "(summary.alerts.by_detector.unusual_port.dropped) and reported by a state_saturation " +
    "alert; raise the cap if memory allows.",
  ]);
});

Deno.test("AlertManager: decoys spread over four detectors leave every other detector its reserve", () => {
  const { m, warnings } = manager({ maxOpen: 100, maxOpenPerDetector: 100 });
  // Reserve 5 each (100 / 20), pool 50: the first detector takes 5 + 50, the next three 5.
  const decoyed: DetectorName[] = ["unusual_port", "port_scan", "host_sweep", "unique_connections"];
  assert.deepEqual(decoyed.map((name) => fill(m, name, 100)), [55, 5, 5, 5]);
  assert.equal(warnings.length, 4, "one warning per detector dropping");
  assert.match(warnings[1]!, /^New port_scan alerts are being dropped: the open alerts all/);
  for (const name of ["flood", "high_packet_rate", "brute_force", "reflection"] as const) {
    assert.equal(fill(m, name, 5), 5, `${name} starts within its reserve`);
  }
  const beyond = m.start(detectorInfo("flood"), start("a sixth victim"));
  assert.equal(beyond, null, "beyond its reserve the pool is in use");
});

Deno.test("AlertManager: state_saturation is never dropped, even with max_open 1", () => {
  const { m } = manager({ maxOpen: 1, maxOpenPerDetector: 1 });
  assert.equal(fill(m, "unusual_port", 2), 1);
  assert.equal(fill(m, "state_saturation", 12), 12);
  assert.equal(m.counts().dropped, 1);
  m.tick(T0 + 61e6);
  assert.equal(m.counts().active, 0, "all ended after quiet_s: the counts went back down");
  assert.equal(fill(m, "flood", 1), 1);
});

Deno.test("AlertManager: dropped keys held for a retry are bounded by the detector's share", () => {
  const { m } = manager({ maxOpen: 100, maxOpenPerDetector: 10 });
  fill(m, "unusual_port", 10);
  const up = detectorInfo("unusual_port");
  for (let i = 10; i < 40; i++) m.start(up, start(`k${i}`));
  // The first 10 dropped keys are held (absorbed by observe), the rest are not.
  assert.equal(m.observe(up, "k10", T0 + 1, 1), true);
  assert.equal(m.observe(up, "k19", T0 + 1, 1), true);
  assert.equal(m.observe(up, "k20", T0 + 1, 1), false);
  m.start(detectorInfo("flood"), start("victim"));
  for (let i = 0; i < 20; i++) m.start(detectorInfo("flood"), start(`v${i}`));
  assert.equal(m.counts().by_detector.flood!.started, 10, "flood starts within its own share");
});
