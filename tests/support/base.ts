/**
 * @module base
 * What every test shares: the repository root and the packet-time base of its fixtures, in one
 * place (the detector, CLI and UI tests each had their own copy).
 */

/** The repository root, where main.ts lives (ends with "/"). */
export const REPO_ROOT = decodeURIComponent(new URL("../..", import.meta.url).pathname);

/** Packet time zero of the tests' fixtures, µs: 2023-11-14T22:13:20Z. */
export const T0_US = 1_700_000_000_000_000;

/** One second of packet time, µs. */
export const SECOND_US = 1_000_000;
