/**
 * @module ui_keys
 * The documented config keys of the web UI's HTTP server: how many connections it holds, how
 * long a client may take over its headers or sit idle, and how fast wrong tokens are answered.
 * They bound what a hostile client can cost (open files, memory, guesses per second).
 */
import type { KeySpec } from "./config_spec.ts";

/** The UI's keys, spread into CONFIG_KEYS. */
export const UI_KEYS: KeySpec[] = [
  {
    key: "ui.max_connections",
    kind: "integer",
    default: 256,
    min: 8,
    max: 65_536,
    doc: "Connections the UI holds at once (also kept 128 below the open-file limit). A new " +
      "one beyond it closes the oldest connection with no request in flight, so idle clients " +
      "cannot lock the UI out. Each costs one open file and a few KiB.",
  },
  {
    key: "ui.header_timeout_s",
    kind: "integer",
    default: 10,
    min: 1,
    max: 300,
    doc: "Seconds a client has to send a request's headers before its connection is closed. " +
      "Longer tolerates very slow links; shorter frees slots held by stalled clients sooner.",
  },
  {
    key: "ui.idle_timeout_s",
    kind: "integer",
    default: 5,
    min: 1,
    max: 3600,
    doc: "Seconds an idle keep-alive connection stays open between requests. Longer saves " +
      "reconnects; shorter frees connections sooner.",
  },
  {
    key: "ui.token_failures_per_s",
    kind: "number",
    default: 2,
    min: 0.1,
    max: 1000,
    doc: "Wrong or missing tokens answered per second and client address (IPv6 by /64), after " +
      "a burst of 10; beyond it the client gets 429 before its token is even compared. Bounds " +
      "token guessing; clients that never fail are never slowed.",
  },
];
