import assert from "node:assert/strict";
import { FloodShedding } from "../../../../core/detect/tracking/flood_shedding.ts";
import {
  addr4,
  DetectionRun,
  icmpError,
  RST,
  spread,
  SYN_ACK,
  T0,
  tcpFrame,
  type Timed,
  udpFrame,
} from "../../../support/detection_run.ts";
import type { TrackerStats } from "../../../../core/detect/tracking/keyed_state.ts";

const VICTIM = "192.0.2.10";
const SCANNER = "198.51.100.7";
const OFF = { detect: { connections: { shed_during_floods: false } } };

function table(r: DetectionRun, name: string): TrackerStats {
  return r.engine.detection.trackers().find((t) => t.name === name)!;
}

/** 5000 SYNs toward VICTIM:443 from 5000 spoofed sources over 0.8 s, each answered at once. */
function spoofedFlood(answer: "syn-ack" | "rst" | "none"): Timed[] {
  return spread(5000, T0, 800_000, (i) => tcpFrame(addr4(1, i), VICTIM, 40_000, 443)).flatMap(
    (syn, i) => {
      if (answer === "none") return [syn];
      const flags = answer === "syn-ack" ? SYN_ACK : RST | 0x10;
      return [syn, {
        tsUs: syn.tsUs + 1,
        frame: tcpFrame(VICTIM, addr4(1, i), 443, 40_000, flags),
      }];
    },
  );
}

Deno.test("flood_shedding: a flagged host's new attempts from unseen sources are shed, once per source", () => {
  const s = new FloodShedding(true);
  assert.equal(s.sheds(1, 11, 99, 0), false, "nothing is flooded");
  s.flag(99, 0);
  assert.equal(s.sheds(1, 11, 98, 10), false, "another destination");
  assert.equal(s.sheds(2, 11, 99, 10), true, "first attempt of source 11");
  assert.equal(s.sheds(3, 11, 99, 20), false, "its next attempt is tracked");
  s.noteSource(12);
  assert.equal(s.sheds(4, 12, 99, 30), false, "a source busy elsewhere is tracked");
  assert.equal(s.sheds(5, 13, 99, 1_000_000), false, "the flag lasts one second unless renewed");
  assert.equal(s.shed, 1);
  s.tick(2_000_000);
  s.noteSource(14); // nothing flooded: no-op
  s.flag(99, 2_000_000);
  assert.equal(s.sheds(6, 14, 99, 2_000_001), true, "not noted while nothing was flooded");
});

Deno.test("flood_shedding: answers from a flooded host to shed attempts are recognised", () => {
  const s = new FloodShedding(true);
  s.flag(99, 0);
  assert.equal(s.sheds(7, 11, 99, 1), true);
  assert.equal(s.answersShed(7, 11, 2, false), false, "the flooder is not flooded");
  assert.equal(s.answersShed(8, 99, 2, false), false, "a key never shed (a UDP request of 99)");
  assert.equal(s.answersShed(7, 99, 2, false), true, "the victim answering the shed datagram");
  assert.equal(s.answersShed(8, 99, 2, true), true, "a SYN-ACK or RST of the victim");
  assert.equal(s.answers, 2);
  assert.equal(new FloodShedding(false).sheds(1, 2, 3, 4), false, "off: flags are ignored");
});

Deno.test("flood_shedding: a spoofed SYN flood is caught and fills no exchange table", () => {
  const r = new DetectionRun().feed(spoofedFlood("none"));
  const [flood, ...more] = r.starts("flood");
  assert.deepEqual(more, []);
  assert.equal(flood!.dest_ip, VICTIM);
  const connections = table(r, "connections");
  assert.ok(connections.shed! >= 3900, `shed ${connections.shed}`);
  assert.ok(connections.size <= 1100, `${connections.size} exchanges tracked`);
  r.finish();
  assert.equal(r.alerts("flood", "end")[0]!.detection.peak, 5000, "every SYN counted");
  const off = new DetectionRun(OFF).feed(spoofedFlood("none"));
  assert.equal(table(off, "connections").shed, 0);
  assert.equal(table(off, "connections").size, 5000);
});

Deno.test("flood_shedding: the victim's SYN-ACKs and RSTs to shed attempts are answers, not its traffic", () => {
  for (const answer of ["syn-ack", "rst"] as const) {
    const r = new DetectionRun().feed(spoofedFlood(answer)).finish();
    assert.equal(r.starts("flood").length, 1, answer);
    assert.deepEqual(r.starts("high_packet_rate"), [], `${answer}: the victim is not a sender`);
    assert.deepEqual(r.starts("reflection"), [], answer);
    assert.deepEqual(r.starts("unique_connections"), [], answer);
  }
});

Deno.test("flood_shedding: a UDP flood's ICMP errors and replies from the victim are answers", () => {
  const flood = (reply: (src: string) => Uint8Array) =>
    spread(5000, T0, 800_000, (i) => udpFrame(addr4(2, i), VICTIM, 30_000, 9999))
      .flatMap((d, i) => [d, { tsUs: d.tsUs + 1, frame: reply(addr4(2, i)) }]);
  const unreachable = flood((src) =>
    icmpError(VICTIM, { src, dst: VICTIM, proto: 17, sport: 30_000, dport: 9999 })
  );
  const r = new DetectionRun().feed(unreachable).finish();
  assert.equal(r.starts("flood").length, 1);
  assert.ok(table(r, "connections").shed! >= 2900, `shed ${table(r, "connections").shed}`);
  assert.deepEqual(r.starts("high_packet_rate"), [], "the victim's errors are answers");
  assert.deepEqual(r.starts("host_sweep"), []);
  // UDP replies: the same findings as with every attempt tracked (no connections of the
  // victim's own toward 5000 hosts, no reflection).
  const replies = flood((src) => udpFrame(VICTIM, src, 9999, 30_000));
  const shed = new DetectionRun().feed(replies).finish();
  const tracked = new DetectionRun(OFF).feed(replies).finish();
  assert.ok(table(shed, "connections").shed! >= 2900);
  for (const name of ["unique_connections", "reflection", "high_packet_rate", "flood"]) {
    assert.equal(shed.starts(name).length, tracked.starts(name).length, name);
  }
  assert.deepEqual(shed.starts("unique_connections"), []);
});

Deno.test("flood_shedding: a scanner busy during a flood is still seen, every port counted", () => {
  const flood = spoofedFlood("none");
  // The scanner pings elsewhere first, then probes 200 closed ports of the flooded victim.
  const scan: Timed[] = [{ tsUs: T0 + 300_000, frame: tcpFrame(SCANNER, "192.0.2.99", 5, 80) }];
  for (let port = 1; port <= 200; port++) {
    const tsUs = T0 + 300_000 + port * 1000;
    scan.push({ tsUs, frame: tcpFrame(SCANNER, VICTIM, 50_000, port) });
    scan.push({ tsUs: tsUs + 1, frame: tcpFrame(VICTIM, SCANNER, port, 50_000, RST | 0x10) });
  }
  const packets = [...flood, ...scan].sort((a, b) => a.tsUs - b.tsUs);
  const shed = new DetectionRun().feed(packets).finish();
  const tracked = new DetectionRun(OFF).feed(packets).finish();
  const [scanAlert] = shed.starts("port_scan");
  assert.equal(scanAlert?.src_ip, SCANNER);
  const ports = (r: DetectionRun) =>
    (r.alerts("port_scan", "end")[0]!.detection as { evidence?: { ports_total?: number } })
      .evidence?.ports_total;
  assert.equal(ports(shed), 200);
  assert.equal(ports(shed), ports(tracked), "the same count as with every attempt tracked");
});
