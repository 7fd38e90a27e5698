import assert from "node:assert/strict";
import { icmp } from "../../../support/frames.ts";
import {
  ACK,
  DetectionRun,
  echoFrame,
  ipFrame,
  only,
  RST,
  SYN,
  tcpFrame,
} from "../../../support/detection_run.ts";

const SCANNER = "10.0.0.5";

/** SYNs to port 445 of `n` hosts 0.1 s apart, each refused with RST. */
function smbSweep(run: DetectionRun, n: number, startS = 0, firstHost = 1): DetectionRun {
  for (let i = 0; i < n; i++) {
    const host = `10.0.1.${firstHost + i}`, at = startS + i * 0.1;
    run.send(at, tcpFrame(SCANNER, host, 40000, 445));
    run.send(at + 0.001, tcpFrame(host, SCANNER, 445, 40000, RST | ACK));
  }
  return run;
}

/** Echo requests to `n` hosts 0.1 s apart, each answered. */
function pingSweep(
  run: DetectionRun,
  n: number,
  source = SCANNER,
  hostOf = (i: number) => `10.0.2.${i}`,
) {
  for (let i = 0; i < n; i++) {
    run.send(i * 0.1, echoFrame(source, hostOf(i + 1)));
    run.send(i * 0.1 + 0.001, echoFrame(hostOf(i + 1), source, true));
  }
  return run;
}

Deno.test("host_sweep fires at threshold + 1 hosts on one port, silent at the threshold", () => {
  assert.equal(smbSweep(new DetectionRun(only("host_sweep")), 25).finish().alerts().length, 0);
  const run = smbSweep(new DetectionRun(only("host_sweep")), 26).finish();
  const [start] = run.alerts("host_sweep", "start");
  assert.ok(start);
  assert.equal(start.detection.message, "10.0.0.5 swept 26 hosts on TCP port 445 in 2.5 s");
  assert.equal(start.src_ip, SCANNER);
  assert.equal(start.dest_port, 445);
  assert.equal(start.proto, "TCP");
  assert.equal(start.dest_ip, undefined);
  assert.equal(run.alerts("host_sweep", "end").length, 1);
  run.assertEveValid();
});

Deno.test("host_sweep: answered connections do not count, other ports do not add up", () => {
  const run = new DetectionRun(only("host_sweep"));
  for (let i = 1; i <= 30; i++) {
    run.send(i * 0.1, tcpFrame(SCANNER, `10.0.1.${i}`, 40000, 80));
    run.send(i * 0.1 + 0.001, tcpFrame(`10.0.1.${i}`, SCANNER, 80, 40000, SYN | ACK));
  }
  smbSweep(run, 20, 4);
  for (let i = 1; i <= 20; i++) {
    run.send(7 + i * 0.1, tcpFrame(SCANNER, `10.0.3.${i}`, 40000, 139));
  }
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("host_sweep: an ICMP echo sweep counts answered requests", () => {
  assert.equal(pingSweep(new DetectionRun(only("host_sweep")), 25).finish().alerts().length, 0);
  const run = pingSweep(new DetectionRun(only("host_sweep")), 26).finish();
  const [start] = run.alerts("host_sweep", "start");
  assert.ok(start);
  assert.equal(start.detection.message, "10.0.0.5 swept 26 hosts with ICMP echo in 2.5 s");
  assert.equal(start.proto, "ICMP");
  assert.equal(start.dest_port, undefined);
  run.assertEveValid();
});

Deno.test("host_sweep: ICMPv6 echo and ICMP timestamp requests", () => {
  const v6 = pingSweep(
    new DetectionRun(only("host_sweep")),
    26,
    "2001:db8::5",
    (i) => `2001:db8::1:${i}`,
  )
    .finish();
  const [start] = v6.alerts("host_sweep", "start");
  assert.equal(start?.detection.message, "2001:db8::5 swept 26 hosts with ICMPv6 echo in 2.5 s");
  assert.equal(start?.proto, "IPv6-ICMP");
  v6.assertEveValid();

  const run = new DetectionRun(only("host_sweep"));
  for (let i = 1; i <= 26; i++) run.send(i * 0.1, ipFrame(SCANNER, `10.0.2.${i}`, 1, icmp(13, 0)));
  assert.match(
    run.finish().alerts("host_sweep", "start")[0]?.detection.message ?? "",
    /^10\.0\.0\.5 swept 26 hosts with ICMP timestamp requests in 2\.5 s$/,
  );
});

Deno.test("host_sweep lifecycle: start, update while still sweeping, end after quiet_s", () => {
  const run = new DetectionRun({
    ...only("host_sweep"),
    "alerts.update_interval_s": 5,
    "alerts.quiet_s": 10,
  });
  pingSweep(run, 26); // start at 2.5 s
  for (let s = 3; s <= 9; s++) run.send(s, echoFrame(SCANNER, `10.0.2.${40 + s}`));
  run.tick(18);
  const states = run.alerts("host_sweep").map((a) => a.detection.state);
  assert.deepEqual(states, ["start", "update", "update"]);
  const updates = run.alerts("host_sweep", "update");
  assert.deepEqual(updates.map((u) => u.timestamp.slice(11, 19)), ["22:13:28", "22:13:38"]);
  assert.deepEqual(updates.map((u) => u.detection.observed), [31, 33]);
  run.tick(19);
  const [end] = run.alerts("host_sweep", "end");
  assert.equal(end?.timestamp, "2023-11-14T22:13:39.000000+0000", "last probe + quiet_s");
  assert.equal(end?.detection.count, 8);
  run.assertEveValid();
});

Deno.test("host_sweep: global and per-detector allow-lists suppress and count", () => {
  for (
    const overrides of [
      { "alerts.allow_list": ["10.0.0.5"] },
      { "detect.host_sweep.allow_list": ["10.0.0.0/24"] },
    ]
  ) {
    const run = pingSweep(new DetectionRun({ ...only("host_sweep"), ...overrides }), 40);
    assert.equal(run.alerts().length, 0);
    assert.equal(run.counts("host_sweep").suppressed, 1);
  }
});

Deno.test("host_sweep state is bounded by max_tracked with evictions counted", () => {
  const run = new DetectionRun({ ...only("host_sweep"), "detect.host_sweep.max_tracked": 16 });
  // Two pings per source: a source seen once makes no entry (first_sightings.ts).
  for (let i = 0; i < 40; i++) {
    run.send(i * 0.01, echoFrame(`10.0.4.${i}`, "10.0.0.9"));
    run.send(i * 0.01 + 0.001, echoFrame(`10.0.4.${i}`, "10.0.0.10"));
  }
  const stats = run.engine.detection.trackers().find((t) => t.name === "host_sweep.icmp")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
});

Deno.test("host_sweep: failed probes to hosts all over the Internet need scattered_threshold (P2P bootstrap)", () => {
  // 60 dead peers on TCP 6346 in 60 different /16 networks: a Gnutella client bootstrapping.
  const peers = (n: number) =>
    Array.from({ length: n }, (_, i) => `${20 + i}.${i * 3 % 256}.1.${1 + i}`);
  const run = new DetectionRun(only("host_sweep"));
  peers(60).forEach((peer, i) => run.send(i * 0.1, tcpFrame("10.0.0.5", peer, 40000 + i, 6346)));
  assert.deepEqual(run.finish().alerts(), []);
  const worm = new DetectionRun(only("host_sweep"));
  peers(101).forEach((peer, i) => worm.send(i * 0.1, tcpFrame("10.0.0.5", peer, 40000 + i, 445)));
  const [start] = worm.finish().starts("host_sweep");
  assert.equal(start?.detection.threshold, 100);
  assert.equal(start?.src_ip, "10.0.0.5");
});

Deno.test("host_sweep counts ACK pings (nmap -sn -PA80), answered by RST or not", () => {
  const run = new DetectionRun(only("host_sweep"));
  for (let i = 1; i <= 26; i++) {
    run.send(i * 0.01, tcpFrame(SCANNER, `10.0.3.${i}`, 40000, 80, ACK));
    if (i % 2) run.send(i * 0.01 + 0.001, tcpFrame(`10.0.3.${i}`, SCANNER, 80, 40000, RST));
  }
  run.tick(6);
  const [start] = run.starts("host_sweep");
  assert.ok(start);
  assert.equal(start.src_ip, SCANNER);
  assert.equal(start.detection.message, "10.0.0.5 swept 26 hosts on TCP port 80 in 5.2 s");
});
