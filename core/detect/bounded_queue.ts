/**
 * @module bounded_queue
 * A first-in first-out queue with a hard cap, on a ring of slots that grows by doubling up to
 * the cap. Pushing onto a full queue drops the oldest item (counted). A slot is cleared when its
 * item leaves, so the queue never keeps an item alive after it is gone from it: an array with a
 * moving head kept up to twice the cap of dropped items reachable until it was compacted.
 */

const INITIAL_SLOTS = 256;

/** A capped FIFO queue. */
export class BoundedQueue<T> {
  #slots: (T | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;

  /** @param cap items kept at most */
  constructor(readonly cap: number) {
    this.#slots = new Array(Math.max(1, Math.min(cap, INITIAL_SLOTS)));
  }

  get size(): number {
    return this.#size;
  }

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds `item` at the back, dropping the oldest when the queue holds `cap` items. */
  push(item: T): void {
    if (this.#size >= this.cap) {
      this.shift();
      this.#dropped++;
    }
    if (this.#size === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#size) % this.#slots.length] = item;
    this.#size++;
  }

  /** The oldest item, or undefined when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#slots[this.#head];
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
    return item;
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Array<T | undefined>(Math.min(this.cap, old.length * 2));
    for (let i = 0; i < this.#size; i++) slots[i] = old[(this.#head + i) % old.length];
    this.#slots = slots;
    this.#head = 0;
  }
}
