/**
 * @module pool_order
 * The order and free list of a pool of slots, on two Int32Arrays: slots in use form a doubly
 * linked list from least to most recently moved (the eviction order), unused ones a free list
 * chained through `next`. Shared by KeyedState (entries as objects) and ExchangeTable (entries
 * as typed columns), so moving an entry is four writes and nothing is allocated.
 */

/** No slot. */
export const NONE = -1;

/** The linked order and the free list of a pool of slots. */
export class PoolOrder {
  prev = new Int32Array(0);
  next = new Int32Array(0);
  /** Least recently moved slot in use. */
  head = NONE;
  /** Most recently moved slot in use. */
  tail = NONE;
  /** First unused slot. */
  free = NONE;

  /** Takes an unused slot off the free list; NONE when there is none. */
  take(): number {
    const i = this.free;
    if (i !== NONE) this.free = this.next[i]!;
    return i;
  }

  /** Puts an unlinked slot back on the free list. */
  release(i: number): void {
    this.next[i] = this.free;
    this.free = i;
  }

  linkAtBack(i: number): void {
    this.prev[i] = this.tail;
    this.next[i] = NONE;
    if (this.tail === NONE) this.head = i;
    else this.next[this.tail] = i;
    this.tail = i;
  }

  unlink(i: number): void {
    const prev = this.prev[i]!, next = this.next[i]!;
    if (prev === NONE) this.head = next;
    else this.next[prev] = next;
    if (next === NONE) this.tail = prev;
    else this.prev[next] = prev;
  }

  moveToBack(i: number): void {
    if (this.tail === i) return;
    this.unlink(i);
    this.linkAtBack(i);
  }

  /** Grows from `old` to `size` slots; the new ones join the free list, lowest first. */
  grow(old: number, size: number): void {
    this.prev = resized(this.prev, new Int32Array(size));
    this.next = resized(this.next, new Int32Array(size));
    for (let i = size - 1; i >= old; i--) this.release(i);
  }
}

function resized<T extends Int32Array>(from: T, to: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)));
  return to;
}
