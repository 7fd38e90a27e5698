import assert from "node:assert/strict";
import {
  ROLE_INITIATOR,
  ROLE_NONE,
  ROLE_RESPONDER,
  ROLE_UNSOLICITED,
} from "../../../../core/detect/packet_context.ts";
import { ethernet, fragmentHeader, ipv4, ipv6, udp } from "../../../support/frames.ts";
import {
  ACK,
  echoFrame,
  FIN,
  icmpError,
  PSH,
  RST,
  SYN,
  tcpFrame,
  udpFrame,
  URG,
} from "../../../support/detection_run.ts";
import { Tracked } from "../connection_tracked.ts";

for (
  const [family, client, server] of [
    ["IPv4", "10.0.0.5", "10.0.0.9"],
    ["IPv6", "2001:db8::5", "2001:db8::9"],
  ] as const
) {
  Deno.test(`connections (${family}): SYN answered by RST fails with "rst"`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(client, server, 40000, 23))
      .send(0.001, tcpFrame(server, client, 23, 40000, RST | ACK))
      .finish(10);
    assert.deepEqual(t.events, [
      `attempt tcp ${client}:40000 -> ${server}:23`,
      `rst tcp ${client}:40000 -> ${server}:23`,
    ]);
    assert.equal(t.failures[0]!.atS, 0.001);
    assert.deepEqual(t.roles, [ROLE_INITIATOR, ROLE_RESPONDER]);
  });

  Deno.test(`connections (${family}): an unanswered SYN times out after attempt_timeout_s`, () => {
    const t = new Tracked({ "detect.connections.attempt_timeout_s": 5 })
      .send(0, tcpFrame(client, server, 40000, 80))
      .tick(4.9);
    assert.equal(t.failures.length, 0);
    t.tick(5);
    assert.deepEqual(t.events.slice(1), [`timeout tcp ${client}:40000 -> ${server}:80`]);
    assert.equal(t.failures[0]!.atS, 5, "failure at first packet + timeout, in packet time");
    t.finish(20);
    assert.equal(t.failures.length, 1, "reported once");
  });

  Deno.test(`connections (${family}): a SYN still pending at finish times out then`, () => {
    // The capture stops before the 5 s timeout: the attempt stays unanswered, dated at the stop.
    const t = new Tracked().send(0, tcpFrame(client, server, 40000, 80)).finish(1);
    assert.deepEqual(t.failures.map((f) => [f.reason, f.atS]), [["timeout", 1]]);
  });

  Deno.test(`connections (${family}): a SYN answered by SYN-ACK never fails`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(client, server, 40000, 443))
      .send(0.01, tcpFrame(server, client, 443, 40000, SYN | ACK))
      .send(0.02, tcpFrame(client, server, 40000, 443, ACK))
      .send(0.03, tcpFrame(client, server, 40000, 443, RST | ACK))
      .finish(60);
    assert.deepEqual(t.events, [`attempt tcp ${client}:40000 -> ${server}:443`]);
    assert.deepEqual(t.roles.slice(0, 2), [ROLE_INITIATOR, ROLE_RESPONDER]);
  });

  Deno.test(`connections (${family}): UDP with a port unreachable quoting it fails`, () => {
    const t = new Tracked()
      .send(0, udpFrame(client, server, 50000, 9999))
      .send(
        0.002,
        icmpError(server, { src: client, dst: server, proto: 17, sport: 50000, dport: 9999 }),
      )
      .finish(10);
    assert.deepEqual(t.events, [
      `attempt udp ${client}:50000 -> ${server}:9999`,
      `unreachable udp ${client}:50000 -> ${server}:9999`,
    ]);
    assert.equal(t.roles[1], ROLE_RESPONDER);
  });

  Deno.test(`connections (${family}): an ICMP error quoting another exchange changes nothing`, () => {
    const t = new Tracked()
      .send(0, udpFrame(client, server, 50000, 9999))
      .send(
        0.002,
        icmpError(server, { src: client, dst: server, proto: 17, sport: 50001, dport: 9999 }),
      )
      .tick(1);
    assert.deepEqual(t.events, [`attempt udp ${client}:50000 -> ${server}:9999`]);
    assert.equal(t.roles[1], ROLE_NONE);
  });

  Deno.test(`connections (${family}): UDP request and reply: no failure`, () => {
    const t = new Tracked()
      .send(0, udpFrame(client, server, 50000, 53))
      .send(0.01, udpFrame(server, client, 53, 50000))
      .send(1, udpFrame(client, server, 50000, 53))
      .finish(30);
    assert.deepEqual(t.events, [`attempt udp ${client}:50000 -> ${server}:53`]);
    assert.deepEqual(t.roles, [ROLE_INITIATOR, ROLE_RESPONDER, ROLE_INITIATOR]);
  });

  Deno.test(`connections (${family}): FIN, NULL and Xmas probes answered by RST fail`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(client, server, 40000, 21, FIN))
      .send(0.01, tcpFrame(client, server, 40000, 22, 0))
      .send(0.02, tcpFrame(client, server, 40000, 23, FIN | PSH | URG))
      .send(0.1, tcpFrame(server, client, 21, 40000, RST | ACK))
      .send(0.1, tcpFrame(server, client, 22, 40000, RST | ACK))
      .send(0.1, tcpFrame(server, client, 23, 40000, RST | ACK));
    assert.deepEqual(t.failures.map((f) => [f.reason, f.attempt.dstPort, f.attempt.tcpFlags]), [
      ["rst", 21, FIN],
      ["rst", 22, 0],
      ["rst", 23, FIN | PSH | URG],
    ]);
  });

  Deno.test(`connections (${family}): a SYN-ACK with no SYN is unsolicited`, () => {
    const t = new Tracked().send(0, tcpFrame(server, client, 80, 40000, SYN | ACK));
    assert.deepEqual(t.events, [`unsolicited syn-ack ${server}:80 -> ${client}`]);
    assert.deepEqual(t.roles, [ROLE_UNSOLICITED]);
  });

  Deno.test(`connections (${family}): a DNS response with no query is unsolicited`, () => {
    const t = new Tracked()
      .send(0, udpFrame(server, client, 53, 40000))
      .send(0.1, udpFrame(server, client, 53, 40000))
      .finish(30);
    assert.deepEqual(t.events, [
      `unsolicited udp ${server}:53 -> ${client}`,
      `unsolicited udp ${server}:53 -> ${client}`,
    ]);
    assert.deepEqual(t.roles, [ROLE_UNSOLICITED, ROLE_UNSOLICITED]);
  });

  Deno.test(`connections (${family}): the later fragments of an unsolicited response are too`, () => {
    const first = fragment(server, client, 0x4242, 0, true, [...udp({ sport: 53, dport: 40000 })]);
    const later = fragment(server, client, 0x4242, 1480, false, new Array(100).fill(7));
    const other = fragment(server, client, 0x4343, 1480, false, new Array(100).fill(7));
    const t = new Tracked().send(0, first).send(0.001, later).send(0.002, other);
    assert.deepEqual(t.events, [
      `unsolicited udp ${server}:53 -> ${client}`,
      `unsolicited udp ${server}:53 -> ${client}`,
    ]);
    assert.deepEqual(t.roles, [ROLE_UNSOLICITED, ROLE_UNSOLICITED, ROLE_NONE]);
  });

  Deno.test(`connections (${family}): ICMP time exceeded (traceroute) is not a failure`, () => {
    const quoted = { src: client, dst: server, proto: 17, sport: 50000, dport: 33434 };
    const router = family === "IPv4" ? "192.0.2.1" : "2001:db8:ffff::1";
    const t = new Tracked()
      .send(0, udpFrame(client, server, 50000, 33434))
      .send(0.01, icmpError(router, quoted, family === "IPv4" ? 11 : 3, 0))
      .finish(30);
    assert.deepEqual(t.events, [`attempt udp ${client}:50000 -> ${server}:33434`]);
  });

  Deno.test(`connections (${family}): "packet too big" does not fail the attempt`, () => {
    const quoted = { src: client, dst: server, proto: 6, sport: 40000, dport: 80 };
    const router = family === "IPv4" ? "192.0.2.1" : "2001:db8:ffff::1";
    const t = new Tracked()
      .send(0, tcpFrame(client, server, 40000, 80))
      .send(0.01, icmpError(router, quoted, family === "IPv4" ? 3 : 2, family === "IPv4" ? 4 : 0))
      .send(0.02, tcpFrame(server, client, 80, 40000, SYN | ACK))
      .finish(30);
    assert.deepEqual(t.events, [`attempt tcp ${client}:40000 -> ${server}:80`]);
  });
}

Deno.test("connections: a retransmitted SYN is one attempt; ICMP echo is not tracked", () => {
  const t = new Tracked()
    .send(0, tcpFrame("10.0.0.5", "10.0.0.9", 40000, 80))
    .send(1, tcpFrame("10.0.0.5", "10.0.0.9", 40000, 80))
    .send(1, echoFrame("10.0.0.5", "10.0.0.9"))
    .finish(2);
  assert.deepEqual(t.events, [
    "attempt tcp 10.0.0.5:40000 -> 10.0.0.9:80",
    "timeout tcp 10.0.0.5:40000 -> 10.0.0.9:80",
  ]);
  assert.equal(t.roles[2], ROLE_NONE);
});

Deno.test("connections: a bare RST from the prober (nmap -sS on an open port) is no failure", () => {
  const t = new Tracked()
    .send(0, tcpFrame("10.0.0.5", "10.0.0.9", 40000, 22))
    .send(0.001, tcpFrame("10.0.0.9", "10.0.0.5", 22, 40000, SYN | ACK))
    .send(0.002, tcpFrame("10.0.0.5", "10.0.0.9", 40000, 22, RST))
    .finish(1);
  assert.deepEqual(t.events, ["attempt tcp 10.0.0.5:40000 -> 10.0.0.9:22"]);
});

Deno.test("connections: the pending queue and table stay within max_tracked", () => {
  const t = new Tracked({ "detect.connections.max_tracked": 16 });
  for (let i = 0; i < 100; i++) t.send(i * 0.001, tcpFrame("10.0.0.5", "10.0.0.9", 40000, i + 1));
  const stats = t.tracker.trackers();
  const table = stats.find((s) => s.name === "connections")!;
  const pending = stats.find((s) => s.name === "connections.pending")!;
  assert.ok(table.size <= 16 && pending.size <= 16);
  assert.equal(table.evictions, 84);
  assert.equal(pending.evictions, 84);
});

/** A UDP fragment (IPv4 or IPv6) with `payload` at byte `offset`. */
function fragment(
  src: string,
  dst: string,
  id: number,
  offset: number,
  more: boolean,
  payload: number[],
): Uint8Array {
  if (!src.includes(":")) {
    return ethernet(
      0x0800,
      ipv4({ proto: 17, src, dst, id, fragOffset: offset, moreFragments: more, payload }),
    );
  }
  return ethernet(
    0x86dd,
    ipv6({
      nextHeader: 44,
      src,
      dst,
      payload: [...fragmentHeader(17, offset, more, id), ...payload],
    }),
  );
}
