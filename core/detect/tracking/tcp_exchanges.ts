/**
 * @module tcp_exchanges
 * The connection tracker's TCP segments: probes (SYN, and the FIN/NULL/Xmas probes of stealth
 * scans), their SYN-ACK and RST answers, and ACK probes, as functions over its attempts
 * (core/detect/tracking/exchange_attempts.ts). A TCP exchange has one key from either side.
 *
 * ACK probes (nmap -sA, -sW, -PA) carry no SYN: a bare ACK (no payload) on a TCP exchange the
 * tracker does not know starts a probe, which fails when answered by a RST or left unanswered,
 * and turns out to be a connection seen mid-way when the other side sends an ACK or FIN of its
 * own or its sender keeps acking. A RST without ACK for an exchange the tracker does not know
 * answers an ACK-bearing segment its sender has no connection for: a probe we did not see (a
 * capture of the replies only), failed at once. ACK probes are never announced as attempts.
 *
 * Segments carrying data are never looked up, so bulk transfers cost the tracker one lookup per
 * pure ACK (the receiver's side).
 */
import { W_DST_ADDR, W_PAYLOAD_LEN, W_SRC_ADDR } from "../../packet/packet_batch.ts";
import { ATTEMPT_ANSWERED, ATTEMPT_FAILED, ATTEMPT_PENDING } from "../detector.ts";
import type { ExchangeAttempts } from "./exchange_attempts.ts";
import { X_ACK_PROBE, X_V6 } from "./exchange_table.ts";
import { copyAddress } from "./exchange_packets.ts";
import {
  type PacketContext,
  PROTO_TCP,
  ROLE_INITIATOR,
  ROLE_RESPONDER,
  ROLE_UNSOLICITED,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "../packet_context.ts";
import { pairedKey } from "./tuple_key.ts";

/**
 * Bare ACKs the sender of an ACK probe may repeat on the same exchange while it is pending
 * (nmap retransmits a probe left unanswered, usually once); one more makes it a connection
 * seen mid-way (a receiver acking data the tracker does not look up).
 */
const ACK_PROBE_REPEATS = 2;

/**
 * Classifies a TCP segment with ports (sets `p.role`) and tracks what it reveals. True for a
 * SYN-ACK nobody asked for, which the caller reports as unsolicited.
 */
export function observeTcp(x: ExchangeAttempts, p: PacketContext): boolean {
  const flags = p.tcpFlags;
  if (!(flags & TCP_ACK)) {
    if (flags & TCP_RST) bareReset(x, p);
    else tcpProbe(x, p);
    return false;
  }
  if (flags & TCP_SYN) return synAck(x, p);
  if (flags & TCP_RST) reset(x, p);
  else if (flags & TCP_FIN || p.fields[p.base + W_PAYLOAD_LEN] === 0) ack(x, p);
  // Anything else carries data: never looked up.
  return false;
}

/** SYN, or a FIN/NULL/Xmas probe: an attempt unless this exchange is already known. */
function tcpProbe(x: ExchangeAttempts, p: PacketContext): void {
  const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
  p.role = ROLE_INITIATOR;
  // Toward a flooded host, a source's first attempt is not even looked up: were it the
  // retransmission of a tracked attempt, the lookup would change nothing either.
  if (x.shedding.sheds(key, p.srcKey, p.dstKey, p.timestampUs)) return;
  if (x.table.find(key, p.timestampUs) !== -1) return;
  x.begin(key, p, false, true);
}

/** A SYN-ACK answers a pending attempt; true (unsolicited) when it answers none. */
function synAck(x: ExchangeAttempts, p: PacketContext): boolean {
  const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
  const slot = x.table.find(key, p.timestampUs);
  if (slot === -1 && x.shedding.answersShed(key, p.srcKey, p.timestampUs, true)) {
    p.role = ROLE_RESPONDER;
    return false;
  }
  if (slot === -1 || !x.fromResponder(slot, p)) {
    p.role = ROLE_UNSOLICITED;
    return true;
  }
  p.role = ROLE_RESPONDER;
  if (x.table.state[slot] === ATTEMPT_PENDING) x.table.state[slot] = ATTEMPT_ANSWERED;
  return false;
}

/** A RST (with ACK) from the contacted side ends a pending attempt as failed. */
function reset(x: ExchangeAttempts, p: PacketContext): void {
  const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
  const slot = x.table.find(key, p.timestampUs);
  if (slot === -1) {
    if (x.shedding.answersShed(key, p.srcKey, p.timestampUs, true)) p.role = ROLE_RESPONDER;
    return;
  }
  if (!x.fromResponder(slot, p)) return;
  p.role = ROLE_RESPONDER;
  x.failIfPending(slot, "rst", p.timestampUs);
}

/**
 * A RST without ACK answers a segment that carried an ACK (RFC 9293 3.10.7.1): from the
 * contacted side of a pending attempt it fails it. For an exchange the tracker never saw, it
 * is the answer to an ACK probe the capture missed: that probe is inferred, failed at once.
 */
function bareReset(x: ExchangeAttempts, p: PacketContext): void {
  const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
  const table = x.table;
  const known = table.find(key, p.timestampUs);
  if (known !== -1) {
    if (!x.fromResponder(known, p)) return; // the prober's own RST (nmap -sS)
    p.role = ROLE_RESPONDER;
    x.failIfPending(known, "rst", p.timestampUs);
    return;
  }
  p.role = ROLE_RESPONDER;
  // The inferred probe went the other way: from this RST's destination to its source.
  const slot = table.add(key, p.timestampUs);
  copyAddress(p, W_DST_ADDR, table.src, slot);
  copyAddress(p, W_SRC_ADDR, table.dst, slot);
  table.srcPort[slot] = p.dstPort;
  table.dstPort[slot] = p.srcPort;
  table.proto[slot] = PROTO_TCP;
  table.firstUs[slot] = p.timestampUs;
  table.direction[slot] = p.direction === 0 ? 0 : 3 - p.direction;
  table.tcpFlags[slot] = TCP_ACK;
  table.state[slot] = ATTEMPT_FAILED;
  table.bits[slot] = (p.v6 ? X_V6 : 0) | X_ACK_PROBE;
  x.reportFailure(slot, "rst", p.timestampUs);
}

/**
 * A pure ACK or a FIN (the only ACK-bearing segments looked up). On a known exchange, a sign
 * of a connection: the initiator acking a pending SYN (its SYN-ACK was not captured), the
 * other side speaking, or an ACK probe's sender acking on and on. On an unknown exchange, a
 * bare ACK starts an ACK probe.
 */
function ack(x: ExchangeAttempts, p: PacketContext): void {
  const key = pairedKey(p.srcKey, p.srcPort, p.dstKey, p.dstPort, PROTO_TCP);
  const table = x.table;
  const slot = table.find(key, p.timestampUs);
  if (slot !== -1) {
    if (table.state[slot] !== ATTEMPT_PENDING) return;
    if (
      !(table.bits[slot]! & X_ACK_PROBE) || p.tcpFlags & TCP_FIN ||
      x.fromResponder(slot, p) ||
      (table.acks[slot] = table.acks[slot]! + 1) > ACK_PROBE_REPEATS
    ) {
      table.state[slot] = ATTEMPT_ANSWERED;
    }
    return;
  }
  if (p.tcpFlags & TCP_FIN) return;
  p.role = ROLE_INITIATOR;
  x.begin(key, p, false, false);
}
