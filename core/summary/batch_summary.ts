/**
 * @module batch_summary
 * The traffic summary's share of a batch, counted where the batch is decoded (the capture worker)
 * and applied on the main thread (core/summary/apply_rows.ts) as a few rows per batch: the summary's
 * per-packet work leaves the thread that runs detection. The engine collects batches that arrive
 * without rows (tests, benchmarks) with the same code.
 *
 * Rows are one Float64Array, cut into segments. A segment ends where the latest packet time
 * enters a new second counted from the capture's first packet: a stats boundary (the first
 * packet plus a whole number of seconds) never falls inside a segment, so the segments before a
 * boundary count exactly the packets before it.
 *
 * Layout (core/summary/batch_rows.ts): each segment is a header of SEGMENT_WORDS words, then tagged rows
 * (`ROW_*`, each followed by its words), in the order the summary applies them. Hosts come in the
 * order they first appeared, so the summary's tables see new hosts in packet order.
 */
import { EVENT_COUNT } from "../decode/events.ts";
import {
  F_ADDRESSES,
  F_INVALID,
  F_IPV6,
  F_TCP,
  F_TRUNCATED,
  F_UNSUPPORTED,
  type PacketBatch,
  PROTOCOL_FLAGS,
  PROTOCOL_NAMES,
  RECORD_WORDS,
  W_DST_ADDR,
  W_DST_PORT,
  W_EVENT,
  W_FLAGS,
  W_NOTE_EVENT,
  W_SRC_ADDR,
  W_SRC_PORT,
  W_TCP_FLAGS,
  W_WIRE_LEN,
} from "../packet/packet_batch.ts";
import { serviceDestinationPort } from "./service_port.ts";
import { HostRows, type HostRowSink } from "./host_rows.ts";
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
  SEG_END,
  SEG_FIRST_US,
  SEG_INVALID,
  SEG_MAX_US,
  SEG_NEXT,
  SEG_PACKETS,
  SEG_TRUNCATED,
  SEG_UNSUPPORTED,
  SEGMENT_WORDS,
} from "./batch_rows.ts";

/** Flags counted per combination (all below bit 11, so a small table holds every one). */
const COUNTED_FLAGS = PROTOCOL_FLAGS | F_INVALID | F_TRUNCATED | F_UNSUPPORTED;
const PORTS = 65536;

/**
 * Counts batches into segment rows. One per capture (it keeps the first packet time and the
 * latest, which cut the segments), fed every batch in order.
 */
export class BatchSummaryCollector implements HostRowSink {
  #firstUs = -1;
  #maxUs = -Infinity;
  /** Where the latest packet's second (counted from the first packet) ends. */
  #secondEndUs = -Infinity;
  #rows: Float64Array = new Float64Array(4096);
  #length = 0;
  // The open segment's counters.
  #segmentFirstUs = 0;
  #segmentMaxUs = 0;
  /** Packets and bytes per combination of the counted flags, and the combinations seen. */
  readonly #flagPackets = new Float64Array(COUNTED_FLAGS + 1);
  readonly #flagBytes = new Float64Array(COUNTED_FLAGS + 1);
  readonly #flagsSeen: number[] = [];
  readonly #events = new Float64Array(EVENT_COUNT + 1);
  /** The second most packets fall in, counted without a search: its start, µs. */
  #unixSecondStartUs = -Infinity;
  #unixSecondPackets = 0;
  #unixSecondBytes = 0;
  readonly #seconds: number[] = [];
  readonly #secondPackets: number[] = [];
  readonly #secondBytes: number[] = [];
  readonly #ports = new Float64Array(2 * PORTS);
  #portsTouched = new Int32Array(256);
  #portsTouchedCount = 0;
  readonly #sources = new HostRows(ROW_SOURCE_V4, ROW_SOURCE_V6, W_SRC_ADDR);
  readonly #destinations = new HostRows(ROW_DESTINATION_V4, ROW_DESTINATION_V6, W_DST_ADDR);

  /**
   * The rows of `batch`, written into `into` when given (grown if too small) or into the
   * collector's own buffer: a view valid until the next call.
   */
  collect(batch: PacketBatch, into?: Float64Array): Float64Array {
    if (into !== undefined) this.#rows = into;
    this.#length = 0;
    const { fields, timestampsUs, count } = batch;
    let segmentStart = 0;
    for (let i = 0, base = 0; i < count; i++, base += RECORD_WORDS) {
      const ts = timestampsUs[i]!;
      if (ts > this.#maxUs) {
        if (ts >= this.#secondEndUs) {
          if (this.#firstUs < 0) this.#firstUs = ts;
          const second = Math.floor((ts - this.#firstUs) / 1e6);
          this.#secondEndUs = this.#firstUs + (second + 1) * 1e6;
          if (i > segmentStart) {
            this.#endSegment(fields, i);
            segmentStart = i;
          }
        }
        this.#maxUs = ts;
      }
      if (i === segmentStart) this.#segmentFirstUs = this.#segmentMaxUs = ts;
      else if (ts > this.#segmentMaxUs) this.#segmentMaxUs = ts;
      this.#count(fields, base, ts);
    }
    if (count > segmentStart) this.#endSegment(fields, count);
    return this.#rows.subarray(0, this.#length);
  }

  #count(fields: Int32Array, base: number, ts: number): void {
    const flags = fields[base + W_FLAGS]!;
    const bytes = fields[base + W_WIRE_LEN]!;
    const counted = flags & COUNTED_FLAGS;
    if (this.#flagPackets[counted]!++ === 0) this.#flagsSeen.push(counted);
    this.#flagBytes[counted]! += bytes;
    this.#events[fields[base + W_EVENT]!]!++;
    this.#events[fields[base + W_NOTE_EVENT]!]!++;
    this.#countSecond(ts, bytes);
    if (flags & F_ADDRESSES) {
      const v6 = (flags & F_IPV6) !== 0;
      this.#sources.count(fields, base, v6, bytes);
      this.#destinations.count(fields, base, v6, bytes);
    }
    const port = serviceDestinationPort(
      flags,
      fields[base + W_TCP_FLAGS]!,
      fields[base + W_SRC_PORT]!,
      fields[base + W_DST_PORT]!,
    );
    if (port >= 0) this.#countPort(flags & F_TCP ? port : PORTS + port);
  }

  #countSecond(ts: number, bytes: number): void {
    if (ts >= this.#unixSecondStartUs && ts < this.#unixSecondStartUs + 1e6) {
      this.#unixSecondPackets++;
      this.#unixSecondBytes += bytes;
      return;
    }
    this.#flushUnixSecond();
    this.#unixSecondStartUs = Math.floor(ts / 1e6) * 1e6;
    this.#unixSecondPackets = 1;
    this.#unixSecondBytes = bytes;
  }

  /** Moves the fast-path second into the segment's list of seconds. */
  #flushUnixSecond(): void {
    if (this.#unixSecondPackets === 0) return;
    const second = this.#unixSecondStartUs / 1e6;
    const packets = this.#unixSecondPackets, bytes = this.#unixSecondBytes;
    this.#unixSecondPackets = this.#unixSecondBytes = 0;
    const seconds = this.#seconds;
    let at = seconds.length - 1;
    while (at >= 0 && seconds[at] !== second) at--;
    if (at < 0) {
      at = seconds.length;
      seconds.push(second);
      this.#secondPackets.push(0);
      this.#secondBytes.push(0);
    }
    this.#secondPackets[at]! += packets;
    this.#secondBytes[at]! += bytes;
  }

  #countPort(slot: number): void {
    if (this.#ports[slot]!++ !== 0) return;
    if (this.#portsTouchedCount === this.#portsTouched.length) {
      const grown = new Int32Array(this.#portsTouched.length * 2);
      grown.set(this.#portsTouched);
      this.#portsTouched = grown;
    }
    this.#portsTouched[this.#portsTouchedCount++] = slot;
  }

  /** Writes the open segment (packets up to `end`) and resets its counters. */
  #endSegment(fields: Int32Array, end: number): void {
    const header = this.#length;
    this.#reserve(SEGMENT_WORDS);
    const rows = this.#rows;
    rows[header + SEG_END] = end;
    rows[header + SEG_FIRST_US] = this.#segmentFirstUs;
    rows[header + SEG_MAX_US] = this.#segmentMaxUs;
    this.#length += SEGMENT_WORDS;
    this.#writeFlags(header);
    this.#writeEvents();
    this.#writeSeconds();
    this.#writePorts();
    this.#sources.write(this, fields);
    this.#destinations.write(this, fields);
    this.#rows[header + SEG_NEXT] = this.#length;
  }

  /** Totals into the segment header at `header`, and the protocol rows. */
  #writeFlags(header: number): void {
    let packets = 0, bytes = 0, invalid = 0, truncated = 0, unsupported = 0;
    const protocolPackets = new Float64Array(PROTOCOL_NAMES.length);
    const protocolBytes = new Float64Array(PROTOCOL_NAMES.length);
    for (const counted of this.#flagsSeen) {
      const p = this.#flagPackets[counted]!, b = this.#flagBytes[counted]!;
      this.#flagPackets[counted] = this.#flagBytes[counted] = 0;
      packets += p;
      bytes += b;
      if (counted & F_INVALID) invalid += p;
      if (counted & F_TRUNCATED) truncated += p;
      if (counted & F_UNSUPPORTED) unsupported += p;
      for (let rest = counted & PROTOCOL_FLAGS; rest !== 0; rest &= rest - 1) {
        const bit = 31 - Math.clz32(rest & -rest);
        protocolPackets[bit]! += p;
        protocolBytes[bit]! += b;
      }
    }
    this.#flagsSeen.length = 0;
    const rows = this.#rows;
    rows[header + SEG_PACKETS] = packets;
    rows[header + SEG_BYTES] = bytes;
    rows[header + SEG_INVALID] = invalid;
    rows[header + SEG_TRUNCATED] = truncated;
    rows[header + SEG_UNSUPPORTED] = unsupported;
    for (let bit = 0; bit < PROTOCOL_NAMES.length; bit++) {
      if (protocolPackets[bit] === 0) continue;
      this.row3(ROW_PROTOCOL, bit, protocolPackets[bit]!, protocolBytes[bit]!);
    }
  }

  #writeEvents(): void {
    const events = this.#events;
    for (let id = 1; id < events.length; id++) {
      if (events[id] === 0) continue;
      this.row2(ROW_EVENT, id, events[id]!);
      events[id] = 0;
    }
    events[0] = 0;
  }

  #writeSeconds(): void {
    this.#flushUnixSecond();
    const seconds = this.#seconds;
    for (let i = 0; i < seconds.length; i++) {
      this.row3(ROW_SECOND, seconds[i]!, this.#secondPackets[i]!, this.#secondBytes[i]!);
    }
    seconds.length = this.#secondPackets.length = this.#secondBytes.length = 0;
  }

  #writePorts(): void {
    for (let i = 0; i < this.#portsTouchedCount; i++) {
      const slot = this.#portsTouched[i]!;
      this.row3(ROW_PORT, slot >= PORTS ? 1 : 0, slot & (PORTS - 1), this.#ports[slot]!);
      this.#ports[slot] = 0;
    }
    this.#portsTouchedCount = 0;
  }

  /** Appends a tag and two words. */
  row2(tag: number, a: number, b: number): void {
    this.#reserve(3);
    const rows = this.#rows, at = this.#length;
    rows[at] = tag;
    rows[at + 1] = a;
    rows[at + 2] = b;
    this.#length = at + 3;
  }

  /** Appends a tag and three words. */
  row3(tag: number, a: number, b: number, c: number): void {
    this.#reserve(4);
    const rows = this.#rows, at = this.#length;
    rows[at] = tag;
    rows[at + 1] = a;
    rows[at + 2] = b;
    rows[at + 3] = c;
    this.#length = at + 4;
  }

  hostRow(
    tag: number,
    fields: Int32Array,
    at: number,
    addressWords: number,
    counters: Float64Array,
    from: number,
  ): void {
    this.#reserve(1 + addressWords + HOST_COUNTERS);
    const rows = this.#rows;
    let to = this.#length;
    rows[to++] = tag;
    for (let w = 0; w < addressWords; w++) rows[to++] = fields[at + w]!;
    for (let c = 0; c < HOST_COUNTERS; c++) rows[to++] = counters[from + c]!;
    this.#length = to;
  }

  #reserve(words: number): void {
    if (this.#length + words <= this.#rows.length) return;
    const grown = new Float64Array(Math.max(this.#rows.length * 2, this.#length + words));
    grown.set(this.#rows.subarray(0, this.#length));
    this.#rows = grown;
  }
}
