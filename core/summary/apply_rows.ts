/**
 * @module apply_rows
 * The main thread's side of the batch summary: applies a segment of rows (core/summary/batch_rows.ts,
 * counted by core/summary/batch_summary.ts in the capture worker) to the traffic summary.
 */
import { hostKey, type TableKey } from "../packet/host_key.ts";
import {
  HOST_COUNTERS,
  ROW_DESTINATION_V4,
  ROW_DESTINATION_V6,
  ROW_EVENT,
  ROW_PORT,
  ROW_PROTOCOL,
  ROW_SECOND,
  ROW_SOURCE_V4,
  ROW_SOURCE_V6,
  SEG_BYTES,
  SEG_FIRST_US,
  SEG_INVALID,
  SEG_MAX_US,
  SEG_NEXT,
  SEG_PACKETS,
  SEG_TRUNCATED,
  SEG_UNSUPPORTED,
  SEGMENT_WORDS,
} from "./batch_rows.ts";

/** What applying rows needs from the summary. */
export interface SummaryTarget {
  addTotals(
    firstUs: number,
    maxUs: number,
    packets: number,
    bytes: number,
    invalid: number,
    truncated: number,
    unsupported: number,
  ): void;
  addProtocol(bit: number, packets: number, bytes: number): void;
  addEvent(id: number, count: number): void;
  addSecond(second: number, packets: number, bytes: number): void;
  addPort(table: number, port: number, packets: number): void;
  /** `counters[at..]`: the host row's HOST_COUNTERS counters (packets, bytes, TCP, UDP, ICMP). */
  addSource(key: TableKey, counters: Float64Array, at: number): void;
  addDestination(key: TableKey, counters: Float64Array, at: number): void;
}

const v6Scratch = new Int32Array(4);

/** Applies one segment's rows, `rows[at..]` up to its SEG_NEXT, to `target`. */
export function applySegment(target: SummaryTarget, rows: Float64Array, at: number): void {
  const next = rows[at + SEG_NEXT]!;
  target.addTotals(
    rows[at + SEG_FIRST_US]!,
    rows[at + SEG_MAX_US]!,
    rows[at + SEG_PACKETS]!,
    rows[at + SEG_BYTES]!,
    rows[at + SEG_INVALID]!,
    rows[at + SEG_TRUNCATED]!,
    rows[at + SEG_UNSUPPORTED]!,
  );
  for (let i = at + SEGMENT_WORDS; i < next;) {
    const tag = rows[i]!;
    switch (tag) {
      case ROW_PROTOCOL:
        target.addProtocol(rows[i + 1]!, rows[i + 2]!, rows[i + 3]!);
        i += 4;
        break;
      case ROW_EVENT:
        target.addEvent(rows[i + 1]!, rows[i + 2]!);
        i += 3;
        break;
      case ROW_SECOND:
        target.addSecond(rows[i + 1]!, rows[i + 2]!, rows[i + 3]!);
        i += 4;
        break;
      case ROW_PORT:
        target.addPort(rows[i + 1]!, rows[i + 2]!, rows[i + 3]!);
        i += 4;
        break;
      case ROW_SOURCE_V4:
        target.addSource(rows[i + 1]!, rows, i + 2);
        i += 2 + HOST_COUNTERS;
        break;
      case ROW_DESTINATION_V4:
        target.addDestination(rows[i + 1]!, rows, i + 2);
        i += 2 + HOST_COUNTERS;
        break;
      case ROW_SOURCE_V6:
      case ROW_DESTINATION_V6: {
        for (let w = 0; w < 4; w++) v6Scratch[w] = rows[i + 1 + w]!;
        const key = hostKey(v6Scratch, 0, true);
        if (tag === ROW_SOURCE_V6) target.addSource(key, rows, i + 5);
        else target.addDestination(key, rows, i + 5);
        i += 5 + HOST_COUNTERS;
        break;
      }
      default:
        throw new Error(`batch summary: unknown row tag ${tag} at ${i}`);
    }
  }
}
