/**
 * @module slot_queue
 * A first-in first-out queue of pool slots (small non-negative integers) with a hard cap, on an
 * Int32Array ring that doubles up to the cap: the connection tracker's pending attempts, in
 * arrival order, without an object per attempt. Pushing onto a full queue drops the oldest slot
 * (counted) and hands it back, so its owner can let the slot go.
 */

const INITIAL_SLOTS = 256;
const NONE = -1;

/** A capped FIFO of slot numbers. */
export class SlotQueue {
  #ring: Int32Array;
  #head = 0;
  #size = 0;
  #dropped = 0;

  /** @param cap slots kept at most */
  constructor(readonly cap: number) {
    this.#ring = new Int32Array(Math.max(1, Math.min(cap, INITIAL_SLOTS)));
  }

  get size(): number {
    return this.#size;
  }

  /** Slots dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds `slot` at the back; returns the oldest slot dropped to make room, or -1. */
  push(slot: number): number {
    let dropped = NONE;
    if (this.#size >= this.cap) {
      dropped = this.shift();
      this.#dropped++;
    }
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#size) % this.#ring.length] = slot;
    this.#size++;
    return dropped;
  }

  /** The oldest slot, or -1 when empty. */
  peek(): number {
    return this.#size === 0 ? NONE : this.#ring[this.#head]!;
  }

  /** Removes and returns the oldest slot (-1 when empty). */
  shift(): number {
    if (this.#size === 0) return NONE;
    const slot = this.#ring[this.#head]!;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#size--;
    return slot;
  }

  #grow(): void {
    const old = this.#ring;
    const ring = new Int32Array(Math.max(1, Math.min(this.cap, old.length * 2)));
    for (let i = 0; i < this.#size; i++) ring[i] = old[(this.#head + i) % old.length]!;
    this.#ring = ring;
    this.#head = 0;
  }
}
