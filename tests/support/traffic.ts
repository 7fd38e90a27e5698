/**
 * @module traffic
 * Re-exports testing/traffic.ts, which bench/ also uses (tests keep importing it from here).
 */
export * from "../../testing/traffic.ts";
