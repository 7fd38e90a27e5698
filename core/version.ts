/**
 * @module version
 * The program's version.
 */

/** The program's version, printed by --version and written into records. */
export const VERSION = "0.1.0";
