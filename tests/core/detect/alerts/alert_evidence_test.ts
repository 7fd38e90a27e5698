import assert from "node:assert/strict";
import {
  AlertEvidence,
  IP_PROTOCOL,
  portText,
  UDP_PORT,
} from "../../../../core/detect/alerts/alert_evidence.ts";
import type { AlertEvidence as EvidenceRecord } from "../../../../core/records/eve_records.ts";
import {
  ACK,
  addr4,
  DetectionRun,
  only,
  RST,
  spread,
  SYN,
  T0,
  tcpFrame,
} from "../../../support/detection_run.ts";

function evidence(record: { detection: object }): EvidenceRecord | undefined {
  return (record.detection as { evidence?: EvidenceRecord }).evidence;
}

Deno.test("AlertEvidence counts ports exactly past its list, listing the first ones", () => {
  const evidence = new AlertEvidence({ listMax: 3, exactMax: 1000 }, { ports: true });
  for (let round = 0; round < 2; round++) {
    for (let port = 1; port <= 1000; port++) evidence.addPort(port);
  }
  evidence.addPort(UDP_PORT + 53);
  evidence.addPort(IP_PROTOCOL + 47);
  const record = evidence.toRecord(30);
  assert.deepEqual(record, { ports: ["tcp/1", "tcp/2", "tcp/3"], ports_total: 1002, peak: 30 });
  assert.equal(portText(UDP_PORT + 53), "udp/53");
  assert.equal(portText(IP_PROTOCOL + 47), "proto/47");
});

Deno.test("AlertEvidence counts hosts exactly up to its cap, then estimates and says so", () => {
  const small = new AlertEvidence({ listMax: 2, exactMax: 1000 }, { hosts: true });
  for (const host of [1, 2, 2, 3, "fe80::1"]) small.addHost(host);
  assert.deepEqual(small.toRecord(4), {
    hosts: ["0.0.0.1", "0.0.0.2"],
    hosts_total: 4,
    hosts_exact: true,
    peak: 4,
  });
  const big = new AlertEvidence({ listMax: 2, exactMax: 1000 }, { sources: true });
  for (let i = 0; i < 20_000; i++) big.addSource(0x0a000000 + i);
  const record = big.toRecord(1);
  assert.equal(record.sources_exact, false);
  assert.ok(Math.abs(record.sources_total! - 20_000) < 20_000 * 0.06, `${record.sources_total}`);
});

Deno.test("port_scan evidence of a 1000-port scan says 1000 on every later record", () => {
  const run = new DetectionRun(only("port_scan"));
  for (let i = 0; i < 1000; i++) {
    const at = i * 0.01, port = 1 + i;
    run.send(at, tcpFrame("10.0.0.5", "10.0.0.9", 40000, port));
    run.send(at + 0.001, tcpFrame("10.0.0.9", "10.0.0.5", port, 40000, RST | ACK));
  }
  run.finish();
  const [start] = run.alerts("port_scan", "start");
  const [end] = run.alerts("port_scan", "end");
  assert.ok(start && end);
  assert.equal(evidence(start)?.ports_total, 16);
  assert.equal(evidence(end)?.ports_total, 1000);
  assert.equal(evidence(end)?.ports?.length, 50);
  assert.equal(evidence(end)?.ports?.[0], "tcp/1");
  run.assertEveValid();
});

Deno.test("host_sweep evidence lists the hosts swept and counts all of them", () => {
  const run = new DetectionRun(only("host_sweep"));
  for (let i = 0; i < 300; i++) {
    const host = `10.1.${i >> 8}.${i & 255}`, at = i * 0.05;
    run.send(at, tcpFrame("10.0.0.5", host, 40000, 445));
    run.send(at + 0.001, tcpFrame(host, "10.0.0.5", 445, 40000, RST | ACK));
  }
  run.finish();
  const [start] = run.alerts("host_sweep", "start");
  const [end] = run.alerts("host_sweep", "end");
  assert.ok(start && end);
  assert.equal(evidence(start)?.hosts_total, 26, "the hosts its window held at the start");
  assert.deepEqual(
    { ...evidence(end), hosts: evidence(end)?.hosts?.slice(0, 2) },
    {
      hosts: ["10.1.0.0", "10.1.0.1"],
      hosts_total: 300,
      hosts_exact: true,
      peak: end.detection.peak,
    },
  );
  assert.equal(evidence(end)?.hosts?.length, 50);
  run.assertEveValid();
});

Deno.test("flood evidence counts the sources of a spoofed flood from its start on", () => {
  const run = new DetectionRun(only("flood"));
  run.feed(spread(5000, T0, 800_000, (i) => tcpFrame(addr4(1, i), "192.0.2.10", 40_000, 443)));
  run.finish();
  const [end] = run.alerts("flood", "end");
  const counted = evidence(end!)!;
  // 1001 packets raised it: the 16 sources its window keeps, then every later one.
  assert.equal(counted.sources_total, 5000 - 1001 + 16);
  assert.equal(counted.sources_exact, true);
  assert.equal(counted.sources?.length, 50);
  run.assertEveValid();
});

Deno.test("unique_connections evidence counts every destination host, past the window's cap", () => {
  const run = new DetectionRun(only("unique_connections"));
  for (let i = 0; i < 120; i++) {
    const host = `10.0.${1 + (i >> 4)}.${1 + (i & 15)}`, at = i * 0.1;
    run.send(at, tcpFrame("10.0.0.5", host, 40000 + i, 8000));
    run.send(at + 0.001, tcpFrame(host, "10.0.0.5", 8000, 40000 + i, SYN | ACK));
  }
  run.finish();
  const [end] = run.alerts("unique_connections", "end");
  assert.equal(evidence(end!)?.hosts_total, 120);
  assert.equal(evidence(end!)?.hosts?.[0], "10.0.1.1");
  run.assertEveValid();
});
