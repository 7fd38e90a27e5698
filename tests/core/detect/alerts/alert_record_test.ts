import assert from "node:assert/strict";
import { communityId } from "../../../../core/packet/community_id.ts";
import {
  DetectionRun,
  echoFrame,
  only,
  T0,
  tcpFrame,
  udpFrame,
} from "../../../support/detection_run.ts";

Deno.test("alertRecord() writes the rule's fixed signature, the sentence as detection.message", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, tcpFrame("10.0.0.5", "10.0.0.9", 40_000, 6667)).finish();
  const [start, end] = run.alerts("unusual_port");
  assert.equal(start!.alert.signature, "ANOMALY Connection attempt to an unusual port");
  assert.equal(end!.alert.signature, start!.alert.signature);
  assert.match(start!.detection.message, /^10\.0\.0\.5 made a connection attempt to 10\.0\.0\.9/);
});

Deno.test("an alert started after its hold names the attempt's first packet as its trigger", () => {
  const run = new DetectionRun(only("unusual_port"));
  run.send(0, tcpFrame("10.0.0.5", "10.0.0.9", 40_000, 6667)).tick(10).finish();
  const [start, end] = run.alerts("unusual_port");
  const trigger = {
    src_ip: "10.0.0.5",
    src_port: 40_000,
    dest_ip: "10.0.0.9",
    dest_port: 6667,
    proto: "TCP",
  };
  assert.deepEqual(start!.detection.trigger, trigger);
  const flow = { srcIp: "10.0.0.5", srcPort: 40_000, destIp: "10.0.0.9", destPort: 6667, proto: 6 };
  assert.equal(start!.community_id, communityId(flow));
  assert.equal(end!.community_id, start!.community_id, "every record of the alert has it");
  assert.deepEqual(start!.alert.source, { ip: "10.0.0.5" });
  assert.deepEqual(start!.alert.target, { ip: "10.0.0.9", port: 6667 });
});

Deno.test("community_id.seed seeds the alerts' Community ID", () => {
  const run = new DetectionRun({ ...only("unusual_port"), community_id: { seed: 1 } });
  run.send(0, tcpFrame("1.2.3.4", "5.6.7.8", 1122, 3344)).finish();
  // The spec's baseline: TCP 1.2.3.4:1122 -> 5.6.7.8:3344 with seed 1.
  assert.equal(run.starts("unusual_port")[0]!.community_id, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
});

Deno.test("a held high_packet_rate start names the packet that crossed; ICMP starts name none", () => {
  const run = new DetectionRun(only("high_packet_rate", "host_sweep"));
  const packets = Array.from({ length: 101 }, (_, i) => ({
    tsUs: T0 + i * 1000,
    frame: udpFrame("10.0.0.5", "10.0.0.9", 50_000 + i, 53),
  }));
  run.feed(packets).finish();
  const [rate] = run.starts("high_packet_rate");
  assert.deepEqual(rate!.detection.trigger, {
    src_ip: "10.0.0.5",
    src_port: 50_100,
    dest_ip: "10.0.0.9",
    dest_port: 53,
    proto: "UDP",
  });
  assert.match(rate!.community_id ?? "", /^1:/);
  const sweep = new DetectionRun(only("host_sweep"));
  for (let i = 0; i < 30; i++) sweep.send(i * 0.01, echoFrame("10.0.0.5", `10.0.1.${i}`));
  const [ping] = sweep.finish().starts("host_sweep");
  assert.ok(ping !== undefined, "an ICMP echo sweep");
  assert.equal(ping.detection.trigger, undefined);
  assert.equal(ping.community_id, undefined);
});
