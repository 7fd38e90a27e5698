import assert from "node:assert/strict";
import {
  addr4,
  DetectionRun,
  spread,
  T0,
  tcpFrame,
  Timed,
} from "../../../support/detection_run.ts";

const TINY = { detect: { high_packet_rate: { max_tracked: 16 } }, alerts: { quiet_s: 5 } };

/**
 * Two SYNs from each of `n` sources (block `block`) within 0.5 s from `startUs`: a source seen
 * once makes no entry (first_sightings.ts), a second packet does.
 */
function sources(n: number, startUs: number, block = 1): Timed[] {
  return spread(
    2 * n,
    startUs,
    500_000,
    (i) => tcpFrame(addr4(block, i >> 1), "192.0.2.1", 1000 + (i & 1), 443),
  );
}

Deno.test("state_saturation: fires when a table's tiny max_tracked is exceeded", () => {
  const r = new DetectionRun(TINY);
  r.feed(sources(20, T0)).feed(sources(1, T0 + 1_100_000, 2)); // the next second's tick
  const [a, ...more] = r.starts("state_saturation");
  assert.deepEqual(more, []);
  assert.equal(
    a!.detection.message,
    "the high_packet_rate.sources table is full (16 entries) and evicted 4 entries; " +
      "detection may miss keys",
  );
  assert.equal(a!.timestamp, "2023-11-14T22:13:21.100000+0000");
  assert.equal(a!.src_ip, undefined);
  assert.equal(a!.detection.observed, 4);
});

Deno.test("state_saturation: silent at the cap", () => {
  const r = new DetectionRun(TINY);
  r.feed(sources(16, T0)).feed(sources(1, T0 + 1_100_000, 1)).finish();
  assert.deepEqual(r.starts("state_saturation"), []);
});

Deno.test("state_saturation: stays open while evictions grow, ends after quiet_s without", () => {
  const r = new DetectionRun(TINY);
  // Evictions grow every second for 10 s (20 new sources each second), then one source only
  // (from 12 s, once the last of them expired) for 20 s.
  for (let s = 0; s < 10; s++) r.feed(sources(20, T0 + s * 1e6, 10 + s));
  for (let s = 12; s < 32; s++) r.feed(sources(1, T0 + s * 1e6, 99));
  const starts = r.starts("state_saturation");
  assert.equal(starts.length, 1);
  const [end, ...more] = r.alerts("state_saturation", "end");
  assert.deepEqual(more, []);
  assert.equal(
    end!.detection.last_seen,
    "2023-11-14T22:13:32.000000+0000",
    "the 9 s evictions, seen at the 12 s tick",
  );
  assert.equal(end!.timestamp, "2023-11-14T22:13:37.000000+0000", "+ quiet_s");
  assert.equal(end!.detection.peak, 10 * 20 - 16);
  assert.match(end!.detection.message, /evicted 184 entries/);
  r.finish();
  assert.equal(r.starts("state_saturation").length, 1);
});

Deno.test("state_saturation: a spoofed flood filling several tables is one alert naming them", () => {
  const r = new DetectionRun({
    detect: {
      high_packet_rate: { max_tracked: 16 },
      unique_connections: { max_tracked: 16 },
    },
  });
  r.feed(sources(40, T0)).feed(sources(1, T0 + 1_100_000, 2)).finish();
  const [a, ...more] = r.starts("state_saturation");
  assert.deepEqual(more, []);
  assert.match(a!.detection.message, /^\d+ tables are full and evicted \d+ entries: /);
  assert.match(a!.detection.message, /high_packet_rate\.sources \(cap 16\)/);
  assert.match(a!.detection.message, /unique_connections\.sources \(cap 16\)/);
});
