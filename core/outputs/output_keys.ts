/**
 * @module output_keys
 * The documented config keys of the outputs beside the records file (syslog, Redis, a webhook,
 * an exec hook): each off by default, each with its own bounded queue. Addresses, URLs and modes
 * are checked here, so a bad one is refused at start (exit 2) with the fix in the message.
 */
import type { KeySpec } from "../config/config_spec.ts";
import { parseRedisUrl, parseSyslogAddress, SYSLOG_FACILITIES } from "./output_address.ts";

/** Record types an output can be given (EVE event_type). */
export const RECORD_TYPES = ["alert", "stats"] as const;

/** Redis output modes, as Suricata's: RPUSH, PUBLISH, XADD. */
export const REDIS_MODES = ["list", "channel", "stream"] as const;

/** The message of a parse function that throws, or null when it does not. */
function problemOf(parse: (text: string) => unknown): (value: string) => string | null {
  return (value) => {
    try {
      parse(value);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
}

function oneOf(choices: readonly string[]): (value: string) => string | null {
  return (value) => choices.includes(value) ? null : `expected one of ${choices.join(", ")}`;
}

function typesCheck(value: readonly string[]): string | null {
  const bad = value.filter((t) => !(RECORD_TYPES as readonly string[]).includes(t));
  return bad.length === 0
    ? null
    : `expected a list of record types among ${RECORD_TYPES.join(", ")}`;
}

function httpUrlCheck(value: string): string | null {
  if (value === "") return null; // checked with `enabled` (output_settings.ts)
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return null;
  } catch { /* below */ }
  return "expected an http:// or https:// URL, e.g. http://127.0.0.1:8000/alerts";
}

function enabledKey(name: string, what: string): KeySpec {
  return {
    key: `outputs.${name}.enabled`,
    kind: "boolean",
    default: false,
    doc: `Send records to ${what} as well as to network_activity.jsonl.`,
  };
}

/** The outputs' keys, spread into CONFIG_KEYS. */
export const OUTPUT_KEYS: KeySpec[] = [
  {
    key: "outputs.queue_size",
    kind: "integer",
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: "Records each output holds while its server is slow or down; beyond it new records " +
      "are dropped for that output (counted in stats records and /metrics), never waited for. " +
      "Larger rides out longer outages at ~1-2 KiB a record.",
  },
  {
    key: "outputs.flush_s",
    kind: "number",
    default: 5,
    min: 0,
    max: 300,
    doc: "Seconds the end of a capture waits for the outputs to send what they hold; what is " +
      "left then is counted as dropped. Longer delays Stop and exit when a server is down.",
  },
  {
    key: "outputs.retry_max_s",
    kind: "number",
    default: 5,
    min: 0.1,
    max: 300,
    doc: "Longest wait between reconnects (it doubles from 0.1 s up to this). Shorter notices " +
      "a server back sooner, at more connection attempts while it is down.",
  },
  enabledKey("syslog", "syslog (RFC 5424, the record's JSON line as the message)"),
  {
    key: "outputs.syslog.address",
    kind: "string",
    default: "unix:///dev/log",
    check: problemOf(parseSyslogAddress),
    doc: "udp://host:port, tcp://host:port (octet-counted frames, RFC 6587) or " +
      "unix:///dev/log (datagrams, the local syslog). UDP and the local socket are " +
      "unacknowledged: a record the server misses is counted as sent.",
  },
  {
    key: "outputs.syslog.facility",
    kind: "string",
    default: "local5",
    check: oneOf(Object.keys(SYSLOG_FACILITIES)),
    doc: "Syslog facility (Suricata's default, local5). Alerts go at severity warning, stats " +
      "at info.",
  },
  enabledKey("redis", "a Redis server"),
  {
    key: "outputs.redis.url",
    kind: "string",
    default: "redis://127.0.0.1:6379",
    check: problemOf(parseRedisUrl),
    doc: "redis://[user:password@]host:port[/db] of the server (AUTH and SELECT when given).",
  },
  {
    key: "outputs.redis.key",
    kind: "string",
    default: "anomaly",
    check: (value: string) => value === "" ? "expected a key name, e.g. anomaly" : null,
    doc: "The list, channel or stream the records go to.",
  },
  {
    key: "outputs.redis.mode",
    kind: "string",
    default: "list",
    check: oneOf(REDIS_MODES),
    doc: "list (RPUSH: a consumer pops them in order), channel (PUBLISH: only subscribers " +
      "connected at the time get them) or stream (XADD with field `eve`, trimmed to " +
      "outputs.redis.stream_maxlen).",
  },
  {
    key: "outputs.redis.stream_maxlen",
    kind: "integer",
    default: 100_000,
    min: 1,
    max: 1_000_000_000,
    doc: "Entries a stream keeps (XADD MAXLEN ~, Suricata's default). Longer keeps more " +
      "history in the server's memory.",
  },
  enabledKey("webhook", "an HTTP endpoint, one POST per record"),
  {
    key: "outputs.webhook.url",
    kind: "string",
    default: "",
    check: httpUrlCheck,
    doc: "Where each record is POSTed (Content-Type: application/json). Required when enabled.",
  },
  {
    key: "outputs.webhook.headers",
    kind: "string_map",
    default: {},
    doc: 'Extra request headers, e.g. {"Authorization": "Bearer TOKEN"}.',
  },
  {
    key: "outputs.webhook.types",
    kind: "strings",
    default: ["alert"],
    check: typesCheck,
    doc: "Record types posted: alert, stats. Alerts include their update and end records.",
  },
  {
    key: "outputs.webhook.retries",
    kind: "integer",
    default: 3,
    min: 0,
    max: 100,
    doc: "Retries of a POST that failed (no answer, 5xx, 408, 429), waiting 0.1 s, 0.2 s, " +
      "0.4 s... (at most outputs.retry_max_s) between them; then the record counts as failed. " +
      "Other 4xx answers fail at once.",
  },
  {
    key: "outputs.webhook.timeout_s",
    kind: "number",
    default: 10,
    min: 0.1,
    max: 300,
    doc: "Seconds a POST may take before it counts as a failed attempt.",
  },
  enabledKey("exec", "a command run for each alert start and end (FastNetMon's notify script)"),
  {
    key: "outputs.exec.command",
    kind: "strings",
    default: [],
    doc: 'The program and its arguments, e.g. ["/usr/local/bin/notify", "--ban"]: run ' +
      "directly, never through a shell, with the record's line on stdin. Required when enabled.",
  },
  {
    key: "outputs.exec.types",
    kind: "strings",
    default: ["alert"],
    check: typesCheck,
    doc: "Record types the command is run for: alert (start and end records, not updates), stats.",
  },
  {
    key: "outputs.exec.max_running",
    kind: "integer",
    default: 4,
    min: 1,
    max: 256,
    doc: "Commands running at once; more wait in the queue. Higher keeps up with alert storms " +
      "at the cost of that many processes.",
  },
  {
    key: "outputs.exec.timeout_s",
    kind: "number",
    default: 10,
    min: 0.1,
    max: 3600,
    doc: "Seconds a command may run before it is killed (SIGKILL) and counts as failed.",
  },
];
