/**
 * @module tcpdump
 * Re-exports testing/tcpdump.ts, which bench/ also uses (tests keep importing it from here).
 */
export * from "../../testing/tcpdump.ts";
