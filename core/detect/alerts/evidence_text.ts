/**
 * @module evidence_text
 * Small formatting helpers shared by the detectors' evidence sentences.
 */

/** Elapsed time for sentences: tenths below 10 s, whole seconds above. */
export function seconds(us: number): number {
  const s = us / 1e6;
  return s < 10 ? Math.round(s * 10) / 10 : Math.round(s);
}
