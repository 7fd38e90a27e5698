/**
 * @module traffic_series
 * Packets and bytes per second of packet time over a fixed window (a ring buffer).
 */

/** One second of the series. */
export interface SeriesPoint {
  /** Unix second of packet time. */
  t: number;
  packets: number;
  bytes: number;
}

/** A ring of per-second counters covering the last `seconds` seconds of packet time. */
export class TrafficSeries {
  readonly #second: Float64Array;
  readonly #packets: Float64Array;
  readonly #bytes: Float64Array;
  #latest = -1;
  #latestSlot = 0;

  constructor(readonly seconds: number) {
    this.#second = new Float64Array(seconds).fill(-1);
    this.#packets = new Float64Array(seconds);
    this.#bytes = new Float64Array(seconds);
  }

  /** Adds `packets` (default one) of `bytes` in all at Unix second `second`. */
  add(second: number, bytes: number, packets = 1): void {
    if (second === this.#latest) {
      const slot = this.#latestSlot;
      this.#packets[slot]! += packets;
      this.#bytes[slot]! += bytes;
      return;
    }
    const slot = second % this.seconds;
    if (this.#second[slot] !== second) {
      if (second < this.#second[slot]!) return; // older than the window: dropped
      this.#second[slot] = second;
      this.#packets[slot] = 0;
      this.#bytes[slot] = 0;
    }
    this.#packets[slot]! += packets;
    this.#bytes[slot]! += bytes;
    if (second > this.#latest) {
      this.#latest = second;
      this.#latestSlot = slot;
    }
  }

  /** The last `count` seconds up to the latest packet (or `until`), gaps filled with zeros. */
  points(count = this.seconds, until = this.#latest): SeriesPoint[] {
    if (until < 0) return [];
    const span = Math.min(count, this.seconds);
    const out: SeriesPoint[] = [];
    for (let t = until - span + 1; t <= until; t++) {
      const slot = ((t % this.seconds) + this.seconds) % this.seconds;
      const here = this.#second[slot] === t;
      out.push({
        t,
        packets: here ? this.#packets[slot]! : 0,
        bytes: here ? this.#bytes[slot]! : 0,
      });
    }
    return out;
  }
}
