/**
 * @module evidence_text
 * Small formatting helpers shared by the detectors' evidence sentences.
 */

/** Elapsed time for sentences: tenths below 10 s, whole seconds above. */
export function seconds(us: number): number {
  const s = us / 1e6;
  return s < 10 ? Math.round(s * 10) / 10 : Math.round(s);
}

/**
 * A count for a sentence: the evidence's true total on later records when it covers the
 * window's count ("1000", or "about 70000" past the exact limit), else the window's count, "at
 * least N" once it reached the window's `cap`.
 */
export function named(
  observed: number,
  cap: number,
  total?: { count: number; exact: boolean },
): string {
  if (total !== undefined && total.count >= observed) {
    return total.exact ? `${total.count}` : `about ${total.count}`;
  }
  return observed >= cap ? `at least ${observed}` : `${observed}`;
}
