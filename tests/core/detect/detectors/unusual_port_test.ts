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

const CLIENT = "10.0.0.5", SERVER = "10.0.0.9";

Deno.test("unusual_port: DNS, HTTPS and the reply sides raise nothing (every detector on)", () => {
  const run = new DetectionRun();
  // DNS lookup and its answer.
  run.send(0, udpFrame(CLIENT, "10.0.0.53", 51514, 53));
  run.send(0.01, udpFrame("10.0.0.53", CLIENT, 53, 51514));
  // HTTPS: SYN, SYN-ACK, ACK, data both ways, FIN.
  run.send(0.1, tcpFrame(CLIENT, SERVER, 40001, 443));
  run.send(0.11, tcpFrame(SERVER, CLIENT, 443, 40001, SYN | ACK));
  run.send(0.12, tcpFrame(CLIENT, SERVER, 40001, 443, ACK));
  run.send(0.13, tcpFrame(CLIENT, SERVER, 40001, 443, PSH | ACK));
  run.send(0.14, tcpFrame(SERVER, CLIENT, 443, 40001, PSH | ACK));
  run.send(0.2, tcpFrame(CLIENT, SERVER, 40001, 443, FIN | ACK));
  run.send(0.21, tcpFrame(SERVER, CLIENT, 443, 40001, FIN | ACK));
  // QUIC and NTP, answered.
  run.send(0.3, udpFrame(CLIENT, SERVER, 50000, 443));
  run.send(0.31, udpFrame(SERVER, CLIENT, 443, 50000));
  run.send(0.4, udpFrame(CLIENT, SERVER, 123, 123));
  run.send(0.41, udpFrame(SERVER, CLIENT, 123, 123));
  run.tick(30).finish();
  assert.deepEqual(run.alerts(), []);
});

Deno.test("unusual_port: an attempt to TCP 4444 raises one alert, a second attempt no other", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, tcpFrame(CLIENT, SERVER, 40000, 4444));
  run.send(0.01, tcpFrame(SERVER, CLIENT, 4444, 40000, SYN | ACK)); // the reply side: nothing
  run.tick(5.9);
  assert.equal(run.alerts().length, 0, "held for hold_s, at least the attempt timeout + 1 s");
  run.tick(6);
  const starts = run.alerts("unusual_port", "start");
  assert.equal(starts.length, 1);
  const start = starts[0]!;
  assert.equal(start.src_ip, CLIENT);
  assert.equal(start.dest_ip, SERVER);
  assert.equal(start.dest_port, 4444);
  assert.equal(start.proto, "TCP");
  assert.equal(start.timestamp, "2023-11-14T22:13:20.000000+0000", "the attempt's time");
  assert.equal(
    start.detection.message,
    "10.0.0.5 made a connection attempt to 10.0.0.9 on TCP port 4444, " +
      "which is not a common service port",
  );
  run.send(20, tcpFrame(CLIENT, "10.0.0.10", 40001, 4444));
  run.tick(30).finish();
  assert.equal(run.alerts("unusual_port", "start").length, 1);
  const [end] = run.alerts("unusual_port", "end");
  assert.equal(end?.detection.count, 2, "the second attempt counted in the open alert");
  run.assertEveValid();
});

Deno.test("unusual_port: UDP to an uncommon well-known port alerts; group and reply-looking datagrams not", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, udpFrame(CLIENT, SERVER, 50000, 999));
  run.send(0.01, udpFrame(SERVER, CLIENT, 999, 50000)); // answered: a connection
  run.send(0.05, udpFrame(CLIENT, "10.0.0.10", 50010, 998)); // never answered: a probe
  run.send(0.1, udpFrame(CLIENT, "239.255.255.250", 50001, 1900)); // SSDP
  run.send(0.2, udpFrame(CLIENT, "255.255.255.255", 50002, 17500)); // LAN sync broadcast
  run.send(0.3, udpFrame("2001:db8::5", "ff02::1:3", 50003, 5355)); // LLMNR
  run.send(0.4, udpFrame(SERVER, CLIENT, 443, 61000)); // QUIC reply, its request unseen
  run.send(0.5, udpFrame(CLIENT, "10.0.0.255", 50004, 631)); // directed broadcast (IPP)
  run.send(0.6, udpFrame("192.168.1.7", "192.168.1.255", 50005, 999)); // directed broadcast
  run.finish();
  const starts = run.alerts("unusual_port", "start");
  assert.deepEqual(starts.map((a) => [a.proto, a.dest_port]), [["UDP", 999]]);
  run.assertEveValid();
});

Deno.test("unusual_port: UDP services, peer-to-peer and registered ports raise nothing", () => {
  const run = new DetectionRun(only("unusual_port"));
  const services = [514, 500, 4500, 3478, 5060, 2152, 161, 88, 69, 47808, 1900, 137];
  services.forEach((port, i) => run.send(i * 0.2, udpFrame(CLIENT, SERVER, 50000 + i, port)));
  // RTP between two peers, a game server, a P2P swarm, a traceroute: ports above 1023.
  run.send(3, udpFrame(CLIENT, SERVER, 16384, 16386));
  run.send(3.2, udpFrame(CLIENT, "10.0.0.20", 50100, 27015));
  for (let i = 0; i < 5; i++) run.send(4 + i * 0.3, udpFrame(CLIENT, `10.0.2.${i}`, 6881, 51413));
  for (let i = 0; i < 5; i++) run.send(6 + i * 0.3, udpFrame(CLIENT, SERVER, 50200, 33434 + i));
  run.finish();
  assert.deepEqual(run.alerts(), []);
});

Deno.test("unusual_port: udp_max_port 49151 judges registered UDP ports too", () => {
  const run = new DetectionRun({
    ...only("unusual_port"),
    "detect.unusual_port.udp_max_port": 49151,
  });
  run.send(0, udpFrame(CLIENT, SERVER, 50000, 9999));
  run.send(0.1, udpFrame(SERVER, CLIENT, 9999, 50000));
  run.send(0.2, udpFrame(CLIENT, SERVER, 50001, 3478)); // STUN: in udp_ports
  run.send(0.4, udpFrame(CLIENT, SERVER, 50002, 50000)); // dynamic: above 49151
  run.finish();
  assert.deepEqual(run.alerts("unusual_port", "start").map((a) => a.dest_port), [9999]);
});

Deno.test("unusual_port: a burst of spoofed SYNs to random unusual ports is one alert", () => {
  const run = new DetectionRun(only("unusual_port"));
  // 100 SYNs from 100 sources to 100 hosts and ports in 16 ms, never answered.
  for (let i = 0; i < 100; i++) {
    run.send(i * 0.00016, tcpFrame(`198.51.${i}.7`, `10.1.${i}.9`, 1024 + i, 3000 + i * 7));
  }
  run.tick(10).finish();
  const starts = run.alerts("unusual_port", "start");
  assert.equal(starts.length, 1);
  assert.equal(starts[0]!.src_ip, undefined);
  assert.equal(starts[0]!.dest_ip, undefined);
  assert.equal(starts[0]!.proto, "TCP");
  assert.match(
    starts[0]!.detection.message,
    /^A burst of TCP connection attempts to unusual ports/,
  );
  const [end] = run.alerts("unusual_port", "end");
  assert.equal(end!.detection.count, 100, "every attempt of the burst counted in it");
  run.assertEveValid();
});

Deno.test("unusual_port: max_new_per_second new candidates within a second still alert one by one", () => {
  const run = new DetectionRun(only("unusual_port"));
  for (let i = 0; i < 10; i++) run.send(i * 0.05, tcpFrame(`10.0.3.${i}`, SERVER, 40000, 4000 + i));
  run.tick(10).finish();
  assert.equal(run.alerts("unusual_port", "start").length, 10);
});

Deno.test("unusual_port: FIN, NULL, Xmas and SYN+FIN probes are scans, not connections", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, tcpFrame(CLIENT, SERVER, 40000, 4444, FIN));
  run.send(0.1, tcpFrame(CLIENT, SERVER, 40000, 4445, 0));
  run.send(0.2, tcpFrame(CLIENT, SERVER, 40000, 4446, FIN | PSH | URG));
  run.send(0.3, tcpFrame(CLIENT, SERVER, 40000, 4447, SYN | FIN));
  assert.deepEqual(run.finish().alerts(), []);
});

Deno.test("unusual_port: a source that turns port scanner within the hold raises none", () => {
  const run = new DetectionRun(only("unusual_port", "port_scan"));
  for (let i = 0; i < 16; i++) {
    const port = 5000 + i;
    run.send(i * 0.1, tcpFrame(CLIENT, SERVER, 40000, port));
    run.send(i * 0.1 + 0.001, tcpFrame(SERVER, CLIENT, port, 40000, RST | ACK));
  }
  run.tick(10);
  run.send(11, tcpFrame(CLIENT, "10.0.0.10", 40001, 6000)); // flagged: not even held
  run.finish();
  assert.equal(run.alerts("port_scan", "start").length, 1);
  assert.equal(run.alerts("unusual_port").length, 0);
});

Deno.test("unusual_port: unanswered scan probes time out into a port_scan that wins the hold", () => {
  const run = new DetectionRun(only("unusual_port", "port_scan"));
  for (let i = 0; i < 20; i++) run.send(i * 0.01, tcpFrame(CLIENT, SERVER, 40000, 5000 + i));
  run.tick(5).tick(6).finish();
  assert.equal(run.alerts("port_scan", "start").length, 1);
  assert.equal(run.alerts("unusual_port").length, 0);
});

Deno.test("unusual_port: a candidate still held when the capture ends alerts at finish", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, tcpFrame(CLIENT, SERVER, 40000, 8443));
  run.send(1, tcpFrame(CLIENT, SERVER, 40000, 443));
  run.finish();
  assert.deepEqual(run.alerts("unusual_port").map((a) => a.detection.state), ["start", "end"]);
});

Deno.test("unusual_port: hold_s 0 alerts at once; tcp_ports is configurable", () => {
  const run = new DetectionRun({
    ...only("unusual_port"),
    "detect.unusual_port.hold_s": 0,
    "detect.unusual_port.tcp_ports": [4444],
  });
  run.send(0, tcpFrame(CLIENT, SERVER, 40000, 4444));
  run.send(0.1, tcpFrame(CLIENT, SERVER, 40001, 80));
  assert.deepEqual(run.alerts("unusual_port").map((a) => a.dest_port), [80]);
});

Deno.test("unusual_port lifecycle: start, update while attempts go on, end after quiet_s", () => {
  const run = new DetectionRun({
    ...only("unusual_port"),
    "alerts.update_interval_s": 10,
    "alerts.quiet_s": 20,
  });
  // Held 6 s (attempt timeout + 1): the repeat at 3 s joins the candidate.
  for (const s of [0, 3, 7, 9]) run.send(s, tcpFrame(CLIENT, SERVER, 40000 + s, 4444));
  assert.deepEqual(run.alerts("unusual_port").map((a) => a.detection.state), ["start"]);
  run.tick(10);
  run.tick(28);
  assert.deepEqual(run.alerts("unusual_port").map((a) => a.detection.state), ["start", "update"]);
  run.tick(29.5);
  const [end] = run.alerts("unusual_port", "end");
  assert.equal(end?.timestamp, "2023-11-14T22:13:49.000000+0000", "last attempt + quiet_s");
  assert.equal(end?.detection.count, 4, "every attempt counted");
  run.assertEveValid();
});

Deno.test("unusual_port: allow-lists suppress and count", () => {
  for (
    const overrides of [
      { "alerts.allow_list": ["10.0.0.9"] },
      { "detect.unusual_port.allow_list": ["10.0.0.0/24"] },
    ]
  ) {
    const run = new DetectionRun({ ...only("unusual_port"), ...overrides });
    run.send(0, tcpFrame(CLIENT, SERVER, 40000, 4444));
    run.send(6, tcpFrame(CLIENT, SERVER, 40001, 4444));
    run.send(12, tcpFrame(CLIENT, SERVER, 40002, 4444));
    run.finish();
    assert.equal(run.alerts().length, 0);
    assert.equal(run.counts("unusual_port").suppressed, 1);
  }
});

Deno.test("unusual_port candidates are bounded by max_tracked with evictions counted", () => {
  const run = new DetectionRun({
    ...only("unusual_port"),
    "detect.unusual_port.max_tracked": 16,
    "detect.unusual_port.max_new_per_second": 1000,
  });
  for (let i = 0; i < 40; i++) run.send(i * 0.01, tcpFrame(CLIENT, SERVER, 40000, 10000 + i));
  const stats = run.engine.detection.trackers().find((t) => t.name === "unusual_port.candidates")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
  run.tick(7);
  assert.equal(run.alerts("unusual_port", "start").length, 16);
});

Deno.test("unusual_port: many sources on one unusual service fold into one service alert", () => {
  const run = new DetectionRun(only("unusual_port"));
  for (let i = 0; i < 40; i++) {
    run.send(i * 0.2, udpFrame(`10.0.1.${i + 1}`, SERVER, 40000 + i, 999));
    run.send(i * 0.2 + 0.01, udpFrame(SERVER, `10.0.1.${i + 1}`, 999, 40000 + i));
  }
  run.tick(20).finish();
  const starts = run.alerts("unusual_port", "start");
  assert.equal(starts.length, 6, "5 sources one by one, then one alert for the service");
  const service = starts.find((a) => a.src_ip === undefined)!;
  assert.equal(service.dest_ip, SERVER);
  assert.equal(service.dest_port, 999);
  assert.equal(service.proto, "UDP");
  assert.match(
    service.detection.message,
    /^6 sources made connection attempts to 10\.0\.0\.9 on UDP port 999/,
  );
  const end = run.alerts("unusual_port", "end").find((a) => a.src_ip === undefined)!;
  assert.equal(end.detection.peak, 40);
  run.assertEveValid();
});
