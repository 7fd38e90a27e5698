import assert from "node:assert/strict";
import { reflectionName } from "../../../../core/detect/detectors/reflection.ts";
import {
  addr4,
  DetectionRun,
  spread,
  SYN_ACK,
  T0,
  tcpFrame,
  Timed,
  udpFragments,
  udpFrame,
} from "../../../support/detection_run.ts";

const VICTIM = "192.0.2.20";

function run(packets: Timed[], overrides: unknown = {}): DetectionRun {
  return new DetectionRun(overrides).feed(packets).finish();
}

/** `n` unsolicited responses from port `port` of distinct reflectors toward the victim. */
function responses(n: number, port: number, startUs = T0): Timed[] {
  return spread(n, startUs, 900_000, (i) => udpFrame(addr4(1, i), VICTIM, port, 40_000 + i, 400));
}

Deno.test("reflection: a DNS query and its response raise nothing", () => {
  const r = run([
    { tsUs: T0, frame: udpFrame(VICTIM, "198.51.100.53", 40_000, 53) },
    { tsUs: T0 + 20_000, frame: udpFrame("198.51.100.53", VICTIM, 53, 40_000, 400) },
  ]);
  assert.deepEqual(r.alerts(), []);
});

Deno.test("reflection: answered DNS queries never count, however many", () => {
  const packets: Timed[] = [];
  for (let i = 0; i < 300; i++) {
    packets.push({ tsUs: T0 + i * 3000, frame: udpFrame(VICTIM, addr4(2, i), 40_000 + i, 53) });
    packets.push({
      tsUs: T0 + i * 3000 + 1000,
      frame: udpFrame(addr4(2, i), VICTIM, 53, 40_000 + i, 400),
    });
  }
  assert.deepEqual(run(packets).starts("reflection"), []);
});

Deno.test("reflection: 101 unsolicited DNS responses in 1 s raise DNS amplification; 100 do not", () => {
  assert.deepEqual(run(responses(100, 53)).starts("reflection"), []);
  const [a, ...more] = run(responses(101, 53)).starts("reflection");
  assert.deepEqual(more, []);
  assert.equal(a!.dest_ip, VICTIM);
  assert.equal(a!.src_port, 53);
  assert.equal(a!.src_ip, undefined, "many reflectors");
  assert.equal(a!.proto, "UDP");
  assert.equal(a!.detection.observed, 101);
  assert.equal(a!.detection.threshold, 100);
  assert.match(
    a!.detection.message,
    /^DNS amplification toward 192\.0\.2\.20: 101 unsolicited responses from port 53 in 1 s from at least 16 reflectors \(threshold 100\)$/,
  );
});

Deno.test("reflection: the service is named from the reflector port", () => {
  for (const [port, name] of [[123, "NTP"], [1900, "SSDP"], [11211, "memcached"]] as const) {
    const [a] = run(responses(101, port)).starts("reflection");
    assert.match(a!.detection.message, new RegExp(`^${name} amplification toward`), String(port));
    assert.equal(a!.src_port, port);
  }
  const overrides = { detect: { reflection: { udp_ports: [53, 9999] } } };
  const [b] = run(responses(101, 9999), overrides).starts("reflection");
  assert.match(b!.detection.message, /^UDP amplification from port 9999 toward 192\.0\.2\.20/);
  assert.equal(reflectionName("udp", 4444), "UDP amplification from port 4444");
  assert.equal(reflectionName("syn-ack", 80), "SYN-ACK reflection");
});

Deno.test("reflection: one reflector is named as the source", () => {
  const packets = spread(
    101,
    T0,
    900_000,
    (i) => udpFrame("198.51.100.123", VICTIM, 123, 40_000 + i, 400),
  );
  const [a] = run(packets).starts("reflection");
  assert.equal(a!.src_ip, "198.51.100.123");
  assert.match(a!.detection.message, /from 1 reflector \(threshold 100\)$/);
});

Deno.test("reflection: later fragments of amplified responses count", () => {
  // 50 responses in 2 fragments: 100 unsolicited packets (silent); 51: 102, only 51 with ports.
  const fragmented = (n: number) => {
    const frames = Array.from(
      { length: n },
      (_, i) => udpFragments(addr4(3, i), VICTIM, 53, 40_000 + i, 200 + i),
    ).flat();
    return spread(frames.length, T0, 900_000, (i) => frames[i]!);
  };
  assert.deepEqual(run(fragmented(50)).starts("reflection"), []);
  const [a] = run(fragmented(51)).starts("reflection");
  assert.equal(a?.detection.observed, 101);
  assert.match(a!.detection.message, /^DNS amplification/);
  assert.equal(a!.src_port, 53);
});

Deno.test("reflection: 101 SYN-ACKs without a SYN raise SYN-ACK reflection; 100 do not", () => {
  const synAcks = (n: number) =>
    spread(n, T0, 900_000, (i) => tcpFrame(addr4(4, i), VICTIM, 80, 30_000 + i, SYN_ACK));
  assert.deepEqual(run(synAcks(100)).starts("reflection"), []);
  const [a, ...more] = run(synAcks(101)).starts("reflection");
  assert.deepEqual(more, []);
  assert.equal(a!.dest_ip, VICTIM);
  assert.equal(a!.src_port, 80);
  assert.equal(a!.proto, "TCP");
  assert.match(
    a!.detection.message,
    /^SYN-ACK reflection toward 192\.0\.2\.20: 101 SYN-ACKs without a SYN from port 80 in 1 s/,
  );
});

Deno.test("reflection: SYN-ACKs answering the host's own SYNs do not count", () => {
  const packets: Timed[] = [];
  for (let i = 0; i < 300; i++) {
    packets.push({ tsUs: T0 + i * 3000, frame: tcpFrame(VICTIM, addr4(5, i), 30_000 + i, 443) });
    packets.push({
      tsUs: T0 + i * 3000 + 1000,
      frame: tcpFrame(addr4(5, i), VICTIM, 443, 30_000 + i, SYN_ACK),
    });
  }
  assert.deepEqual(run(packets).starts("reflection"), []);
});

Deno.test("reflection: a steady trickle below the rate never fires; IPv6 victims work", () => {
  // 90 a second for 5 s: 450 unsolicited responses, never 101 in one second.
  const trickle = spread(450, T0, 5_000_000, (i) => udpFrame(addr4(6, i), VICTIM, 53, 40_000, 400));
  assert.deepEqual(run(trickle).starts("reflection"), []);
  const v6 = spread(
    101,
    T0,
    900_000,
    (i) => udpFrame(`2001:db8::${(i + 1).toString(16)}`, "2001:db8::20", 123, 40_000, 400),
  );
  const [a] = run(v6).starts("reflection");
  assert.equal(a!.dest_ip, "2001:db8::20");
  assert.match(a!.detection.message, /^NTP amplification toward 2001:db8::20/);
});
