/**
 * @module record_keys
 * The documented config keys of what every record says about where it comes from: the sensor's
 * name (`host`) and the seed of the alerts' Community ID (`community_id`).
 */
import type { KeySpec } from "./config_spec.ts";

/** The records' keys, spread into CONFIG_KEYS. */
export const RECORD_KEYS: KeySpec[] = [
  {
    key: "sensor.name",
    kind: "string",
    default: "",
    check: (value: string) =>
      value.length > 253
        ? "expected at most 253 characters (a host name's length)"
        : [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
        ? "expected no control characters (tabs, newlines)"
        : null,
    doc: 'Written as `host` on every record, to tell sensors apart in the SIEM. "" (the ' +
      "default) writes the machine's hostname; set a name when several sensors share one, or " +
      "when the hostname says nothing of where the sensor listens.",
  },
  {
    key: "community_id.seed",
    kind: "integer",
    default: 0,
    min: 0,
    max: 65_535,
    doc: "Seed of the alerts' `community_id` (Community ID v1). Keep the default 0 unless " +
      "every tool whose records you join with ours (Suricata, Zeek, tshark) uses the same " +
      "other seed: a different seed gives different IDs for the same flow.",
  },
];
