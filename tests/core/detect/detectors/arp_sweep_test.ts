import assert from "node:assert/strict";
import { arpFrame } from "../../../support/frames.ts";
import { DetectionRun, echoFrame, only } from "../../../support/detection_run.ts";

const SCANNER = "10.0.0.5";
const SCANNER_MAC = "02:00:00:00:00:05";

function who(sender: string, target: string, senderMac = SCANNER_MAC): Uint8Array {
  return arpFrame({ senderMac, senderIp: sender, targetIp: target });
}

function isAt(sender: string, target: string): Uint8Array {
  return arpFrame({
    op: 2,
    senderMac: "02:00:00:00:01:01",
    senderIp: sender,
    targetMac: SCANNER_MAC,
    targetIp: target,
  });
}

/** Who-has for `n` addresses 0.1 s apart; `answered(i)` makes host i reply. */
function arpSweep(r: DetectionRun, n: number, answered = (_i: number) => false): DetectionRun {
  for (let i = 1; i <= n; i++) {
    r.send(i * 0.1, who(SCANNER, `10.0.0.${100 + i}`));
    if (answered(i)) r.send(i * 0.1 + 0.001, isAt(`10.0.0.${100 + i}`, SCANNER));
  }
  return r;
}

Deno.test("hostSweep fires when one sender's ARP requests for 26 addresses go unanswered", () => {
  assert.equal(arpSweep(new DetectionRun(only("host_sweep")), 25).finish().alerts().length, 0);
  const r = arpSweep(new DetectionRun(only("host_sweep")), 26).finish();
  const [start] = r.starts("host_sweep");
  assert.ok(start);
  assert.equal(
    start.detection.message,
    "10.0.0.5 swept 26 hosts with unanswered ARP requests in 2.5 s",
  );
  assert.equal(start.src_ip, SCANNER);
  assert.equal(start.dest_ip, undefined);
  assert.equal(start.proto, undefined);
  assert.match(start.detection.explanation, /ARP sweep/);
  r.assertEveValid();
});

Deno.test("hostSweep: an ARP request counts once its timeout passed, in packet time", () => {
  const r = arpSweep(new DetectionRun(only("host_sweep")), 26);
  r.tick(7.5);
  assert.equal(r.starts("host_sweep").length, 0, "the 26th request is 4.9 s old");
  r.tick(8.7);
  const [start] = r.starts("host_sweep");
  assert.equal(start?.timestamp, "2023-11-14T22:13:28.700000+0000", "dated when it timed out");
});

Deno.test("hostSweep: answered ARP requests, or targets heard on ARP, do not count", () => {
  // A gateway resolving 40 hosts that answer, 20 of them only through their own ARP traffic
  // (a host on a switch port sees the broadcast requests, not the unicast replies).
  const r = new DetectionRun(only("host_sweep"));
  for (let i = 1; i <= 40; i++) {
    const host = `10.0.0.${100 + i}`;
    r.send(i * 0.1, who(SCANNER, host));
    if (i % 2 === 0) r.send(i * 0.1 + 0.001, isAt(host, SCANNER));
    else r.send(i * 0.1 + 1, who(host, "10.0.0.1", "02:00:00:00:02:02"));
  }
  assert.equal(r.finish().alerts().length, 0);
  const some = arpSweep(new DetectionRun(only("host_sweep")), 40, (i) => i > 25).finish();
  assert.equal(some.starts("host_sweep").length, 0, "25 unanswered of 40");
});

Deno.test("hostSweep: gratuitous ARP, probes and repeated requests are not a sweep", () => {
  const r = new DetectionRun(only("host_sweep"));
  for (let i = 1; i <= 30; i++) {
    const own = `10.0.0.${100 + i}`, mac = `02:00:00:00:03:${i.toString(16).padStart(2, "0")}`;
    r.send(i * 0.1, who("0.0.0.0", own, mac)); // RFC 5227 probes from 30 booting hosts
    r.send(i * 0.1 + 0.05, who("0.0.0.0", `10.0.0.${200 - i}`, SCANNER_MAC)); // or one
    r.send(i * 0.1 + 0.01, who(SCANNER, SCANNER)); // gratuitous, again and again
    r.send(i * 0.1 + 0.02, who(SCANNER, "10.0.0.99")); // one silent host, retried
  }
  assert.equal(r.finish().alerts().length, 0);
});

Deno.test("hostSweep: the ARP and ICMP sweeps of one source are two alerts", () => {
  const r = arpSweep(new DetectionRun(only("host_sweep")), 26);
  for (let i = 1; i <= 26; i++) r.send(10 + i * 0.1, echoFrame(SCANNER, `10.0.2.${i}`));
  r.finish();
  const signatures = r.starts("host_sweep").map((a) => a.detection.message).sort();
  assert.deepEqual(signatures, [
    "10.0.0.5 swept 26 hosts with ICMP echo in 2.5 s",
    "10.0.0.5 swept 26 hosts with unanswered ARP requests in 2.5 s",
  ]);
});

Deno.test("hostSweep ARP state is bounded by max_tracked with evictions counted", () => {
  const r = new DetectionRun({ ...only("host_sweep"), "detect.host_sweep.max_tracked": 16 });
  for (let i = 0; i < 40; i++) r.send(i * 0.01, who(`10.0.4.${i}`, "10.0.0.9"));
  const stats = r.engine.detection.trackers().find((t) => t.name === "host_sweep.arp_requests")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
});
