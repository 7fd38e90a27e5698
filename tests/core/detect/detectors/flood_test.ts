import assert from "node:assert/strict";
import {
  addr4,
  DetectionRun,
  echoFrame,
  spread,
  T0,
  tcpFrame,
  Timed,
  udpFragments,
  udpFrame,
} from "../../../support/detection_run.ts";

const VICTIM = "192.0.2.10";
const LOW = { detect: { flood: { syn_per_second: 50, udp_per_second: 50, icmp_per_second: 50 } } };

function run(packets: Timed[], overrides: unknown = LOW): DetectionRun {
  return new DetectionRun(overrides).feed(packets).finish();
}

Deno.test("flood: a SYN flood from one source fires at threshold + 1, names both ends", () => {
  const syns = (n: number) =>
    spread(n, T0, 500_000, (i) => tcpFrame("10.0.0.1", VICTIM, 10_000 + i, 80));
  assert.deepEqual(run(syns(50)).starts("flood"), [], "50 SYNs in 1 s at threshold 50");
  const r = run(syns(51));
  const [a, ...more] = r.starts("flood");
  assert.deepEqual(more, []);
  assert.equal(a!.dest_ip, VICTIM);
  assert.equal(a!.src_ip, "10.0.0.1", "a single source sent everything");
  assert.equal(a!.proto, "TCP");
  assert.equal(a!.detection.observed, 51);
  assert.equal(a!.detection.threshold, 50);
  assert.match(
    a!.detection.message,
    /^SYN flood toward 192\.0\.2\.10: 51 TCP SYNs in 1 s from 1 source \(threshold 50\)$/,
  );
  assert.equal(r.alerts("flood", "end").length, 1, "ends at finish");
});

Deno.test("flood: a spoofed SYN flood, 5000 sources with one packet each, is caught", () => {
  const r = new DetectionRun();
  r.feed(spread(5000, T0, 800_000, (i) => tcpFrame(addr4(1, i), VICTIM, 40_000, 443)));
  const [a, ...more] = r.starts("flood");
  assert.deepEqual(more, []);
  assert.equal(a!.dest_ip, VICTIM);
  assert.equal(a!.src_ip, undefined, "no source: the sources are many");
  assert.equal(a!.detection.observed, 1001, "fires at the default 1000/s + 1");
  assert.match(
    a!.detection.message,
    /^SYN flood toward 192\.0\.2\.10: .* from at least 16 sources/,
  );
  assert.deepEqual(r.starts("high_packet_rate"), []);
  const tables = r.engine.detection.trackers();
  assert.deepEqual(tables.find((t) => t.name === "flood.destinations")?.size, 1);
  r.finish();
  const end = r.alerts("flood", "end")[0]!;
  assert.equal(end.detection.peak, 5000, "every SYN of the 0.8 s counted");
});

Deno.test("flood: SYN-ACKs, ACKs and RSTs are not SYNs", () => {
  const packets = spread(200, T0, 500_000, (i) => {
    const flags = [0x12, 0x10, 0x04, 0x14][i % 4]!;
    return tcpFrame(addr4(2, i), VICTIM, 80, 20_000 + i, flags);
  });
  assert.deepEqual(run(packets).starts("flood"), []);
});

Deno.test("flood: a UDP flood from many sources fires at threshold + 1 without src_ip", () => {
  const udps = (n: number) =>
    spread(n, T0, 900_000, (i) => udpFrame(addr4(3, i), VICTIM, 30_000 + i, 9999));
  assert.deepEqual(run(udps(50)).starts("flood"), []);
  const [a, ...more] = run(udps(51)).starts("flood");
  assert.deepEqual(more, []);
  assert.equal(a!.dest_ip, VICTIM);
  assert.equal(a!.src_ip, undefined);
  assert.equal(a!.proto, "UDP");
  assert.match(
    a!.detection.message,
    /^UDP flood toward 192\.0\.2\.10: 51 UDP packets in 1 s from at least 16 sources/,
  );
});

Deno.test("flood: replies to the destination's own UDP requests are not a flood", () => {
  const packets: Timed[] = [];
  for (let i = 0; i < 200; i++) {
    const server = addr4(4, i);
    packets.push({ tsUs: T0 + i * 2000, frame: udpFrame(VICTIM, server, 50_000 + i, 9999) });
    packets.push({ tsUs: T0 + i * 2000 + 1000, frame: udpFrame(server, VICTIM, 9999, 50_000 + i) });
  }
  assert.deepEqual(run(packets).starts("flood"), []);
});

Deno.test("flood: later UDP fragments count toward the UDP flood", () => {
  // 25 datagrams of 2 fragments: 50 packets (silent); 26: 52 packets, only 26 with ports.
  const fragments = (n: number) => {
    const frames = Array.from(
      { length: n },
      (_, i) => udpFragments(addr4(5, i), VICTIM, 30_000 + i, 9999, 100 + i),
    ).flat();
    return spread(frames.length, T0, 500_000, (i) => frames[i]!);
  };
  assert.deepEqual(run(fragments(25)).starts("flood"), []);
  const [a] = run(fragments(26)).starts("flood");
  assert.equal(a?.detection.observed, 51);
  assert.match(a!.detection.message, /^UDP flood/);
});

Deno.test("flood: ICMP and ICMPv6 echo request floods fire; echo replies do not count", () => {
  const v4 = (n: number) => spread(n, T0, 500_000, (i) => echoFrame(addr4(6, i), VICTIM));
  assert.deepEqual(run(v4(50)).starts("flood"), []);
  const [a] = run(v4(51)).starts("flood");
  assert.equal(a!.proto, "ICMP");
  assert.match(a!.detection.message, /^ICMP flood toward 192\.0\.2\.10: 51 ICMP echo requests/);

  const v6 = spread(51, T0, 500_000, () => echoFrame("2001:db8::66", "2001:db8::10"));
  const [b] = run(v6).starts("flood");
  assert.equal(b!.proto, "IPv6-ICMP");
  assert.equal(b!.dest_ip, "2001:db8::10");
  assert.equal(b!.src_ip, "2001:db8::66");

  const replies = spread(200, T0, 500_000, (i) => echoFrame(addr4(6, i), VICTIM, true));
  assert.deepEqual(run(replies).starts("flood"), []);
});

Deno.test("flood: each (destination, kind) is its own alert; a slow rate over time is none", () => {
  const packets = [
    ...spread(60, T0, 500_000, (i) => tcpFrame(addr4(7, i), VICTIM, 1000 + i, 80)),
    ...spread(60, T0 + 1, 500_000, (i) => echoFrame(addr4(7, i), VICTIM)),
    ...spread(60, T0 + 2, 500_000, (i) => tcpFrame(addr4(7, i), "192.0.2.11", 1000 + i, 80)),
  ].sort((x, y) => x.tsUs - y.tsUs);
  const starts = run(packets).starts("flood");
  assert.deepEqual(
    starts.map((a) => `${a.dest_ip} ${a.detection.message.split(" ")[0]}`).sort(),
    ["192.0.2.10 ICMP", "192.0.2.10 SYN", "192.0.2.11 SYN"],
  );
  // 45 SYNs a second for 10 s: 450 in all, never more than 50 in a second.
  const slow = spread(450, T0, 10_000_000, (i) => tcpFrame(addr4(8, i), VICTIM, 1000, 80));
  assert.deepEqual(run(slow).starts("flood"), []);
});

Deno.test("flood: the destination table is bounded by max_tracked and counts evictions", () => {
  const overrides = { detect: { flood: { max_tracked: 16 } } };
  const r = new DetectionRun(overrides);
  // Two SYNs per destination: a destination hit once makes no entry (first_sightings.ts).
  r.feed(spread(200, T0, 500_000, (i) => tcpFrame("10.0.0.1", addr4(9, i >> 1), 1000, 80)));
  const table = r.engine.detection.trackers().find((t) => t.name === "flood.destinations")!;
  assert.equal(table.size, 16);
  assert.equal(table.evictions, 84);
});

Deno.test("flood: one source spraying SYNs over many ports of a host is a scan, not a flood", () => {
  const r = run(spread(2000, T0, 800_000, (i) => tcpFrame("10.0.0.1", VICTIM, 40_000, 1 + i)), {
    ...LOW,
    detect: { ...LOW.detect, port_scan: { enabled: true } },
  });
  assert.deepEqual(r.starts("flood"), []);
  assert.equal(r.starts("port_scan")[0]?.dest_ip, VICTIM);
});

Deno.test("flood: many spoofed sources on random ports of one host are still a flood", () => {
  const r = run(spread(2000, T0, 800_000, (i) => tcpFrame(addr4(3, i), VICTIM, 40_000, 1 + i)));
  assert.equal(r.starts("flood")[0]?.dest_ip, VICTIM);
});
