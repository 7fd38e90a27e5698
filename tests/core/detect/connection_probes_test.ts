import assert from "node:assert/strict";
import { ROLE_INITIATOR, ROLE_NONE, ROLE_RESPONDER } from "../../../core/detect/packet_context.ts";
import { icmp, ipv4, ipv6, tcp } from "../../support/frames.ts";
import {
  ACK,
  echoFrame,
  FIN,
  icmpError,
  ipFrame,
  PSH,
  RST,
  SYN,
  tcpFrame,
} from "../../support/detection_run.ts";
import { Tracked } from "./connection_tracked.ts";

// ACK probes (nmap -sA, -sW, -PA): a bare ACK on an exchange nobody started.
for (
  const [family, prober, host] of [
    ["IPv4", "10.0.0.5", "10.0.0.9"],
    ["IPv6", "2001:db8::5", "2001:db8::9"],
  ] as const
) {
  Deno.test(`connections (${family}): an ACK probe answered by a bare RST fails with "rst"`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 80, ACK))
      .send(0.001, tcpFrame(host, prober, 80, 40000, RST))
      .finish(10);
    assert.deepEqual(t.events, [`rst tcp ${prober}:40000 -> ${host}:80`], "never an attempt");
    assert.equal(t.failures[0]!.attempt.tcpFlags, ACK);
    assert.deepEqual(t.roles, [ROLE_INITIATOR, ROLE_RESPONDER]);
  });

  Deno.test(`connections (${family}): an unanswered ACK probe times out`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 80, ACK))
      .send(1, tcpFrame(prober, host, 40000, 80, ACK)) // nmap's retransmission
      .tick(4.9);
    assert.deepEqual(t.events, []);
    t.tick(5);
    assert.deepEqual(t.events, [`timeout tcp ${prober}:40000 -> ${host}:80`]);
  });

  Deno.test(`connections (${family}): a bare RST for an exchange never seen infers the probe`, () => {
    // A capture of the replies only: the RST answers an ACK-bearing segment its sender has no
    // connection for; the probe went the other way.
    const t = new Tracked()
      .send(0, tcpFrame(host, prober, 80, 40000, RST))
      .send(0.5, tcpFrame(host, prober, 80, 40000, RST))
      .finish(10);
    assert.deepEqual(t.events, [`rst tcp ${prober}:40000 -> ${host}:80`], "repeats: once");
    assert.deepEqual(t.roles, [ROLE_RESPONDER, ROLE_RESPONDER]);
  });

  Deno.test(`connections (${family}): a connection seen mid-way is no ACK probe`, () => {
    // The other side acks too.
    const acked = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 443, ACK))
      .send(0.01, tcpFrame(host, prober, 443, 40000, ACK))
      .finish(10);
    assert.deepEqual(acked.events, []);
    // Only its receiver's ACKs are seen (data is never looked up), more than a retransmitting
    // prober would send.
    const receiver = new Tracked();
    for (let i = 0; i < 4; i++) receiver.send(i * 0.01, tcpFrame(prober, host, 40000, 443, ACK));
    receiver.finish(10);
    assert.deepEqual(receiver.events, []);
    // It ends with a FIN.
    const closed = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 443, ACK))
      .send(0.01, tcpFrame(host, prober, 443, 40000, FIN | ACK))
      .finish(10);
    assert.deepEqual(closed.events, []);
  });

  Deno.test(`connections (${family}): three ACKs on one exchange are still one probe`, () => {
    const t = new Tracked();
    for (let i = 0; i < 3; i++) t.send(i * 0.5, tcpFrame(prober, host, 40000, 80, ACK));
    t.finish(10);
    assert.deepEqual(t.events, [`timeout tcp ${prober}:40000 -> ${host}:80`]);
  });

  Deno.test(`connections (${family}): ACK segments with data are never looked up`, () => {
    const data = ipFrame(
      prober,
      host,
      6,
      tcp({ sport: 40000, dport: 80, flags: ACK | PSH, payload: [1, 2, 3] }),
    );
    const t = new Tracked().send(0, data).finish(10);
    assert.deepEqual(t.events, []);
    assert.deepEqual(t.roles, [ROLE_NONE]);
  });

  Deno.test(`connections (${family}): ACKs and RSTs of a tracked connection are no probes`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 443))
      .send(0.01, tcpFrame(host, prober, 443, 40000, SYN | ACK))
      .send(0.02, tcpFrame(prober, host, 40000, 443, ACK))
      .send(1, tcpFrame(host, prober, 443, 40000, ACK))
      .send(2, tcpFrame(host, prober, 443, 40000, RST))
      .finish(30);
    assert.deepEqual(t.events, [`attempt tcp ${prober}:40000 -> ${host}:443`]);
  });

  Deno.test(`connections (${family}): the initiator's ACK answers a SYN whose SYN-ACK was missed`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 443))
      .send(0.02, tcpFrame(prober, host, 40000, 443, ACK))
      .finish(30);
    assert.deepEqual(t.events, [`attempt tcp ${prober}:40000 -> ${host}:443`]);
  });

  Deno.test(`connections (${family}): a bare RST answering a pending SYN fails it`, () => {
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 23))
      .send(0.01, tcpFrame(host, prober, 23, 40000, RST))
      .finish(30);
    assert.deepEqual(t.events.slice(1), [`rst tcp ${prober}:40000 -> ${host}:23`]);
  });

  Deno.test(`connections (${family}): an ICMP unreachable quoting an ACK probe fails it`, () => {
    const q = { src: prober, dst: host, proto: 6, sport: 40000, dport: 80 };
    const t = new Tracked()
      .send(0, tcpFrame(prober, host, 40000, 80, ACK))
      .send(0.01, icmpError(host, q, family === "IPv4" ? 3 : 1, family === "IPv4" ? 13 : 1))
      .finish(30);
    assert.deepEqual(t.events, [`unreachable tcp ${prober}:40000 -> ${host}:80`]);
  });

  Deno.test(`connections (${family}): other IP protocols and protocol unreachables are reported`, () => {
    const t = new Tracked()
      .send(0, ipFrame(prober, host, 47, new Uint8Array(4)))
      .send(0.01, protocolUnreachable(host, prober, 200))
      .send(0.02, echoFrame(prober, host));
    assert.deepEqual(t.events, [
      `protocol 47 ${prober} -> ${host}`,
      `protocol 200 ${prober} -> ${host} (reply)`,
    ]);
    assert.deepEqual(t.roles, [ROLE_NONE, ROLE_RESPONDER, ROLE_NONE], "the reply answers a probe");
  });
}

/**
 * The protocol unreachable `host` sends `prober` for a packet of IP protocol `proto` (ICMP 3/2,
 * ICMPv6 4/1 with the pointer at the next header field).
 */
function protocolUnreachable(host: string, prober: string, proto: number): Uint8Array {
  if (!host.includes(":")) {
    const quoted = ipv4({ proto, src: prober, dst: host, payload: [] });
    return ipFrame(host, prober, 1, icmp(3, 2, quoted));
  }
  const quoted = ipv6({ nextHeader: proto, src: prober, dst: host, payload: [] });
  return ipFrame(host, prober, 58, icmp(4, 1, quoted, [0, 0, 0, 6]));
}
