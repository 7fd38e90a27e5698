/**
 * @module output_address
 * Parsing of the outputs' addresses: a syslog address (udp://, tcp://, unix://) and a Redis URL.
 * Each error is a sentence with the fix, as the config check shows it.
 */

/** Where syslog messages go. */
export type SyslogAddress =
  | { transport: "udp" | "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** A Redis server and what to say on connecting. */
export interface RedisAddress {
  hostname: string;
  port: number;
  /** AUTH [username] password when given. */
  username: string;
  password: string;
  /** SELECT db when above 0. */
  db: number;
}

/** Syslog facility codes (RFC 5424 section 6.2.1). */
export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

const SYSLOG_FORMS = "udp://host:port, tcp://host:port or unix:///dev/log";

/** Parses `udp://host:port`, `tcp://host:port` or `unix:///path`; throws naming the forms. */
export function parseSyslogAddress(text: string): SyslogAddress {
  const unix = /^unix:\/\/(\/.+)$/.exec(text);
  if (unix !== null) return { transport: "unix", path: unix[1]! };
  const match = /^(udp|tcp):\/\/(.+)$/.exec(text);
  const hostPort = match === null ? null : parseHostPort(match[2]!);
  if (match === null || hostPort === null) {
    throw new Error(`expected ${SYSLOG_FORMS}`);
  }
  return { transport: match[1] as "udp" | "tcp", ...hostPort };
}

/** Parses `redis://[user:password@]host[:port][/db]`; throws naming the form. */
export function parseRedisUrl(text: string): RedisAddress {
  const form = "expected redis://host:port (or redis://:password@host:port/db)";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(form);
  }
  const db = url.pathname === "" || url.pathname === "/" ? 0 : Number(url.pathname.slice(1));
  if (url.protocol !== "redis:" || url.hostname === "" || !Number.isInteger(db) || db < 0) {
    throw new Error(form);
  }
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 6379 : Number(url.port),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    db,
  };
}

/** `host:port` or `[v6]:port` with a port from 1 to 65535, or null. */
function parseHostPort(text: string): { hostname: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]/]+)):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { hostname: match[1] ?? match[2]!, port };
}
