/**
 * @module netns
 * Re-exports testing/netns.ts, which bench/ also uses (tests keep importing it from here).
 */
export * from "../../testing/netns.ts";
