import assert from "node:assert/strict";
import {
  ACK,
  DetectionRun,
  FIN,
  only,
  PSH,
  RST,
  SYN,
  tcpFrame,
  udpFrame,
  URG,
} from "../../../support/detection_run.ts";

const CLIENT = "10.0.0.5";

/** `n` answered TCP connections from CLIENT to distinct (host, port), 0.1 s apart. */
function fanOut(run: DetectionRun, n: number, startS = 0, source = CLIENT): DetectionRun {
  for (let i = 0; i < n; i++) {
    const host = `10.0.${1 + (i >> 4)}.${1 + (i & 15)}`,
      port = 8000 + (i & 3),
      at = startS + i * 0.1;
    run.send(at, tcpFrame(source, host, 40000 + i, port));
    run.send(at + 0.001, tcpFrame(host, source, port, 40000 + i, SYN | ACK));
  }
  return run;
}

Deno.test("unique_connections fires at threshold + 1 destinations, silent at the threshold", () => {
  assert.equal(
    fanOut(new DetectionRun(only("unique_connections")), 50).finish().alerts().length,
    0,
  );
  const run = fanOut(new DetectionRun(only("unique_connections")), 51).finish();
  const [start] = run.alerts("unique_connections", "start");
  assert.ok(start);
  assert.equal(
    start.detection.message,
    "10.0.0.5 opened connections to 51 distinct destinations (host, port, protocol) in 60 s",
  );
  assert.equal(start.src_ip, CLIENT);
  assert.equal(start.detection.threshold, 50);
  assert.equal(run.alerts("unique_connections", "end").length, 1);
  run.assertEveValid();
});

Deno.test("unique_connections: the same destination again, or outside the window, adds nothing", () => {
  const run = new DetectionRun({
    ...only("unique_connections"),
    "detect.unique_connections.threshold": 3,
  });
  for (let i = 0; i < 10; i++) run.send(i * 0.1, tcpFrame(CLIENT, "10.0.0.9", 40000 + i, 443));
  run.send(1, udpFrame(CLIENT, "10.0.0.9", 50000, 443)); // (host, 443, UDP): second
  run.send(2, tcpFrame(CLIENT, "10.0.0.9", 41000, 80)); // third
  run.send(70, tcpFrame(CLIENT, "10.0.0.10", 41000, 80)); // the first two left the window
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("unique_connections: FIN, NULL and Xmas probes open no connections", () => {
  const run = new DetectionRun({
    ...only("unique_connections"),
    "detect.unique_connections.threshold": 3,
  });
  for (let i = 0; i < 10; i++) {
    run.send(
      i * 0.1,
      tcpFrame(CLIENT, "10.0.0.9", 40000, 100 + i, [FIN, 0, FIN | PSH | URG][i % 3]),
    );
  }
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("unique_connections counts UDP and IPv6 attempts", () => {
  const run = new DetectionRun({
    ...only("unique_connections"),
    "detect.unique_connections.threshold": 3,
  });
  run.send(0, udpFrame("2001:db8::5", "2001:db8::9", 50000, 53));
  run.send(0.1, udpFrame("2001:db8::5", "2001:db8::9", 50000, 123));
  run.send(0.2, tcpFrame("2001:db8::5", "2001:db8::9", 40000, 53));
  run.send(0.3, tcpFrame("2001:db8::5", "2001:db8::a", 40000, 53));
  const [start] = run.finish().alerts("unique_connections", "start");
  assert.equal(start?.src_ip, "2001:db8::5");
  assert.equal(start?.detection.observed, 4);
  run.assertEveValid();
});

Deno.test("unique_connections lifecycle: start, update while still fanning out, end", () => {
  const run = new DetectionRun({
    ...only("unique_connections"),
    "alerts.update_interval_s": 5,
    "alerts.quiet_s": 10,
  });
  fanOut(run, 51); // start at 5 s
  for (let s = 6; s <= 9; s++) run.send(s, tcpFrame(CLIENT, `10.0.9.${s}`, 40000, 22));
  run.tick(10.9);
  assert.deepEqual(run.alerts("unique_connections"), [], "held for hold_s (6 s)");
  run.tick(11);
  assert.deepEqual(
    run.alerts("unique_connections").map((a) => a.detection.state),
    ["start", "update"],
  );
  run.tick(19);
  assert.equal(run.alerts("unique_connections", "end").length, 1);
  assert.equal(
    run.alerts("unique_connections", "end")[0]!.timestamp.slice(11, 26),
    "22:13:39.000000",
  );
  run.assertEveValid();
});

Deno.test("unique_connections stays silent for a source flagged as a port scanner", () => {
  const run = new DetectionRun(only("unique_connections", "port_scan"));
  for (let port = 1; port <= 16; port++) {
    run.send(port * 0.01, tcpFrame(CLIENT, "10.0.0.9", 40000, port));
    run.send(port * 0.01 + 0.001, tcpFrame("10.0.0.9", CLIENT, port, 40000, RST | ACK));
  }
  fanOut(run, 60, 1);
  run.finish();
  assert.equal(run.alerts("port_scan", "start").length, 1);
  assert.equal(run.alerts("unique_connections").length, 0);
});

Deno.test("unique_connections: allow-lists suppress and count", () => {
  for (
    const overrides of [
      { "alerts.allow_list": ["10.0.0.5"] },
      { "detect.unique_connections.allow_list": ["10.0.0.0/28"] },
    ]
  ) {
    const run = fanOut(new DetectionRun({ ...only("unique_connections"), ...overrides }), 70)
      .finish();
    assert.equal(run.alerts().length, 0);
    assert.equal(run.counts("unique_connections").suppressed, 1);
  }
});

Deno.test("unique_connections state is bounded by max_tracked with evictions counted", () => {
  const run = new DetectionRun({
    ...only("unique_connections"),
    "detect.unique_connections.max_tracked": 16,
  });
  // Two attempts per source: a source seen once makes no entry (first_sightings.ts).
  for (let i = 0; i < 40; i++) {
    run.send(i * 0.01, tcpFrame(`10.0.4.${i}`, "10.0.0.9", 40000, 80));
    run.send(i * 0.01 + 0.001, tcpFrame(`10.0.4.${i}`, "10.0.0.9", 40001, 81));
  }
  const stats = run.engine.detection.trackers()
    .find((t) => t.name === "unique_connections.sources")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
});

Deno.test("unique_connections: a fan-out of unanswered probes that times out into a scan is the scan's", () => {
  const run = new DetectionRun(only("unique_connections", "port_scan"));
  // 60 SYNs to 60 ports of one host in 0.6 s, never answered: unique_connections crosses its
  // threshold at once, port_scan only once the probes time out (5 s later).
  for (let i = 0; i < 60; i++) run.send(i * 0.01, tcpFrame(CLIENT, "10.0.0.9", 40000, 2000 + i));
  run.finish();
  assert.equal(run.alerts("port_scan", "start").length, 1);
  assert.deepEqual(run.alerts("unique_connections"), []);
});
