import assert from "node:assert/strict";
import {
  ACK,
  DetectionRun,
  echoFrame,
  icmpError,
  only,
  RST,
  spread,
  SYN,
  T0,
  tcpFrame,
  udpFrame,
} from "../../../support/detection_run.ts";

const SOURCE = "10.0.0.5", PEER = "10.0.0.9";

/** `n` UDP datagrams from SOURCE to PEER:53 within `spanUs` from T0 + `atS`. */
function burst(run: DetectionRun, n: number, spanUs = 900_000, atS = 0): DetectionRun {
  return run.feed(
    spread(n, T0 + atS * 1e6, spanUs, (i) => udpFrame(SOURCE, PEER, 40000 + (i % 4), 53)),
  );
}

Deno.test("high_packet_rate: 100 packets in 1 s are silent, 101 fire (the user's rule, > N)", () => {
  assert.deepEqual(burst(new DetectionRun(only("high_packet_rate")), 100).finish().alerts(), []);
  const run = burst(new DetectionRun(only("high_packet_rate")), 101).finish();
  const [start, ...more] = run.starts("high_packet_rate");
  assert.deepEqual(more, []);
  assert.equal(start!.src_ip, SOURCE);
  assert.equal(start!.detection.observed, 101);
  assert.equal(start!.detection.threshold, 100);
  assert.equal(start!.detection.message, "10.0.0.5 sent 101 packets in 1 s (threshold 100)");
  run.assertEveValid();
});

Deno.test("high_packet_rate: the same packets spread over more than a second are silent", () => {
  const run = burst(new DetectionRun(only("high_packet_rate")), 150, 1_600_000).finish();
  assert.deepEqual(run.alerts(), []);
});

Deno.test("high_packet_rate: packets_per_second is configurable", () => {
  const run = burst(
    new DetectionRun({
      ...only("high_packet_rate"),
      "detect.high_packet_rate.packets_per_second": 10,
    }),
    11,
  ).finish();
  assert.equal(run.starts("high_packet_rate")[0]?.detection.threshold, 10);
});

Deno.test("high_packet_rate: the start waits hold_s and keeps the time of the first crossing", () => {
  const run = burst(new DetectionRun(only("high_packet_rate")), 200);
  run.tick(5.9);
  assert.deepEqual(run.alerts(), [], "held for hold_s (6 s)");
  run.tick(6.5);
  const [start] = run.starts("high_packet_rate");
  assert.ok(start);
  assert.equal(start.timestamp.slice(11, 19), "22:13:20", "the first crossing, not the release");
  run.finish();
  const [end] = run.alerts("high_packet_rate", "end");
  assert.equal(end!.detection.peak, 200, "what came during the hold is counted");
});

Deno.test("high_packet_rate: a host's RSTs and ICMP errors answering a scan are not its packets", () => {
  const run = new DetectionRun(only("high_packet_rate"));
  // 300 probes in 0.3 s from the scanner; the victim refuses each (RST or port unreachable).
  const packets = [];
  for (let i = 0; i < 150; i++) {
    const at = T0 + i * 2000;
    packets.push({ tsUs: at, frame: tcpFrame(SOURCE, PEER, 40000, 1000 + i) });
    packets.push({ tsUs: at + 10, frame: tcpFrame(PEER, SOURCE, 1000 + i, 40000, RST | ACK) });
    packets.push({ tsUs: at + 500, frame: udpFrame(SOURCE, PEER, 40001, 1000 + i) });
    packets.push({
      tsUs: at + 510,
      frame: icmpError(PEER, { src: SOURCE, dst: PEER, proto: 17, sport: 40001, dport: 1000 + i }),
    });
  }
  run.feed(packets).finish();
  assert.deepEqual(run.starts("high_packet_rate").map((a) => a.src_ip), [SOURCE]);
});

Deno.test("high_packet_rate: a server's SYN-ACKs to a SYN flood are not its packets", () => {
  const run = new DetectionRun(only("high_packet_rate"));
  const packets = [];
  for (let i = 0; i < 200; i++) {
    const client = `10.1.${i >> 8}.${i & 255}`, at = T0 + i * 4000;
    packets.push({ tsUs: at, frame: tcpFrame(client, PEER, 40000, 80) });
    packets.push({ tsUs: at + 10, frame: tcpFrame(PEER, client, 80, 40000, SYN | ACK) });
  }
  run.feed(packets).finish();
  assert.deepEqual(run.alerts(), []);
});

Deno.test("high_packet_rate: a fast scanner is reported as a scan, not also as a rate", () => {
  const run = new DetectionRun(only("high_packet_rate", "port_scan"));
  // 1000 unanswered SYNs to 1000 ports in 0.5 s: the rate is crossed at once, the scan is
  // known only once the probes time out (5 s), within the hold.
  run.feed(spread(1000, T0, 500_000, (i) => tcpFrame(SOURCE, PEER, 40000, 1 + i))).finish();
  assert.equal(run.starts("port_scan").length, 1);
  assert.deepEqual(run.starts("high_packet_rate"), []);
});

Deno.test("high_packet_rate: a ping flood from one source is still its packets", () => {
  const run = new DetectionRun(only("high_packet_rate"));
  run.feed(spread(300, T0, 500_000, () => echoFrame(SOURCE, PEER))).finish();
  assert.deepEqual(run.starts("high_packet_rate").map((a) => a.src_ip), [SOURCE]);
});

Deno.test("high_packet_rate: a server answering a password guesser is not named for its answers", () => {
  const run = new DetectionRun(only("high_packet_rate", "brute_force"));
  const packets = [];
  // 30 short FTP sessions in 0.9 s, the server sending 12 packets in each: 360 packets/s.
  for (let i = 0; i < 30; i++) {
    const at = T0 + i * 30_000, port = 40000 + i;
    packets.push({ tsUs: at, frame: tcpFrame(SOURCE, PEER, port, 21) });
    packets.push({ tsUs: at + 100, frame: tcpFrame(PEER, SOURCE, 21, port, SYN | ACK) });
    for (let k = 0; k < 12; k++) {
      packets.push({ tsUs: at + 200 + k * 100, frame: tcpFrame(PEER, SOURCE, 21, port, ACK) });
    }
    packets.push({ tsUs: at + 2000, frame: tcpFrame(PEER, SOURCE, 21, port, ACK | 0x01) });
  }
  run.feed(packets).finish();
  assert.deepEqual(run.starts("brute_force").map((a) => [a.src_ip, a.dest_ip]), [[SOURCE, PEER]]);
  assert.deepEqual(run.starts("high_packet_rate"), []);
});
