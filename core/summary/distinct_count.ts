/**
 * @module distinct_count
 * Counts distinct addresses in fixed memory: exactly up to a cap, then by HyperLogLog
 * (2^12 registers, about 1.6 % standard error).
 */
import type { TableKey } from "../packet/host_key.ts";
import { mix32 } from "../packet/hash.ts";

const REGISTER_BITS = 12;
const REGISTERS = 1 << REGISTER_BITS;

/** Distinct-count estimator: exact while small, HyperLogLog once past `exactCap`. */
export class DistinctCounter {
  readonly #exact = new Set<TableKey>();
  readonly #registers = new Uint8Array(REGISTERS);
  #overflowed = false;

  constructor(readonly exactCap: number) {}

  /** Counts one occurrence of `key`. */
  add(key: TableKey): void {
    this.#addToSketch(typeof key === "number" ? key : hashString(key));
    if (this.#overflowed || this.#exact.has(key)) return;
    if (this.#exact.size >= this.exactCap) {
      this.#overflowed = true;
      this.#exact.clear();
      return;
    }
    this.#exact.add(key);
  }

  /** True while the count is exact. */
  get exact(): boolean {
    return !this.#overflowed;
  }

  /** The number of distinct keys (exact, or estimated once past the cap). */
  get count(): number {
    return this.#overflowed ? Math.round(this.#estimate()) : this.#exact.size;
  }

  #addToSketch(value: number): void {
    const h = mix32(value);
    const index = h >>> (32 - REGISTER_BITS);
    const rest = (h << REGISTER_BITS) | (1 << (REGISTER_BITS - 1));
    const rho = Math.clz32(rest) + 1;
    if (rho > this.#registers[index]!) this.#registers[index] = rho;
  }

  #estimate(): number {
    let sum = 0, zeros = 0;
    for (const r of this.#registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
    const raw = (alpha * REGISTERS * REGISTERS) / sum;
    if (raw <= 2.5 * REGISTERS && zeros > 0) return REGISTERS * Math.log(REGISTERS / zeros);
    return raw;
  }
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}
