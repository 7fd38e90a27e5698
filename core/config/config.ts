/**
 * @module config
 * Every tunable of Anomaly as a documented key with its default, its allowed values and its
 * tradeoff. The README's configuration table is generated from `CONFIG_KEYS`, and a config file
 * is validated against it: an unknown key or a bad value is refused with a message naming both.
 */
import { parseCidr } from "../packet/ip_address.ts";
import { DEFAULT_HOME_NETWORKS } from "../packet/direction.ts";
import { DETECTION_KEYS } from "../detect/detect_keys.ts";
import { UI_KEYS } from "./ui_keys.ts";
import { CAPTURE_KEYS } from "./capture_keys.ts";
import { PCAP_KEYS } from "./pcap_keys.ts";
import { OUTPUT_KEYS } from "../outputs/output_keys.ts";
import { STORE_KEYS } from "./store_keys.ts";
import { RECORD_KEYS } from "./record_keys.ts";
import { ConfigError } from "./config_error.ts";
import { flattenKeys } from "./config_flatten.ts";
import { readConfigJson } from "./config_file.ts";
import type { KeySpec, NetworkOverride } from "./config_spec.ts";

export { ConfigError };
export type { KeyKind, KeySpec, NetworkOverride } from "./config_spec.ts";

const MIB = 1024 * 1024;

/** All keys: the general ones here, then detection's (core/detect/detect_keys.ts). */
export const CONFIG_KEYS: KeySpec[] = [
  {
    key: "home_networks",
    kind: "cidrs",
    default: DEFAULT_HOME_NETWORKS,
    doc: "Networks counted as local when deciding incoming/outgoing (live captures add the " +
      "host's own addresses). Too wide and outside traffic looks internal; too narrow and " +
      "internal traffic looks incoming.",
  },
  {
    key: "stats.interval_s",
    kind: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    doc: "Seconds of packet time between stats records. Shorter gives finer history in the " +
      "SIEM and a larger records file.",
  },
  {
    key: "log.max_bytes",
    kind: "integer",
    default: 100 * MIB,
    min: 4096,
    max: 1024 ** 4,
    doc: "Size at which network_activity.jsonl is rotated to .1. Larger files mean fewer " +
      "rotations; smaller ones bound the disk used to max_bytes x (max_files + 1).",
  },
  {
    key: "log.max_files",
    kind: "integer",
    default: 5,
    min: 0,
    max: 1000,
    doc: "Rotated records files kept (.1 newest). 0 keeps none: the old file is deleted.",
  },
  {
    key: "summary.max_hosts",
    kind: "integer",
    default: 10_000,
    min: 16,
    max: 10_000_000,
    doc: "Hosts tracked per side for top talkers. More costs ~150 B each; fewer makes top " +
      "talkers approximate sooner under many hosts (evictions are counted).",
  },
  {
    key: "summary.exact_distinct_cap",
    kind: "integer",
    default: 100_000,
    min: 0,
    max: 10_000_000,
    doc: "Distinct addresses counted exactly before switching to a HyperLogLog estimate " +
      "(~1.6 % error, fixed 4 KiB). Higher is exact longer at ~50 B per address.",
  },
  {
    key: "summary.series_seconds",
    kind: "integer",
    default: 300,
    min: 10,
    max: 86_400,
    doc: "Seconds of per-second packet/byte history kept for the chart.",
  },
  {
    key: "summary.top_n",
    kind: "integer",
    default: 10,
    min: 1,
    max: 1000,
    doc: "Entries in each top-N list of the summary.",
  },
  {
    key: "summary.watched_hosts",
    kind: "integer",
    default: 32,
    min: 0,
    max: 1024,
    doc: "Hosts given top peers and service ports (GET /api/hosts/{ip}): each host named by an " +
      "alert when it starts, and each host opened in the UI, from then on; the one watched " +
      "longest ago makes room. Each costs ~2 KiB and a scan of the watched hosts per packet " +
      "to or from it; 0 turns the detail off.",
  },
  ...CAPTURE_KEYS,
  ...PCAP_KEYS,
  ...STORE_KEYS,
  ...RECORD_KEYS,
  ...UI_KEYS,
  ...OUTPUT_KEYS,
  ...DETECTION_KEYS,
];

/** A validated configuration: values by dotted key. */
export type Config = ReadonlyMap<string, KeySpec["default"]>;

/** The defaults of every key. */
export function defaultConfig(): Map<string, KeySpec["default"]> {
  return new Map(CONFIG_KEYS.map((k) => [k.key, k.default]));
}

/** Reads a number key. */
export function num(config: Config, key: string): number {
  const v = config.get(key);
  if (typeof v !== "number") throw new TypeError(`Config key "${key}" is not a number`);
  return v;
}

/** Reads a list key (cidrs or ports). */
export function list<T extends string | number>(config: Config, key: string): readonly T[] {
  const v = config.get(key);
  if (!Array.isArray(v)) throw new TypeError(`Config key "${key}" is not a list`);
  return v as T[];
}

/** Reads a boolean key. */
export function flag(config: Config, key: string): boolean {
  return config.get(key) === true;
}

/**
 * Applies `overrides` (a nested JSON object as read from a config file, or dotted keys) on top
 * of `base`, validating each value against its spec.
 */
export function applyOverrides(
  base: Map<string, KeySpec["default"]>,
  overrides: unknown,
): Map<string, KeySpec["default"]> {
  const out = new Map(base);
  for (const [key, value] of flattenKeys(overrides, { isKey })) {
    const spec = CONFIG_KEYS.find((k) => k.key === key);
    if (spec === undefined) {
      throw new ConfigError(`Unknown config key "${key}" (see --print-config for the keys)`);
    }
    out.set(key, validate(spec, value));
  }
  return out;
}

function isKey(key: string): boolean {
  return CONFIG_KEYS.some((spec) => spec.key === key);
}

/** Checks one value against its spec; returns it normalised. */
export function validate(spec: KeySpec, value: unknown): KeySpec["default"] {
  const normalised = validateKind(spec, value);
  const problem = spec.check?.(normalised as never) ?? null;
  if (problem !== null) {
    throw new ConfigError(`Bad value ${shown(value)} for "${spec.key}": ${problem}`);
  }
  return normalised;
}

function validateKind(spec: KeySpec, value: unknown): KeySpec["default"] {
  const fail = (allowed: string): never => {
    throw new ConfigError(`Bad value ${shown(value)} for "${spec.key}": ${allowed}`);
  };
  const range = spec.min !== undefined ? ` from ${spec.min} to ${spec.max}` : "";
  switch (spec.kind) {
    case "integer":
      if (!Number.isInteger(value)) fail(`expected a whole number${range}`);
      return checkRange(spec, value as number, fail, range);
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) fail(`expected a number${range}`);
      return checkRange(spec, value as number, fail, range);
    case "boolean":
      if (typeof value !== "boolean") fail("expected true or false");
      return value as boolean;
    case "cidrs":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !parseCidr(v))) {
        fail('expected a list of addresses or CIDR blocks, e.g. ["10.0.0.0/8", "fd00::/8"]');
      }
      return (value as string[]).map((v) => v.trim());
    case "ports":
      if (!Array.isArray(value) || value.some((v) => !Number.isInteger(v) || v < 0 || v > 65535)) {
        fail("expected a list of port numbers from 0 to 65535");
      }
      return [...new Set(value as number[])].sort((a, b) => a - b);
    case "network_overrides":
      if (!Array.isArray(value)) fail(NETWORK_OVERRIDES_SHAPE);
      return (value as unknown[]).map((entry, i) => networkOverride(spec.key, entry, i));
    case "string":
      if (typeof value !== "string") fail("expected a string");
      return value as string;
    case "strings":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
        fail('expected a list of strings, e.g. ["alert"]');
      }
      return [...(value as string[])];
    case "string_map":
      if (!isStringMap(value)) fail('expected an object of strings, e.g. {"X-Token": "abc"}');
      return { ...(value as Record<string, string>) };
  }
}

const NETWORK_OVERRIDES_SHAPE = 'expected a list of {"networks": ["10.0.0.0/24"], ' +
  '"detect.port_scan.threshold": 100, ...}';

/** Validates one entry of a network_overrides key. */
function networkOverride(key: string, entry: unknown, index: number): NetworkOverride {
  const where = `"${key}" entry ${index + 1}`;
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw new ConfigError(`Bad value for ${where}: ${NETWORK_OVERRIDES_SHAPE}`);
  }
  const { networks, ...rest } = entry as Record<string, unknown>;
  if (!Array.isArray(networks) || networks.length === 0) {
    throw new ConfigError(`Bad value for ${where}: "networks" must list addresses or CIDR blocks`);
  }
  const cidrs = validate(
    { key: `${key}[${index}].networks`, kind: "cidrs", default: [], doc: "" },
    networks,
  ) as string[];
  const values: Record<string, number> = {};
  for (const [path, value] of flattenKeys(rest, { isKey, context: where })) {
    const spec = CONFIG_KEYS.find((k) => k.key === path);
    if (spec === undefined || spec.perNetwork !== true) {
      throw new ConfigError(
        `Bad key "${path}" in ${where}: only these thresholds can be set per network: ` +
          CONFIG_KEYS.filter((k) => k.perNetwork).map((k) => k.key).join(", "),
      );
    }
    values[path] = validate(spec, value) as number;
  }
  if (Object.keys(values).length === 0) {
    throw new ConfigError(`Bad value for ${where}: it sets no threshold`);
  }
  return { networks: cidrs, ...values };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
}

/** A value as the user wrote it, for a message: JSON, but 1e400 as Infinity, and cut short. */
function shown(value: unknown): string {
  const text = typeof value === "number" && !Number.isFinite(value)
    ? String(value)
    : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkRange(
  spec: KeySpec,
  value: number,
  fail: (allowed: string) => never,
  range: string,
): number {
  if (
    (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)
  ) {
    fail(`expected ${spec.kind === "integer" ? "a whole number" : "a number"}${range}`);
  }
  return value;
}

/**
 * Loads and validates a JSON config file on top of the defaults. The file is read as hostile
 * input (core/config/config_file.ts: regular files only, bounded size and depth, no duplicate keys);
 * every error is a one-line ConfigError naming the file.
 */
export function loadConfigFile(
  path: string,
  base = defaultConfig(),
): Map<string, KeySpec["default"]> {
  const parsed = readConfigJson(path);
  try {
    return applyOverrides(base, parsed);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`Config file "${path}": ${error.message}`);
  }
}

/** The effective config as a nested object (for --print-config). */
export function configAsObject(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of config) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return out;
}
