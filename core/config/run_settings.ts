/**
 * @module run_settings
 * The general config keys the run reads (records, summary, stats, capture, the UI's server) as
 * one typed, read-only object (`settings.summary.max_hosts`), built once per Config from the
 * validated map, as core/detect/settings.ts does for detection. RUN_KEYS names the keys it holds;
 * tests/core/config/run_settings_test.ts checks each is in it with its value, and nothing else.
 */
import { CAPTURE_KEYS } from "./capture_keys.ts";
import { type Config, CONFIG_KEYS, flag, list, num } from "./config.ts";
import type { KeySpec } from "./config_spec.ts";
import { UI_KEYS } from "./ui_keys.ts";

/** The general keys, nested as they are written. */
export interface RunSettings {
  readonly home_networks: readonly string[];
  readonly stats: { readonly interval_s: number };
  readonly log: { readonly max_bytes: number; readonly max_files: number };
  readonly summary: {
    readonly max_hosts: number;
    readonly exact_distinct_cap: number;
    readonly series_seconds: number;
    readonly top_n: number;
    readonly watched_hosts: number;
  };
  readonly capture: {
    readonly snaplen: number;
    readonly buffer_mib: number;
    readonly nice: number;
    readonly promiscuous: boolean;
  };
  readonly ui: {
    readonly max_connections: number;
    readonly header_timeout_s: number;
    readonly idle_timeout_s: number;
    readonly token_failures_per_s: number;
  };
}

/** The keys RunSettings holds: the general ones of config.ts, the capture's and the UI's. */
export const RUN_KEYS: readonly KeySpec[] = [
  ...CONFIG_KEYS.filter((spec) => /^(home_networks|stats\.|log\.|summary\.)/.test(spec.key)),
  ...CAPTURE_KEYS,
  ...UI_KEYS,
];

/** Built once per Config (a Config is never changed once validated). */
const BUILT = new WeakMap<Config, RunSettings>();

/** The run's settings under `config`. */
export function runSettings(config: Config): RunSettings {
  let settings = BUILT.get(config);
  if (settings === undefined) {
    settings = deepFreeze(build(config));
    BUILT.set(config, settings);
  }
  return settings;
}

function build(config: Config): RunSettings {
  const n = (key: string) => num(config, key);
  return {
    home_networks: [...list<string>(config, "home_networks")],
    stats: { interval_s: n("stats.interval_s") },
    log: { max_bytes: n("log.max_bytes"), max_files: n("log.max_files") },
    summary: {
      max_hosts: n("summary.max_hosts"),
      exact_distinct_cap: n("summary.exact_distinct_cap"),
      series_seconds: n("summary.series_seconds"),
      top_n: n("summary.top_n"),
      watched_hosts: n("summary.watched_hosts"),
    },
    capture: {
      snaplen: n("capture.snaplen"),
      buffer_mib: n("capture.buffer_mib"),
      nice: n("capture.nice"),
      promiscuous: flag(config, "capture.promiscuous"),
    },
    ui: {
      max_connections: n("ui.max_connections"),
      header_timeout_s: n("ui.header_timeout_s"),
      idle_timeout_s: n("ui.idle_timeout_s"),
      token_failures_per_s: n("ui.token_failures_per_s"),
    },
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return Object.freeze(value);
}
