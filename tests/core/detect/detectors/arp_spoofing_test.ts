import assert from "node:assert/strict";
import { arpFrame } from "../../../support/frames.ts";
import { DetectionRun, only } from "../../../support/detection_run.ts";

const ATTACKER = "02:00:00:00:00:66";
const GATEWAY_MAC = "02:00:00:00:00:01";
const VICTIM_MAC = "02:00:00:00:00:02";
const GATEWAY = "10.0.0.1";
const VICTIM = "10.0.0.2";

function run(overrides: Record<string, unknown> = {}): DetectionRun {
  return new DetectionRun({ ...only("arp_spoofing"), ...overrides });
}

/** An unsolicited reply from the attacker telling `toMac`/`toIp` that `claimed` is at its MAC. */
function spoof(claimed: string, toIp: string, toMac: string): Uint8Array {
  return arpFrame({
    op: 2,
    senderMac: ATTACKER,
    senderIp: claimed,
    targetMac: toMac,
    targetIp: toIp,
  });
}

/** `asker` asks for `target`, and `targetMac` answers. */
function exchange(r: DetectionRun, at: number, asker: [string, string], target: [string, string]) {
  r.send(at, arpFrame({ senderMac: asker[1], senderIp: asker[0], targetIp: target[0] }));
  r.send(
    at + 0.001,
    arpFrame({
      op: 2,
      senderMac: target[1],
      senderIp: target[0],
      targetMac: asker[1],
      targetIp: asker[0],
    }),
  );
}

Deno.test("arpSpoofing fires when one MAC claims a second address in unsolicited replies", () => {
  const r = run();
  for (let i = 0; i < 5; i++) {
    r.send(i * 2, spoof(GATEWAY, VICTIM, VICTIM_MAC));
    r.send(i * 2 + 0.001, spoof(VICTIM, GATEWAY, GATEWAY_MAC));
  }
  r.finish();
  const [start] = r.starts("arp_spoofing");
  assert.ok(start);
  assert.equal(
    start.detection.message,
    "02:00:00:00:00:66 claimed 2 addresses (10.0.0.1, 10.0.0.2) in unsolicited ARP replies in 0 s",
  );
  assert.equal(start.alert.signature_id, 1000011);
  assert.equal(start.src_ip, VICTIM);
  assert.equal(start.dest_ip, GATEWAY);
  assert.equal(start.proto, undefined);
  assert.equal(start.detection.threshold, 1);
  assert.equal(r.alerts("arp_spoofing").length, 2, "one alert: start and end");
  assert.equal(r.alerts("arp_spoofing", "end")[0]?.detection.count, 9);
  r.assertEveValid();
});

Deno.test("arpSpoofing is silent when one MAC claims one address, however often", () => {
  const r = run();
  for (let i = 0; i < 30; i++) r.send(i * 2, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  assert.equal(r.finish().alerts().length, 0);
});

Deno.test("arpSpoofing fires when an unsolicited reply takes an address from a MAC in use", () => {
  const r = run();
  exchange(r, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]); // the gateway's real binding
  r.send(10, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  r.finish();
  const [start] = r.starts("arp_spoofing");
  assert.equal(
    start?.detection.message,
    "02:00:00:00:00:66 took over 10.0.0.1 from 02:00:00:00:00:01 (which claimed it 10 s before) " +
      "with unsolicited ARP replies",
  );
  assert.equal(start?.src_ip, GATEWAY);
  assert.equal(start?.dest_ip, VICTIM);
  r.assertEveValid();
});

Deno.test("arpSpoofing is silent when the previous MAC's last claim is older than the window", () => {
  const r = run({ "detect.arp_spoofing.window_s": 60 });
  exchange(r, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]);
  r.send(60.001, spoof(GATEWAY, VICTIM, VICTIM_MAC)); // its reply came at 0.001 s
  assert.equal(r.finish().alerts().length, 0);
  const edge = run({ "detect.arp_spoofing.window_s": 60 });
  exchange(edge, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]);
  edge.send(60, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  assert.equal(edge.finish().starts("arp_spoofing").length, 1);
});

Deno.test("arpSpoofing: answers to requests never count (proxy ARP, ARP flux, multi-address)", () => {
  const r = run();
  // A proxy-ARP router answering for 10 addresses with its own MAC...
  for (let i = 0; i < 10; i++) {
    exchange(r, i, [VICTIM, VICTIM_MAC], [`10.0.1.${i + 1}`, GATEWAY_MAC]);
  }
  // ...and a host answering one request from two NICs (ARP flux), with a late duplicate.
  r.send(20, arpFrame({ senderMac: VICTIM_MAC, senderIp: VICTIM, targetIp: "10.0.0.9" }));
  for (const [at, nic] of [[20.001, "02:00:00:00:00:91"], [20.002, "02:00:00:00:00:92"]] as const) {
    r.send(
      at,
      arpFrame({
        op: 2,
        senderMac: nic,
        senderIp: "10.0.0.9",
        targetMac: VICTIM_MAC,
        targetIp: VICTIM,
      }),
    );
  }
  r.send(
    24,
    arpFrame({ op: 2, senderMac: "02:00:00:00:00:91", senderIp: "10.0.0.9", targetIp: VICTIM }),
  );
  assert.equal(r.finish().alerts().length, 0);
});

Deno.test("arpSpoofing: a reply after the request timed out is unsolicited", () => {
  const r = run();
  r.send(0, arpFrame({ senderMac: VICTIM_MAC, senderIp: VICTIM, targetIp: "10.0.0.9" }));
  r.send(5, arpFrame({ op: 2, senderMac: ATTACKER, senderIp: "10.0.0.9", targetIp: VICTIM }));
  r.send(5.1, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  assert.equal(r.finish().starts("arp_spoofing").length, 0, "5 s: still an answer");
  const late = run();
  late.send(0, arpFrame({ senderMac: VICTIM_MAC, senderIp: VICTIM, targetIp: "10.0.0.9" }));
  late.send(5.01, arpFrame({ op: 2, senderMac: ATTACKER, senderIp: "10.0.0.9", targetIp: VICTIM }));
  late.send(5.1, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  assert.equal(late.finish().starts("arp_spoofing").length, 1);
});

Deno.test("arpSpoofing: gratuitous announcements and probes never count (failover, DHCP)", () => {
  const r = run();
  exchange(r, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]);
  // Failover: the standby announces the gateway address (request and reply forms), and a
  // virtual MAC announces several addresses, as VRRP does.
  const standby = "02:00:00:00:00:03";
  r.send(1, arpFrame({ senderMac: standby, senderIp: GATEWAY, targetIp: GATEWAY }));
  r.send(2, arpFrame({ op: 2, senderMac: standby, senderIp: GATEWAY, targetIp: GATEWAY }));
  for (let i = 1; i <= 5; i++) {
    const vip = `10.0.0.${100 + i}`;
    r.send(
      3 + i,
      arpFrame({ op: 2, senderMac: "00:00:5e:00:01:01", senderIp: vip, targetIp: vip }),
    );
  }
  // A DHCP client checks and takes the victim's old address (RFC 5227 probe, then requests).
  r.send(10, arpFrame({ senderMac: "02:00:00:00:00:04", senderIp: "0.0.0.0", targetIp: VICTIM }));
  r.send(11, arpFrame({ senderMac: "02:00:00:00:00:04", senderIp: VICTIM, targetIp: GATEWAY }));
  assert.equal(r.finish().alerts().length, 0);
});

Deno.test("arpSpoofing: the per-detector allow-list holds the alert back and counts it", () => {
  const r = run({ "detect.arp_spoofing.allow_list": ["10.0.0.0/30"] });
  r.send(0, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  r.send(1, spoof(VICTIM, GATEWAY, GATEWAY_MAC));
  assert.equal(r.finish().alerts().length, 0);
  assert.equal(r.counts("arp_spoofing").suppressed, 1);
});

Deno.test("arpSpoofing state is bounded by max_tracked with evictions counted", () => {
  const r = run({ "detect.arp_spoofing.max_tracked": 16 });
  for (let i = 0; i < 40; i++) {
    r.send(
      i * 0.01,
      arpFrame({ senderMac: VICTIM_MAC, senderIp: `10.0.2.${i}`, targetIp: GATEWAY }),
    );
  }
  const stats = r.engine.detection.trackers().find((t) => t.name === "arp_spoofing.bindings")!;
  assert.equal(stats.size, 16);
  assert.equal(stats.evictions, 24);
});

/** A reply from the attacker's Ethernet address naming `asMac` as the sender of `claimed`. */
function forged(claimed: string, asMac: string, toIp: string, toMac: string): Uint8Array {
  return arpFrame({
    op: 2,
    senderMac: asMac,
    ethSrc: ATTACKER,
    senderIp: claimed,
    targetMac: toMac,
    targetIp: toIp,
  });
}

Deno.test("arpSpoofing: arpspoof's restore replies (victims' MACs, sent by the attacker) count for the attacker", () => {
  const r = run();
  exchange(r, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]); // the real bindings
  for (let i = 0; i < 5; i++) {
    r.send(10 + i * 2, spoof(GATEWAY, VICTIM, VICTIM_MAC));
    r.send(10 + i * 2 + 0.001, spoof(VICTIM, GATEWAY, GATEWAY_MAC));
  }
  // arpspoof -r stopping: the real MACs again, each told to the other end, three times.
  for (let i = 0; i < 3; i++) {
    r.send(20 + i, forged(GATEWAY, GATEWAY_MAC, VICTIM, VICTIM_MAC));
    r.send(20 + i + 0.001, forged(VICTIM, VICTIM_MAC, GATEWAY, GATEWAY_MAC));
  }
  r.finish();
  const starts = r.starts("arp_spoofing");
  assert.equal(starts.length, 1, starts.map((a) => a.detection.message).join("\n"));
  assert.equal(
    starts[0]?.detection.message,
    "02:00:00:00:00:66 took over 10.0.0.1 from 02:00:00:00:00:01 (which claimed it 10 s before) " +
      "with unsolicited ARP replies",
  );
  const [end] = r.alerts("arp_spoofing", "end");
  assert.equal(end?.detection.count, 16, "10 poisoning and 6 restoring replies");
  assert.match(
    end?.detection.message ?? "",
    /^02:00:00:00:00:66 took over .*; 6 of its replies named another MAC as the ARP sender \(the latest: 02:00:00:00:00:02\)$/,
  );
  for (const a of r.alerts()) assert.ok(a.detection.message.startsWith(`${ATTACKER} `));
  r.assertEveValid();
});

Deno.test("arpSpoofing: restore replies alone after a two-address poisoning add no alert naming a victim", () => {
  // No binding seen before the poisoning: the count rule fires; the restore moves both
  // addresses back from the attacker's MAC, which takes nothing over from another station.
  const r = run();
  r.send(0, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  r.send(0.001, spoof(VICTIM, GATEWAY, GATEWAY_MAC));
  r.send(5, forged(GATEWAY, GATEWAY_MAC, VICTIM, VICTIM_MAC));
  r.send(5.001, forged(VICTIM, VICTIM_MAC, GATEWAY, GATEWAY_MAC));
  r.finish();
  const starts = r.starts("arp_spoofing");
  assert.deepEqual(starts.map((a) => a.detection.message), [
    "02:00:00:00:00:66 claimed 2 addresses (10.0.0.1, 10.0.0.2) in unsolicited ARP replies in 0 s",
  ]);
  assert.equal(r.alerts("arp_spoofing", "end")[0]?.detection.count, 3);
  // One address poisoned and restored: one claim each, nothing taken from another station.
  const single = run();
  single.send(0, spoof(GATEWAY, VICTIM, VICTIM_MAC));
  single.send(5, forged(GATEWAY, GATEWAY_MAC, VICTIM, VICTIM_MAC));
  assert.equal(single.finish().alerts().length, 0);
});

Deno.test("arpSpoofing: a forged reply taking an address to a third MAC names its Ethernet source", () => {
  const r = run();
  exchange(r, 0, [VICTIM, VICTIM_MAC], [GATEWAY, GATEWAY_MAC]);
  r.send(10, forged(GATEWAY, "02:00:00:00:00:99", VICTIM, VICTIM_MAC)); // a black hole
  r.finish();
  const starts = r.starts("arp_spoofing");
  assert.equal(starts.length, 1);
  assert.equal(
    starts[0]?.detection.message,
    "02:00:00:00:00:66 took over 10.0.0.1 from 02:00:00:00:00:01 (which claimed it 10 s before) " +
      "with unsolicited ARP replies; 1 of its replies named another MAC as the ARP sender " +
      "(the latest: 02:00:00:00:00:99)",
  );
  assert.match(starts[0]?.detection.explanation ?? "", /"ethernet mismatch"/);
  r.assertEveValid();
});

Deno.test("arpSpoofing: an answer from another Ethernet address than its ARP sender is still an answer", () => {
  const r = run();
  // A bridge or proxy forwarding a host's answer under its own Ethernet address.
  r.send(0, arpFrame({ senderMac: VICTIM_MAC, senderIp: VICTIM, targetIp: GATEWAY }));
  r.send(0.001, forged(GATEWAY, GATEWAY_MAC, VICTIM, VICTIM_MAC));
  r.send(1, arpFrame({ senderMac: VICTIM_MAC, senderIp: VICTIM, targetIp: "10.0.0.3" }));
  r.send(1.001, forged("10.0.0.3", "02:00:00:00:00:03", VICTIM, VICTIM_MAC));
  assert.equal(r.finish().alerts().length, 0);
});
