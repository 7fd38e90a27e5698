import assert from "node:assert/strict";
import { icmp, ipv4, ipv6 } from "../../../support/frames.ts";
import {
  ACK,
  DetectionRun,
  icmpError,
  ipFrame,
  only,
  RST,
  tcpFrame,
  udpFrame,
} from "../../../support/detection_run.ts";

const SCANNER = "10.0.0.5", VICTIM = "10.0.0.9";

/** SYNs from SCANNER to `ports` of `victim`, 0.1 s apart from `startS`, each answered by RST. */
function rstScan(run: DetectionRun, ports: number[], startS = 0, victim = VICTIM): DetectionRun {
  ports.forEach((port, i) => {
    const at = startS + i * 0.1;
    run.send(at, tcpFrame(SCANNER, victim, 40000, port));
    run.send(at + 0.001, tcpFrame(victim, SCANNER, port, 40000, RST | ACK));
  });
  return run;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

Deno.test("port_scan fires at threshold + 1 ports and stays silent at the threshold", () => {
  const silent = rstScan(new DetectionRun(only("port_scan")), range(1, 15)).finish();
  assert.equal(silent.alerts().length, 0);

  const run = rstScan(new DetectionRun(only("port_scan")), range(1, 16)).finish();
  const [start] = run.alerts("port_scan", "start");
  assert.ok(start);
  assert.equal(start.src_ip, SCANNER);
  assert.equal(start.dest_ip, VICTIM);
  assert.equal(start.proto, "TCP");
  assert.equal(start.detection.message, "10.0.0.5 probed 16 TCP ports on 10.0.0.9 in 1.5 s");
  assert.equal(start.detection.observed, 16);
  assert.equal(start.detection.threshold, 15);
  assert.equal(run.alerts("port_scan", "end").length, 1, "ended at finish");
  run.assertEveValid();
});

Deno.test("port_scan counts unanswered probes once they time out, and UDP ports too", () => {
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 10; i++) run.send(i * 0.1, tcpFrame(SCANNER, VICTIM, 40000, 100 + i));
  for (let i = 0; i < 6; i++) {
    const q = { src: SCANNER, dst: VICTIM, proto: 17, sport: 50000, dport: 200 + i };
    run.send(1 + i * 0.1, udpFrame(SCANNER, VICTIM, 50000, 200 + i));
    run.send(1 + i * 0.1 + 0.001, icmpError(VICTIM, q));
  }
  assert.equal(run.alerts().length, 0, "10 TCP probes still pending, 6 UDP failed");
  run.tick(4.9);
  assert.equal(run.alerts().length, 0);
  run.tick(6);
  const [start] = run.alerts("port_scan", "start");
  assert.ok(start, "the timeouts at 5 s push it over");
  assert.match(start.detection.message, /^10\.0\.0\.5 probed 16 TCP and UDP ports on 10\.0\.0\.9/);
  run.assertEveValid();
});

Deno.test("port_scan: ports on different hosts do not add up", () => {
  const run = new DetectionRun(only("port_scan"));
  rstScan(run, range(1, 10), 0, "10.0.0.9");
  rstScan(run, range(11, 10), 2, "10.0.0.10");
  assert.equal(run.finish().alerts().length, 0);
});

Deno.test("port_scan lifecycle: start, update while still probing, end after quiet_s", () => {
  const run = new DetectionRun({
    ...only("port_scan"),
    "alerts.update_interval_s": 10,
    "alerts.quiet_s": 20,
  });
  rstScan(run, range(1, 16)); // start at 1.5 s
  for (let s = 2; s <= 15; s++) rstScan(run, [100 + s], s); // still over the threshold
  run.tick(34);
  const states = run.alerts("port_scan").map((a) => a.detection.state);
  assert.deepEqual(states, ["start", "update", "update"]);
  const [first, second] = run.alerts("port_scan", "update");
  assert.equal(first!.timestamp, "2023-11-14T22:13:32.000000+0000", "first tick 10 s after start");
  assert.equal(first!.detection.peak, 26);
  assert.equal(second!.timestamp, "2023-11-14T22:13:54.000000+0000", "changed since: updated");
  run.tick(34.5);
  assert.equal(run.alerts("port_scan").length, 3, "unchanged since the last update: none");
  run.tick(36);
  const end = run.alerts("port_scan", "end");
  assert.equal(end.length, 1);
  assert.equal(end[0]!.timestamp, "2023-11-14T22:13:55.001000+0000", "last probe + quiet_s");
  assert.equal(end[0]!.detection.count, 1 + 14);
  assert.equal(
    end[0]!.detection.message,
    "10.0.0.5 probed 30 TCP ports on 10.0.0.9 in 15 s",
    "the evidence's true total (16 + 14 ports), not 'at least' the window's saturated count",
  );
  assert.equal(
    (end[0]!.detection as { evidence?: { ports_total: number } }).evidence?.ports_total,
    30,
  );
  run.finish();
  assert.equal(run.alerts("port_scan").length, 4, "nothing more at finish");
  run.assertEveValid();
});

Deno.test("port_scan: global and per-detector allow-lists suppress and count", () => {
  for (
    const overrides of [
      { "alerts.allow_list": ["10.0.0.0/29"] }, // the scanner
      { "detect.port_scan.allow_list": ["10.0.0.9"] }, // the victim
    ]
  ) {
    const run = new DetectionRun({ ...only("port_scan"), ...overrides });
    rstScan(run, range(1, 30));
    assert.equal(run.alerts().length, 0);
    assert.equal(run.counts("port_scan").suppressed, 1);
    assert.equal(run.counts("port_scan").started, 0);
  }
});

Deno.test("port_scan state is bounded by max_tracked with evictions counted", () => {
  const run = new DetectionRun({ ...only("port_scan"), "detect.port_scan.max_tracked": 16 });
  // Two refused ports per pair: a pair seen once makes no entry (first_sightings.ts).
  for (let i = 0; i < 40; i++) rstScan(run, [80, 81], i * 0.01, `10.0.1.${i}`);
  const stats = run.engine.detection.trackers().find((t) => t.name === "port_scan.pairs")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
});

Deno.test("port_scan counts ACK probes (nmap -sA) answered by bare RSTs or left unanswered", () => {
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 16; i++) {
    run.send(i * 0.01, tcpFrame(SCANNER, VICTIM, 40000, 100 + i, ACK));
    if (i < 8) run.send(i * 0.01 + 0.001, tcpFrame(VICTIM, SCANNER, 100 + i, 40000, RST));
  }
  assert.equal(run.alerts().length, 0, "8 refused, 8 still pending");
  run.tick(6);
  const [start] = run.starts("port_scan");
  assert.ok(start);
  assert.equal(start.detection.message, "10.0.0.5 probed 16 TCP ports on 10.0.0.9 in 5.1 s");
  run.assertEveValid();
});

Deno.test("port_scan sees an ACK scan in the victim's bare RSTs alone", () => {
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 16; i++) run.send(i * 0.01, tcpFrame(VICTIM, SCANNER, 100 + i, 40000, RST));
  const [start] = run.starts("port_scan");
  assert.ok(start);
  assert.equal(start.src_ip, SCANNER);
  assert.equal(start.dest_ip, VICTIM);
});

Deno.test("port_scan: a client's ACKs to many ports of a server it talks to are no scan", () => {
  // 20 connections seen mid-way (no SYN in the capture): the server acks too.
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 20; i++) {
    run.send(i * 0.01, tcpFrame(SCANNER, VICTIM, 40000 + i, 8000 + i, ACK));
    run.send(i * 0.01 + 0.005, tcpFrame(VICTIM, SCANNER, 8000 + i, 40000 + i, ACK));
  }
  run.finish();
  assert.equal(run.alerts().length, 0);
});

/** A packet of IP protocol `proto` from `src` to `dst`, as nmap -sO sends (no payload). */
function protocolProbe(src: string, dst: string, proto: number): Uint8Array {
  return ipFrame(src, dst, proto, new Uint8Array(0));
}

/** The ICMP protocol unreachable `host` answers a packet of IP protocol `proto` with. */
function protocolUnreachable(host: string, prober: string, proto: number): Uint8Array {
  if (!host.includes(":")) {
    return ipFrame(host, prober, 1, icmp(3, 2, ipv4({ proto, src: prober, dst: host })));
  }
  const quoted = ipv6({ nextHeader: proto, src: prober, dst: host, payload: [] });
  return ipFrame(host, prober, 58, icmp(4, 1, quoted, [0, 0, 0, 6]));
}

/** IP protocols nmap -sO would try, other than TCP, UDP, ICMP and ICMPv6. */
const OTHER_PROTOCOLS = range(2, 60).filter((p) => p !== 6 && p !== 17 && p !== 58);

for (
  const [family, scanner, victim] of [
    ["IPv4", SCANNER, VICTIM],
    ["IPv6", "2001:db8::5", "2001:db8::9"],
  ] as const
) {
  Deno.test(`port_scan (${family}) says IP protocols past protocol_threshold, not at it`, () => {
    const probes = (n: number) => {
      const run = new DetectionRun(only("port_scan"));
      OTHER_PROTOCOLS.slice(0, n).forEach((proto, i) => {
        run.send(i * 0.1, protocolProbe(scanner, victim, proto));
        run.send(i * 0.1, protocolProbe(scanner, victim, proto)); // repeats count once
      });
      return run.finish();
    };
    assert.equal(probes(10).alerts().length, 0);
    const run = probes(11);
    const [start] = run.starts("port_scan");
    assert.ok(start);
    assert.equal(start.src_ip, scanner);
    assert.equal(start.dest_ip, victim);
    assert.equal(start.detection.message, `${scanner} tried 11 IP protocols on ${victim} in 1 s`);
    assert.equal(start.detection.threshold, 10);
    run.assertEveValid();
  });

  Deno.test(`port_scan (${family}) sees an IP protocol scan in protocol unreachables alone`, () => {
    const run = new DetectionRun(only("port_scan"));
    OTHER_PROTOCOLS.slice(0, 11).forEach((proto, i) => {
      run.send(i * 0.01, protocolUnreachable(victim, scanner, proto));
    });
    const [start] = run.starts("port_scan");
    assert.ok(start);
    assert.equal(start.src_ip, scanner, "the replies' destination is the scanner");
    assert.equal(start.dest_ip, victim);
    assert.match(start.detection.message, /tried 11 IP protocols .* protocol-unreachable replies/);
  });
}

Deno.test("port_scan: a protocol scan and a port scan of one host are two alerts", () => {
  const run = rstScan(new DetectionRun(only("port_scan")), range(1, 16));
  OTHER_PROTOCOLS.slice(0, 11).forEach((proto, i) => {
    run.send(2 + i * 0.01, protocolProbe(SCANNER, VICTIM, proto));
  });
  const starts = run.starts("port_scan").map((a) => a.detection.message);
  assert.equal(starts.length, 2, starts.join("; "));
});

Deno.test("port_scan: GRE, ESP and OSPF between two routers are no protocol scan", () => {
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 300; i++) {
    run.send(i * 0.1, protocolProbe(SCANNER, VICTIM, [47, 50, 89][i % 3]!));
  }
  run.finish();
  assert.equal(run.alerts().length, 0);
});
