import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { ConnectionTracker } from "../../../core/detect/tracking/connections.ts";
import { detectionSettings } from "../../../core/detect/settings.ts";
import {
  type Attempt,
  ATTEMPT_ANSWERED,
  ATTEMPT_FAILED,
  ATTEMPT_PENDING,
} from "../../../core/detect/detector.ts";
import { PacketContext } from "../../../core/detect/packet_context.ts";
import { keyText } from "../../../core/packet/host_key.ts";
import { batchOf, SECOND, T0, tcpFrame, udpFrame } from "../../support/detection_run.ts";

/** A tracker fed one packet at a time; what the listener saw, read during each call. */
function tracker(overrides: unknown = {}) {
  const seen: { event: string; attempt: Attempt; ref: number }[] = [];
  const line = (a: Attempt) =>
    `${keyText(a.src)}:${a.srcPort} -> ${keyText(a.dst)}:${a.dstPort} at ${
      (a.firstUs - T0) / SECOND
    } s`;
  const t = new ConnectionTracker(detectionSettings(applyOverrides(defaultConfig(), overrides)), {
    attempt: (a) => seen.push({ event: `attempt ${line(a)}`, attempt: a, ref: a.ref }),
    failure: (a, reason) => seen.push({ event: `${reason} ${line(a)}`, attempt: a, ref: a.ref }),
    unsolicited: () => {},
  });
  const packet = new PacketContext();
  const send = (seconds: number, frame: Uint8Array) => {
    const tsUs = T0 + seconds * SECOND;
    t.tick(tsUs);
    packet.load(batchOf([{ tsUs, frame }]).fields, 0, tsUs, 0);
    t.observe(packet);
  };
  return { t, seen, send };
}

Deno.test("ConnectionTracker: detectors get one Attempt object, refilled for each call", () => {
  const { seen, send } = tracker();
  send(0, tcpFrame("10.0.0.5", "10.0.0.9", 40000, 80));
  send(0.5, udpFrame("10.0.0.6", "10.0.0.9", 50000, 53));
  assert.deepEqual(seen.map((s) => s.event), [
    "attempt 10.0.0.5:40000 -> 10.0.0.9:80 at 0 s",
    "attempt 10.0.0.6:50000 -> 10.0.0.9:53 at 0.5 s",
  ]);
  assert.equal(seen[0]!.attempt, seen[1]!.attempt, "the same object: valid only during a call");
});

for (
  const [family, a, b, reflector] of [
    ["IPv4", "10.0.0.5", "10.0.0.9", "192.0.2.53"],
    ["IPv6", "2001:db8::5", "2001:db8::9", "2001:db8::53"],
  ] as const
) {
  Deno.test(`ConnectionTracker (${family}): an attempt evicted from a full table still times out`, () => {
    const { t, seen, send } = tracker({ "detect.connections.max_tracked": 16 });
    send(0, tcpFrame(a, b, 40000, 8080));
    // Unsolicited DNS responses fill the table (16 places); the SYN, evicted, stays pending.
    for (let i = 0; i < 16; i++) send(0.1, udpFrame(reflector, b, 53, 1000 + i));
    assert.equal(t.trackers().find((s) => s.name === "connections")!.evictions, 1);
    send(5, tcpFrame(a, b, 40001, 8080));
    assert.deepEqual(seen.map((s) => s.event), [
      `attempt ${a}:40000 -> ${b}:8080 at 0 s`,
      `timeout ${a}:40000 -> ${b}:8080 at 0 s`,
      `attempt ${a}:40001 -> ${b}:8080 at 5 s`,
    ]);
  });

  Deno.test(`ConnectionTracker (${family}): stateOf(attempt.ref) follows the attempt after the call`, () => {
    const { t, seen, send } = tracker();
    send(0, udpFrame(a, b, 50000, 161));
    send(0.1, udpFrame(a, b, 50001, 162));
    const answered = seen[0]!.ref, unanswered = seen[1]!.ref;
    assert.equal(t.stateOf(answered), ATTEMPT_PENDING);
    send(0.2, udpFrame(b, a, 161, 50000));
    assert.equal(t.stateOf(answered), ATTEMPT_ANSWERED);
    assert.equal(t.stateOf(unanswered), ATTEMPT_PENDING);
    send(6, udpFrame(a, b, 50002, 163));
    assert.equal(t.stateOf(unanswered), ATTEMPT_FAILED);
  });
}

Deno.test("ConnectionTracker: stateOf is -1 once a full table reused the attempt's place", () => {
  const { t, seen, send } = tracker({ "detect.connections.max_tracked": 16 });
  send(0, udpFrame("10.0.0.5", "10.0.0.9", 50000, 161));
  send(0.1, udpFrame("10.0.0.9", "10.0.0.5", 161, 50000)); // answered
  const ref = seen[0]!.ref;
  assert.equal(t.stateOf(ref), ATTEMPT_ANSWERED);
  for (let i = 1; i <= 40; i++) send(0.2, udpFrame("10.0.0.5", "10.0.0.9", 50000 + i, 161));
  assert.equal(t.stateOf(ref), -1);
});
