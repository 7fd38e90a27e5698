/**
 * @module failure_budget
 * Token buckets of failed token checks, one per client address (IPv6 by /64, which one
 * subscriber usually holds whole): a burst, then a steady rate. A client whose bucket is empty
 * is refused before its token is compared, the right one included: answering a right guess
 * while refusing wrong ones would tell the guesser when it hit. State is bounded: at most
 * `maxClients` buckets, the least recently failing one dropped first, and a bucket that has
 * refilled is dropped as it is the same as none.
 */

/** Options of FailureBudgets. */
export interface FailureBudgetOptions {
  /** Failures allowed per second and client in the long run. */
  perSecond: number;
  /** Failures allowed at once after a quiet period (default 10). */
  burst?: number;
  /** Clients tracked at most (default 4096). */
  maxClients?: number;
  /** The clock, in milliseconds (default performance.now). */
  now?: () => number;
}

interface Bucket {
  available: number;
  updatedAt: number;
}

/** Per-client failure budgets. */
export class FailureBudgets {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    { perSecond, burst = 10, maxClients = 4096, now = () => performance.now() }:
      FailureBudgetOptions,
  ) {
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#maxClients = maxClients;
    this.#now = now;
  }

  /** True when `address` may have its token checked now (its budget holds one more failure). */
  allows(address: string): boolean {
    return this.#refilled(clientKey(address)) >= 1;
  }

  /** Spends one failure of `address`'s budget. */
  fail(address: string): void {
    const key = clientKey(address);
    const available = this.#refilled(key) - 1;
    this.#buckets.delete(key); // re-inserted last: the map's order is the drop order
    if (this.#buckets.size >= this.#maxClients) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    this.#buckets.set(key, { available, updatedAt: this.#now() });
  }

  /** Whole seconds until `address` may try again (for Retry-After). */
  retryAfterS(address: string): number {
    const missing = 1 - this.#refilled(clientKey(address));
    return Math.max(1, Math.ceil(missing / this.#perMs / 1000));
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return this.#burst;
    const available = bucket.available + (this.#now() - bucket.updatedAt) * this.#perMs;
    if (available < this.#burst) return available;
    this.#buckets.delete(key);
    return this.#burst;
  }
}

/** The key of a client: its IPv4 address, or the /64 of its IPv6 address. */
export function clientKey(address: string): string {
  if (!address.includes(":")) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}
