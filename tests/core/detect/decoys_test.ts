/**
 * Decoys must not blind detection (issue 10): SYNs from random sources to random unusual ports
 * fill unusual_port's share of the open alerts, and a SYN flood, a port scan and a ping sweep
 * from other hosts that follow are still alerted; the drops show in a state_saturation alert
 * and in the stats record's counters.
 */
import assert from "node:assert/strict";
import {
  ACK,
  addr4,
  DetectionRun,
  echoFrame,
  RST,
  SECOND,
  spread,
  T0,
  tcpFrame,
  type Timed,
} from "../../support/detection_run.ts";

const FLOODER = "10.0.0.1", SCANNER = "10.0.0.5", PINGER = "10.0.0.6";
const VICTIM = "192.0.2.10", SCANNED = "10.0.0.9";

/** A small deterministic PRNG (mulberry32), so every run replays the same decoys. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` SYNs from random sources in 198.18.0.0/15 to random ports 1024-65535 of random hosts. */
function decoys(n: number, startUs: number, spanUs: number, seed = 0): Timed[] {
  const next = random(1000 + seed);
  const byte = () => Math.floor(next() * 256);
  return spread(n, startUs, spanUs, () =>
    tcpFrame(
      `198.${18 + (byte() & 1)}.${byte()}.${byte()}`,
      `203.0.113.${byte()}`,
      1024 + Math.floor(next() * 64512),
      1024 + Math.floor(next() * 64512),
    ));
}

/** 1500 SYNs in 1 s from one host to port 80, a port scan of 40 ports, a ping sweep of 30. */
function attacks(atS: number): Timed[] {
  const at = T0 + atS * SECOND;
  const flood = spread(1500, at, SECOND, (i) => tcpFrame(FLOODER, VICTIM, 10_000 + i, 80));
  const scan = Array.from({ length: 40 }, (_, i) => [
    { tsUs: at + 2 * SECOND + i * 100_000, frame: tcpFrame(SCANNER, SCANNED, 40_000, 1 + i) },
    {
      tsUs: at + 2 * SECOND + i * 100_000 + 1000,
      frame: tcpFrame(SCANNED, SCANNER, 1 + i, 40_000, RST | ACK),
    },
  ]).flat();
  const sweep = Array.from({ length: 30 }, (_, i) => [
    { tsUs: at + 8 * SECOND + i * 100_000, frame: echoFrame(PINGER, addr4(7, i + 1)) },
    { tsUs: at + 8 * SECOND + i * 100_000 + 1000, frame: echoFrame(addr4(7, i + 1), PINGER, true) },
  ]).flat();
  return [...flood, ...scan, ...sweep];
}

/** Feeds everything in time order, in batches of about a second, as a capture would. */
function replay(overrides: unknown, packets: Timed[]): DetectionRun {
  const run = new DetectionRun(overrides);
  packets.sort((a, b) => a.tsUs - b.tsUs);
  for (let i = 0; i < packets.length; i += 1000) run.feed(packets.slice(i, i + 1000));
  return run.finish();
}

function assertAttacksAlerted(run: DetectionRun): void {
  const flood = run.starts("flood").filter((a) => a.dest_ip === VICTIM);
  assert.equal(flood.length, 1, "the SYN flood is alerted");
  const scan = run.starts("port_scan");
  assert.deepEqual(scan.map((a) => [a.src_ip, a.dest_ip]), [[SCANNER, SCANNED]], "the scan");
  const sweep = run.starts("host_sweep");
  assert.deepEqual(sweep.map((a) => [a.src_ip, a.proto]), [[PINGER, "ICMP"]], "the sweep");
}

/** The final stats record's alert counters. */
function finalAlertCounts(run: DetectionRun) {
  const stats = run.records.filter((r) => r.event_type === "stats").at(-1)!;
  return (stats.summary as Record<string, unknown>).alerts as {
    dropped: number;
    by_detector: Record<string, { started: number; dropped: number }>;
  };
}

Deno.test("decoys: 12,000 unfolded decoy SYNs fill unusual_port's share only; flood, scan and sweep alert", () => {
  // Burst folding off (as decoys paced to dodge it would be): every decoy is its own alert.
  const run = replay(
    { detect: { unusual_port: { max_new_per_second: 1_000_000 } } },
    [...decoys(12_000, T0, 10 * SECOND), ...attacks(20)],
  );
  assertAttacksAlerted(run);
  assert.equal(run.starts("unusual_port").length, 2500, "alerts.max_open_per_detector");
  const counts = finalAlertCounts(run);
  assert.equal(counts.by_detector.unusual_port!.dropped, 9500);
  assert.equal(counts.dropped, 9500);
  assert.equal(counts.by_detector.flood!.dropped, 0);
  const drops = run.alerts("state_saturation").filter((a) =>
    /unusual_port alerts were dropped/.test(a.detection.message)
  );
  assert.equal(drops[0]!.detection.state, "start");
  assert.match(
    drops[0]!.detection.message,
    /^\d+ new unusual_port alerts were dropped: it holds 2500 open alerts, its share \(alerts\.max_open_per_detector 2500\); other detectors still alert$/,
  );
  const end = drops.at(-1)!;
  assert.equal(end.detection.state, "end");
  assert.equal(end.detection.peak, 9500, "every drop counted in the alert");
  assert.match(end.detection.message, /^9500 new unusual_port alerts were dropped/);
  run.assertEveValid();
});

Deno.test("decoys: 12,000 decoy SYNs in 10 s fold into one burst alert; flood, scan and sweep alert", () => {
  const run = replay({}, [...decoys(12_000, T0, 10 * SECOND), ...attacks(20)]);
  assertAttacksAlerted(run);
  assert.equal(run.starts("unusual_port").length, 1, "one burst alert");
  assert.equal(finalAlertCounts(run).dropped, 0);
});

/** 8 decoys a second for 120 s: spread evenly, or in the first 20 ms of each second. */
const SLOW = {
  even: () => decoys(960, T0, 120 * SECOND),
  // Right after each tick, with no hold: they take every slot the tick freed, before the
  // flood crosses its threshold (a single shared cap then dropped the flood's start).
  clustered: () =>
    Array.from({ length: 120 }, (_, s) => decoys(8, T0 + s * SECOND, 20_000, s)).flat(),
};

for (const [pacing, sent] of Object.entries(SLOW)) {
  Deno.test(`decoys: 8 decoys/s (${pacing}, under the burst rate) for 120 s with max_open 100; flood, scan and sweep alert`, () => {
    const hold = pacing === "clustered" ? { detect: { unusual_port: { hold_s: 0 } } } : {};
    const run = replay({ alerts: { max_open: 100 }, ...hold }, [...sent(), ...attacks(60.5)]);
    assertAttacksAlerted(run);
    const counts = finalAlertCounts(run);
    const started = counts.by_detector.unusual_port!.started;
    // Its reserve (100 / 20 = 5) and the shared pool (100 - 10 * 5 = 50): 55 at once at most.
    assert.ok(started >= 55 && started < 960, `unusual_port started ${started}`);
    assert.ok(counts.by_detector.unusual_port!.dropped > 100, JSON.stringify(counts));
    const [drop] = run.starts("state_saturation").filter((a) =>
      /dropped/.test(a.detection.message)
    );
    assert.match(
      drop!.detection.message,
      /new unusual_port alerts were dropped: the open alerts all detectors share are in use \(alerts\.max_open 100, beyond a reserve of 5 per detector\)/,
    );
    run.assertEveValid();
  });
}
