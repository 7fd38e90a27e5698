import assert from "node:assert/strict";
import { DetectionRun, T0, tcpFrame } from "../../../support/detection_run.ts";

/** A live run: one packet starts the packet clock, then counters come at explicit times. */
function live(overrides: unknown = {}): {
  r: DetectionRun;
  counters: (atS: number, received: number, dropped: number) => void;
} {
  const r = new DetectionRun(overrides, true);
  r.feed([{ tsUs: T0, frame: tcpFrame("10.0.0.1", "10.0.0.2", 40_000, 443) }]);
  return {
    r,
    counters: (atS, received, dropped) => {
      r.engine.tick(T0 + atS * 1e6);
      r.engine.updateKernelCounters({ received, dropped, ifDropped: 0 });
    },
  };
}

Deno.test("capture_drops: 6 % of 1000 packets dropped over 60 s fires; 5 % does not", () => {
  const silent = live();
  silent.counters(0, 0, 0);
  silent.counters(60, 1000, 50);
  assert.deepEqual(silent.r.alerts(), []);

  const { r, counters } = live();
  counters(0, 0, 0);
  counters(30, 500, 30);
  assert.deepEqual(r.starts("capture_drops"), [], "judged over a full window only");
  counters(60, 1000, 60);
  const [a, ...more] = r.starts("capture_drops");
  assert.deepEqual(more, []);
  assert.equal(a!.detection.message, "the kernel dropped 6 % of packets over 60 s (60 of 1000)");
  assert.equal(a!.timestamp, "2023-11-14T22:14:20.000000+0000", "packet clock, not wall clock");
  assert.equal(a!.detection.observed, 6);
  assert.equal(a!.detection.threshold, 5);
  assert.equal(a!.detection.window_s, 60);
  assert.equal(a!.src_ip, undefined);
});

Deno.test("capture_drops: silent below min_packets, whatever the share", () => {
  const { r, counters } = live();
  counters(0, 0, 0);
  counters(60, 99, 50);
  assert.deepEqual(r.alerts(), []);
});

Deno.test("capture_drops: the window slides over cumulative counters sampled every second", () => {
  const { r, counters } = live();
  let received = 0, dropped = 0;
  // 100 s without a drop at 100 packets/s, then 20 s dropping 20 of 100 each second.
  for (let s = 0; s <= 120; s++) {
    counters(s, received, dropped);
    received += 100;
    if (s >= 100) dropped += 20;
  }
  const [a] = r.starts("capture_drops");
  assert.ok(a !== undefined, "fires once the last 60 s hold more than 5 % drops");
  // At 116 s: 320 drops of the last minute's 6000 packets (since the start: 320 of 11600).
  assert.equal(a.detection.message, "the kernel dropped 5.3 % of packets over 60 s (320 of 6000)");
  assert.equal(a.timestamp.slice(0, 19), "2023-11-14T22:15:16");
});

Deno.test("capture_drops: the alert ends after alerts.quiet_s without excess drops", () => {
  const { r, counters } = live({ alerts: { quiet_s: 10 } });
  counters(0, 0, 0);
  counters(60, 1000, 100);
  counters(61, 1100, 110);
  for (let s = 62; s <= 200; s += 2) counters(s, 1100 + (s - 61) * 1000, 110); // no more drops
  r.feed([{ tsUs: T0 + 200e6, frame: tcpFrame("10.0.0.1", "10.0.0.2", 40_000, 443) }]);
  const ends = r.alerts("capture_drops", "end");
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.detection.peak, 10);
  assert.equal(ends[0]!.detection.last_seen.slice(0, 19), "2023-11-14T22:14:22");
  assert.equal(ends[0]!.timestamp.slice(0, 19), "2023-11-14T22:14:32", "last excess + quiet_s");
  assert.match(
    ends[0]!.detection.message,
    /^the kernel dropped 10 % of packets over 61 s \(110 of 1100\)$/,
  );
});

Deno.test("capture_drops: a counter reset (capture reopened) starts over", () => {
  const { r, counters } = live();
  counters(0, 0, 0);
  counters(60, 100_000, 0);
  counters(61, 500, 100); // fewer than before: new counters, no negative delta
  counters(90, 1000, 100);
  assert.deepEqual(r.alerts(), []);
  counters(122, 2000, 200);
  assert.equal(r.starts("capture_drops").length, 1);
});
