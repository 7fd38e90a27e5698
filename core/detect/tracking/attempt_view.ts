/**
 * @module attempt_view
 * The one Attempt the connection tracker hands detectors, refilled from the exchange table's
 * columns (core/detect/tracking/exchange_table.ts) before each call and valid only during it.
 */
import type { TableKey } from "../../packet/host_key.ts";
import { hostKey } from "../../packet/host_key.ts";
import type { Attempt } from "../detector.ts";
import { type ExchangeTable, X_V6 } from "./exchange_table.ts";

/** A reused Attempt: `fill` or `fillStored` overwrites every field. */
export class AttemptView implements Attempt {
  src: TableKey = 0;
  dst: TableKey = 0;
  v6 = false;
  proto = 0;
  srcPort = 0;
  dstPort = 0;
  firstUs = 0;
  direction = 0;
  tcpFlags = 0;
  state = 0;
  ref = 0;

  /** This view of `slot`, its address keys rebuilt from the columns. */
  fillStored(table: ExchangeTable, slot: number): Attempt {
    const v6 = (table.bits[slot]! & X_V6) !== 0;
    return this.fill(
      table,
      slot,
      hostKey(table.src, slot * 4, v6),
      hostKey(table.dst, slot * 4, v6),
    );
  }

  /** This view of `slot`, with the address keys the caller already has. */
  fill(table: ExchangeTable, slot: number, src: TableKey, dst: TableKey): Attempt {
    this.src = src;
    this.dst = dst;
    this.v6 = (table.bits[slot]! & X_V6) !== 0;
    this.proto = table.proto[slot]!;
    this.srcPort = table.srcPort[slot]!;
    this.dstPort = table.dstPort[slot]!;
    this.firstUs = table.firstUs[slot]!;
    this.direction = table.direction[slot]!;
    this.tcpFlags = table.tcpFlags[slot]!;
    this.state = table.state[slot]!;
    this.ref = table.refOf(slot);
    return this;
  }
}
