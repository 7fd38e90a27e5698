import assert from "node:assert/strict";
import {
  ACK,
  DetectionRun,
  FIN,
  only,
  PSH,
  RST,
  SYN,
  SYN_ACK,
  tcpFrame,
} from "../../../support/detection_run.ts";

const GUESSER = "10.0.0.5", SERVER = "10.0.0.9";

interface SessionOptions {
  client?: string;
  server?: string;
  port?: number;
  /** Seconds from the SYN-ACK to the first FIN or RST. */
  durationS?: number;
  /** Flags of the closing packet. */
  close?: number;
  /** The server closes (default: the client). */
  serverCloses?: boolean;
}

/**
 * One TCP session at `atS`: SYN, SYN-ACK, ACK, a login exchange, then the close (by default a
 * FIN from the client after 0.5 s, answered by the server's FIN).
 */
function session(run: DetectionRun, atS: number, clientPort: number, o: SessionOptions = {}) {
  const client = o.client ?? GUESSER, server = o.server ?? SERVER, port = o.port ?? 22;
  const duration = o.durationS ?? 0.5, close = o.close ?? (FIN | ACK);
  const up = (flags: number) => tcpFrame(client, server, clientPort, port, flags);
  const down = (flags: number) => tcpFrame(server, client, port, clientPort, flags);
  run.send(atS, up(SYN));
  run.send(atS + 0.001, down(SYN_ACK));
  run.send(atS + 0.002, up(ACK));
  run.send(atS + 0.01, down(PSH | ACK));
  run.send(atS + 0.02, up(PSH | ACK));
  const end = atS + 0.001 + duration;
  if (o.serverCloses) {
    run.send(end, down(close));
    if (close & FIN) run.send(end + 0.001, up(FIN | ACK));
  } else {
    run.send(end, up(close));
    if (close & FIN) run.send(end + 0.001, down(FIN | ACK));
  }
  return run;
}

/** `n` sessions 0.1 s apart from `startS`, from client ports 40000 + `portBase` + i. */
function sessions(
  run: DetectionRun,
  n: number,
  startS = 0,
  o: SessionOptions = {},
  portBase = 0,
): DetectionRun {
  for (let i = 0; i < n; i++) session(run, startS + i * 0.1, 40000 + portBase + i, o);
  return run;
}

Deno.test("brute_force fires at threshold + 1 short sessions and stays silent at the threshold", () => {
  const silent = sessions(new DetectionRun(only("brute_force")), 10).finish();
  assert.equal(silent.alerts().length, 0);

  const run = sessions(new DetectionRun(only("brute_force")), 11).finish();
  const [start] = run.starts("brute_force");
  assert.ok(start);
  assert.equal(start.src_ip, GUESSER);
  assert.equal(start.dest_ip, SERVER);
  assert.equal(start.dest_port, 22);
  assert.equal(start.proto, "TCP");
  assert.equal(
    start.detection.message,
    "10.0.0.5 made 11 short sessions to SSH on 10.0.0.9 in 1 s",
  );
  assert.equal(start.alert.signature_id, 1_000_010);
  assert.equal(start.detection.observed, 11);
  assert.equal(start.detection.threshold, 10);
  assert.equal(start.detection.window_s, 300);
  assert.equal(run.alerts("brute_force", "end").length, 1, "ended at finish");
  run.assertEveValid();
});

Deno.test("brute_force: long sessions do not count, sessions up to max_session_s do", () => {
  const long = sessions(new DetectionRun(only("brute_force")), 30, 0, { durationS: 30.01 });
  assert.equal(long.finish().alerts().length, 0);

  const edge = sessions(new DetectionRun(only("brute_force")), 11, 0, { durationS: 30 });
  assert.equal(edge.finish().starts("brute_force").length, 1);

  const shorter = new DetectionRun({
    ...only("brute_force"),
    "detect.brute_force.max_session_s": 5,
  });
  sessions(shorter, 30, 0, { durationS: 6 });
  assert.equal(shorter.finish().alerts().length, 0);
});

Deno.test("brute_force: sessions to different ports, hosts or from different sources do not add up", () => {
  const run = new DetectionRun(only("brute_force"));
  sessions(run, 10, 0, { port: 22 }, 0);
  sessions(run, 10, 0, { port: 21 }, 100);
  sessions(run, 10, 0, { server: "10.0.0.10" }, 200);
  sessions(run, 10, 0, { client: "10.0.0.6" }, 300);
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("brute_force: below the threshold in every window is silent", () => {
  const run = new DetectionRun(only("brute_force"));
  sessions(run, 10, 0);
  sessions(run, 10, 330, {}, 100); // the first 10 have left the 300-s window
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("brute_force counts sessions the server ends, and RST with ACK from either side", () => {
  for (
    const o of [
      { serverCloses: true },
      { close: RST | ACK },
      { close: RST | ACK, serverCloses: true },
    ]
  ) {
    const run = sessions(new DetectionRun(only("brute_force")), 11, 0, o).finish();
    assert.equal(run.starts("brute_force").length, 1, JSON.stringify(o));
  }
});

Deno.test("brute_force: a bare RST answering a SYN-ACK (SYN scan, SYN flood) is no session", () => {
  const run = new DetectionRun(only("brute_force"));
  for (let i = 0; i < 40; i++) {
    const at = i * 0.01;
    run.send(at, tcpFrame(GUESSER, SERVER, 40000 + i, 22, SYN));
    run.send(at + 0.001, tcpFrame(SERVER, GUESSER, 22, 40000 + i, SYN_ACK));
    run.send(at + 0.002, tcpFrame(GUESSER, SERVER, 40000 + i, 22, RST));
  }
  const sessionsTable = run.engine.detection.trackers().find((t) =>
    t.name === "brute_force.sessions"
  )!;
  assert.equal(sessionsTable.size, 0, "each ended by its RST");
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("brute_force: refused connections and sessions begun before the capture do not count", () => {
  const run = new DetectionRun(only("brute_force"));
  for (let i = 0; i < 30; i++) {
    const at = i * 0.1;
    // Refused: SYN answered by RST.
    run.send(at, tcpFrame(GUESSER, SERVER, 40000 + i, 22, SYN));
    run.send(at + 0.001, tcpFrame(SERVER, GUESSER, 22, 40000 + i, RST | ACK));
    // Established before the capture started: only the end is seen.
    run.send(at + 0.01, tcpFrame(GUESSER, SERVER, 41000 + i, 22, PSH | ACK));
    run.send(at + 0.02, tcpFrame(GUESSER, SERVER, 41000 + i, 22, FIN | ACK));
    // A SYN-ACK without a SYN (backscatter): the tracker calls it unsolicited.
    run.send(at + 0.03, tcpFrame(SERVER, GUESSER, 22, 42000 + i, SYN_ACK));
    run.send(at + 0.04, tcpFrame(GUESSER, SERVER, 42000 + i, 22, FIN | ACK));
  }
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("brute_force watches only detect.brute_force.ports", () => {
  const web = sessions(new DetectionRun(only("brute_force")), 30, 0, { port: 80 });
  assert.equal(web.finish().alerts().length, 0, "HTTP is not watched by default");

  const run = new DetectionRun({ ...only("brute_force"), "detect.brute_force.ports": [80] });
  sessions(run, 11, 0, { port: 80 });
  sessions(run, 30, 5, { port: 22 }, 100);
  const starts = run.finish().starts("brute_force");
  assert.deepEqual(starts.map((a) => a.dest_port), [80]);
  assert.equal(
    starts[0]!.detection.message,
    "10.0.0.5 made 11 short sessions to HTTP on 10.0.0.9 in 1 s",
  );
});

Deno.test("brute_force names the attacker and victim over IPv6, with unnamed ports as numbers", () => {
  const run = new DetectionRun({ ...only("brute_force"), "detect.brute_force.ports": [2222] });
  sessions(run, 11, 0, { client: "fd00::5", server: "fd00::9", port: 2222, serverCloses: true });
  const [start] = run.finish().starts("brute_force");
  assert.ok(start);
  assert.equal(start.src_ip, "fd00::5");
  assert.equal(start.dest_ip, "fd00::9");
  assert.equal(
    start.detection.message,
    "fd00::5 made 11 short sessions to port 2222 on fd00::9 in 1 s",
  );
});

Deno.test("brute_force lifecycle: one alert while guessing goes on, its end says the peak", () => {
  const run = new DetectionRun({ ...only("brute_force"), "alerts.update_interval_s": 10 });
  sessions(run, 100, 0); // 0.1 s apart: 10 s of guessing; starts at 1.5 s
  run.tick(12);
  const states = run.alerts("brute_force").map((a) => a.detection.state);
  assert.deepEqual(states, ["start", "update"]);
  run.finish();
  const [end] = run.alerts("brute_force", "end");
  assert.ok(end);
  assert.equal(end.detection.peak, 100);
  assert.equal(
    end.detection.message,
    "10.0.0.5 made 100 short sessions to SSH on 10.0.0.9 in 9.9 s",
  );
  run.assertEveValid();
});

Deno.test("brute_force is not silenced when its source is also a port scanner", () => {
  const run = new DetectionRun(only("brute_force", "port_scan"));
  for (let port = 1000; port < 1020; port++) {
    run.send(0, tcpFrame(GUESSER, SERVER, 50000, port, SYN));
    run.send(0.001, tcpFrame(SERVER, GUESSER, port, 50000, RST | ACK));
  }
  sessions(run, 11, 1);
  run.finish();
  assert.equal(run.starts("port_scan").length, 1);
  assert.equal(run.starts("brute_force").length, 1);
});

Deno.test("brute_force state is bounded by max_tracked with evictions counted", () => {
  const run = new DetectionRun({ ...only("brute_force"), "detect.brute_force.max_tracked": 16 });
  for (let i = 0; i < 40; i++) {
    run.send(i * 0.01, tcpFrame(`10.0.1.${i}`, SERVER, 40000, 22, SYN));
    run.send(i * 0.01 + 0.001, tcpFrame(SERVER, `10.0.1.${i}`, 22, 40000, SYN_ACK));
  }
  const stats = run.engine.detection.trackers().find((t) => t.name === "brute_force.sessions")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
  run.tick(31);
  const expired = run.engine.detection.trackers().find((t) => t.name === "brute_force.sessions")!;
  assert.equal(expired.size, 0, "older than max_session_s: expired");
});
