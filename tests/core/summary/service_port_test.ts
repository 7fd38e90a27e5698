import assert from "node:assert/strict";
import { applySegment } from "../../../core/summary/apply_rows.ts";
import { TrafficSummary } from "../../../core/summary/summary.ts";
import { BatchSummaryCollector } from "../../../core/summary/batch_summary.ts";
import { SEG_NEXT } from "../../../core/summary/batch_rows.ts";
import { serviceDestinationPort } from "../../../core/summary/service_port.ts";
import { F_TCP, F_UDP } from "../../../core/packet/packet_batch.ts";
import { batchOf } from "../../support/detection_run.ts";
import { ethernet, ipv4, ipv6, tcp, udp } from "../../support/frames.ts";

const T0 = 1_700_000_000_000_000;
const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01, RST = 0x04;
const CLIENT = "10.0.0.1", SERVER = "10.0.0.2";

function tcpPacket(from: string, to: string, sport: number, dport: number, flags: number) {
  return ethernet(
    0x0800,
    ipv4({ proto: 6, src: from, dst: to, payload: tcp({ sport, dport, flags }) }),
  );
}

function udpPacket(from: string, to: string, sport: number, dport: number) {
  return ethernet(0x0800, ipv4({ proto: 17, src: from, dst: to, payload: udp({ sport, dport }) }));
}

/** The summary's top destination ports for `frames`, counted in rows as the worker counts them. */
function countedPorts(frames: Uint8Array[]): Record<string, number> {
  const summary = new TrafficSummary();
  const rows = new BatchSummaryCollector().collect(
    batchOf(frames.map((frame, i) => ({ tsUs: T0 + i, frame }))),
  );
  for (let at = 0; at < rows.length; at = rows[at + SEG_NEXT]!) applySegment(summary, rows, at);
  return Object.fromEntries(
    summary.snapshot().top_dest_ports.map((p) => [`${p.proto} ${p.port}`, p.packets]),
  );
}

Deno.test("Top destination ports count an HTTP exchange on the server's port only", () => {
  const exchange = [
    tcpPacket(CLIENT, SERVER, 40000, 80, SYN),
    tcpPacket(SERVER, CLIENT, 80, 40000, SYN | ACK),
    tcpPacket(CLIENT, SERVER, 40000, 80, ACK),
    tcpPacket(CLIENT, SERVER, 40000, 80, PSH | ACK),
    tcpPacket(SERVER, CLIENT, 80, 40000, PSH | ACK),
    tcpPacket(SERVER, CLIENT, 80, 40000, FIN | ACK),
    tcpPacket(CLIENT, SERVER, 40000, 80, FIN | ACK),
    tcpPacket(SERVER, CLIENT, 80, 40000, ACK),
  ];
  assert.deepEqual(countedPorts(exchange), { "TCP 80": 4 });
});

Deno.test("Top destination ports: a scan's probes count, the closed ports' resets do not", () => {
  const probes = [22, 80, 443, 8080].flatMap((port) => [
    tcpPacket(CLIENT, SERVER, 51000, port, SYN),
    tcpPacket(SERVER, CLIENT, port, 51000, RST | ACK),
  ]);
  assert.deepEqual(countedPorts(probes), { "TCP 22": 1, "TCP 80": 1, "TCP 443": 1, "TCP 8080": 1 });
});

Deno.test("Top destination ports: UDP counts the lower port; equal ports count both ways", () => {
  const frames = [
    udpPacket(CLIENT, SERVER, 53000, 53),
    udpPacket(SERVER, CLIENT, 53, 53000),
    udpPacket(CLIENT, SERVER, 123, 123),
    udpPacket(SERVER, CLIENT, 123, 123),
    ethernet(0x86dd, ipv6({ nextHeader: 17, payload: udp({ sport: 5353, dport: 5353 }) })),
    ethernet(
      0x86dd,
      ipv6({ nextHeader: 6, payload: tcp({ sport: 443, dport: 45000, flags: ACK }) }),
    ),
  ];
  assert.deepEqual(countedPorts(frames), { "UDP 53": 1, "UDP 123": 2, "UDP 5353": 1 });
});

Deno.test("serviceDestinationPort: a SYN names the server even from a lower port", () => {
  assert.equal(serviceDestinationPort(F_TCP, SYN, 1000, 50000), 50000);
  assert.equal(serviceDestinationPort(F_TCP, SYN | ACK, 50000, 1000), -1);
  assert.equal(serviceDestinationPort(F_TCP, ACK, 1000, 50000), -1);
  assert.equal(serviceDestinationPort(F_UDP, 0, 1000, -1), -1);
  assert.equal(serviceDestinationPort(0, 0, 1000, 80), -1);
});
