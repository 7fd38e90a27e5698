/**
 * @module output_settings
 * The outputs' config keys read once into typed settings, with the checks that span two keys
 * (an output enabled without its URL or command): `outputSettings()` throws a ConfigError, which
 * main.ts turns into a one-line message and exit 2.
 */
import { type Config, ConfigError, flag, list, num } from "../config/config.ts";
import {
  parseRedisUrl,
  parseSyslogAddress,
  type RedisAddress,
  SYSLOG_FACILITIES,
  type SyslogAddress,
} from "./output_address.ts";
import type { RedisTarget } from "./redis_output.ts";
import { syslogHostname } from "./syslog_output.ts";

/** Every output's settings; an output that is off is null. */
export interface OutputSettings {
  queueSize: number;
  flushMs: number;
  retryMaxMs: number;
  syslog: {
    address: SyslogAddress;
    label: string;
    facility: number;
    /** HOSTNAME of each message: `sensor.name` (or the machine's hostname), as RFC 5424 allows. */
    hostname: string;
  } | null;
  redis: { address: RedisAddress; label: string; target: RedisTarget } | null;
  webhook: {
    url: string;
    headers: Readonly<Record<string, string>>;
    types: readonly string[];
    retries: number;
    timeoutMs: number;
  } | null;
  exec: {
    command: readonly string[];
    types: readonly string[];
    maxRunning: number;
    timeoutMs: number;
  } | null;
}

function text(config: Config, key: string): string {
  const value = config.get(key);
  if (typeof value !== "string") throw new TypeError(`Config key "${key}" is not a string`);
  return value;
}

/** The outputs' settings from `config`; throws a ConfigError for an enabled output it lacks. */
export function outputSettings(config: Config): OutputSettings {
  return {
    queueSize: num(config, "outputs.queue_size"),
    flushMs: num(config, "outputs.flush_s") * 1000,
    retryMaxMs: num(config, "outputs.retry_max_s") * 1000,
    syslog: flag(config, "outputs.syslog.enabled")
      ? {
        address: parseSyslogAddress(text(config, "outputs.syslog.address")),
        label: `syslog ${text(config, "outputs.syslog.address")}`,
        facility: SYSLOG_FACILITIES[text(config, "outputs.syslog.facility")]!,
        // The records' `host`: "" (the default, or a Config without the key) is the hostname.
        hostname: syslogHostname(String(config.get("sensor.name") ?? "")),
      }
      : null,
    redis: flag(config, "outputs.redis.enabled")
      ? {
        address: parseRedisUrl(text(config, "outputs.redis.url")),
        label: `redis ${redactedUrl(text(config, "outputs.redis.url"))}`,
        target: {
          key: text(config, "outputs.redis.key"),
          mode: text(config, "outputs.redis.mode") as RedisTarget["mode"],
          streamMaxLen: num(config, "outputs.redis.stream_maxlen"),
        },
      }
      : null,
    webhook: flag(config, "outputs.webhook.enabled") ? webhookSettings(config) : null,
    exec: flag(config, "outputs.exec.enabled") ? execSettings(config) : null,
  };
}

function webhookSettings(config: Config): OutputSettings["webhook"] {
  const url = text(config, "outputs.webhook.url");
  if (url === "") {
    throw new ConfigError(
      '"outputs.webhook.enabled" is true but "outputs.webhook.url" is empty: set the URL ' +
        "records are posted to, e.g. http://127.0.0.1:8000/alerts",
    );
  }
  return {
    url,
    headers: config.get("outputs.webhook.headers") as Record<string, string>,
    types: list<string>(config, "outputs.webhook.types"),
    retries: num(config, "outputs.webhook.retries"),
    timeoutMs: num(config, "outputs.webhook.timeout_s") * 1000,
  };
}

function execSettings(config: Config): OutputSettings["exec"] {
  const command = list<string>(config, "outputs.exec.command");
  if (command.length === 0 || command[0] === "") {
    throw new ConfigError(
      '"outputs.exec.enabled" is true but "outputs.exec.command" is empty: set the program ' +
        'and its arguments, e.g. ["/usr/local/bin/notify"]',
    );
  }
  return {
    command,
    types: list<string>(config, "outputs.exec.types"),
    maxRunning: num(config, "outputs.exec.max_running"),
    timeoutMs: num(config, "outputs.exec.timeout_s") * 1000,
  };
}

/** A URL without its password, for messages. */
function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
