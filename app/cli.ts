/**
 * @module cli
 * The command line, parsed with node:util parseArgs. This is a contract users' scripts rely on:
 * options are added, never renamed.
 */
import { parseArgs } from "node:util";
import { parseAddress } from "../core/packet/ip_address.ts";

/** Raised for a bad command line; main.ts prints the message and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The parsed command line. */
export interface CliOptions {
  read?: string;
  interface?: string;
  filter?: string;
  logDir: string;
  durationS?: number;
  noUi: boolean;
  listInterfaces: boolean;
  version: boolean;
  help: boolean;
  config?: string;
  printConfig: boolean;
  /** Where the web UI listens (default 127.0.0.1:8080). */
  listen: ListenAddress;
  /** True when --listen was given. */
  listenGiven: boolean;
  /** Start capturing as soon as the UI is up. */
  start: boolean;
  /** The API token (--token); ANOMALY_TOKEN is read by main.ts. */
  token?: string;
  /** Config overrides from the detection flags, by config key. */
  overrides: Record<string, unknown>;
}

/** A host and port to listen on; `port` 0 picks a free one. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** The UI's address when --listen is not given. */
export const DEFAULT_LISTEN: ListenAddress = { hostname: "127.0.0.1", port: 8080 };

/** Detection flags: each sets one config key (and is validated as that key). */
const DETECTION_FLAGS = {
  "packets-per-second": "detect.high_packet_rate.packets_per_second",
  "unique-connections": "detect.unique_connections.threshold",
  "common-ports": "detect.unusual_port.tcp_ports",
} as const;

const OPTIONS = {
  read: { type: "string", short: "r" },
  interface: { type: "string", short: "i" },
  filter: { type: "string", short: "f" },
  "log-dir": { type: "string" },
  duration: { type: "string" },
  "no-ui": { type: "boolean" },
  listen: { type: "string" },
  start: { type: "boolean" },
  token: { type: "string" },
  "list-interfaces": { type: "boolean" },
  version: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  config: { type: "string" },
  "print-config": { type: "boolean" },
  "packets-per-second": { type: "string" },
  "unique-connections": { type: "string" },
  "common-ports": { type: "string" },
} as const;

export const HELP = `Anomaly: a network anomaly detector (live capture or pcap/pcapng files)

Usage: anomaly [options]

By default Anomaly serves its web UI on http://127.0.0.1:8080 and waits for Start there.

  -r, --read FILE          analyse a pcap or pcapng file as fast as it can be read (the UI
                           shows the results; with --no-ui it exits when done)
  -i, --interface NAME     capture live on NAME (default: the first up, non-loopback device
                           with an address; "any" captures on all devices)
  -f, --filter EXPR        BPF filter, tcpdump syntax (e.g. "tcp or udp"); "" keeps everything
      --log-dir DIR        where network_activity.jsonl and anomaly.log go (default: log)
      --duration SECONDS   stop a live capture after SECONDS (e.g. 30 or 2.5; above 0, at most
                           31536000, one year)
      --listen HOST:PORT   where the web UI listens (default 127.0.0.1:8080; port 0 picks a
                           free one). Any address other than loopback needs a token
      --start              start capturing as soon as the UI is up (default: wait for Start)
      --token TOKEN        token every API call must carry (Authorization: Bearer TOKEN);
                           also read from ANOMALY_TOKEN. Required off loopback
      --no-ui              headless: no web UI; --read exits when the file is done, a live
                           capture runs until Ctrl-C or --duration
      --config FILE        JSON file of config keys (see the README's configuration table)
      --packets-per-second N   high_packet_rate threshold: packets one source may send
                           in 1 s (default 100)
      --unique-connections N   unique_connections threshold: distinct (host, port,
                           protocol) one source may open in 60 s (default 50)
      --common-ports LIST  TCP ports that never raise unusual_port, comma-separated
                           (default 80,443,22,21,25,110,445)
      --print-config       print the effective config as JSON and exit
      --list-interfaces    list capture devices with their addresses and exit
      --version            print the version and exit
  -h, --help               print this help and exit

Exit codes: 0 done, 1 runtime error (file, device, permission, log directory), 2 usage error.`;

/** Parses `args` (without the program name). */
export function parseCli(args: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(usageMessage(error, args));
  }
  refuseRepeatedValues(parsed.tokens);
  const v = parsed.values;
  const options: CliOptions = {
    logDir: v["log-dir"] ?? "log",
    noUi: v["no-ui"] ?? false,
    listInterfaces: v["list-interfaces"] ?? false,
    version: v.version ?? false,
    help: v.help ?? false,
    printConfig: v["print-config"] ?? false,
    listen: v.listen === undefined ? { ...DEFAULT_LISTEN } : parseListen(v.listen),
    listenGiven: v.listen !== undefined,
    start: v.start ?? false,
    overrides: detectionOverrides(v),
  };
  if (v.read !== undefined) options.read = nonEmpty("--read", v.read);
  if (v.interface !== undefined) options.interface = nonEmpty("--interface", v.interface);
  if (v.filter !== undefined) options.filter = v.filter;
  if (v.token !== undefined) options.token = nonEmpty("--token", v.token);
  if (v.config !== undefined) options.config = nonEmpty("--config", v.config);
  if (v["log-dir"] !== undefined) nonEmpty("--log-dir", v["log-dir"]);
  if (v.duration !== undefined) options.durationS = parseDuration(v.duration);
  if (options.read !== undefined && options.interface !== undefined) {
    throw new UsageError(
      "--read and --interface cannot be used together: choose a file or a device",
    );
  }
  if (options.read !== undefined && options.durationS !== undefined) {
    throw new UsageError("--duration applies to live captures only: drop it when using --read");
  }
  if (options.noUi) {
    const uiOnly = [["--listen", options.listenGiven], ["--start", options.start], [
      "--token",
      options.token !== undefined,
    ]] as const;
    for (const [name, given] of uiOnly) {
      if (given) {
        throw new UsageError(`${name} applies to the web UI: drop it or drop --no-ui`);
      }
    }
  }
  return options;
}

/** Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (loopback). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:\[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new UsageError(
      `Bad --listen "${text}": expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080 or [::1]:0`,
    );
  }
  const hostname = match[1] ?? (match[2] || DEFAULT_LISTEN.hostname);
  // An address literal must be a real address ("[1::2::3]", "999.0.0.1" are not); names are
  // resolved when the UI starts.
  const literal = match[1] !== undefined || /^[\d.]+$/.test(hostname);
  if (literal && parseAddress(hostname) === null) {
    throw new UsageError(
      `Bad --listen "${text}": "${hostname}" is not an IP address ` +
        `(give e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080)`,
    );
  }
  return { hostname, port };
}

/**
 * parseArgs keeps the last of a repeated option silently: `--config a.json --config b.json`
 * would read b.json only, and `--packets-per-second 5 --packets-per-second 7` would be 7.
 * Which one the user meant is a guess, so a value option given twice is refused.
 */
function refuseRepeatedValues(tokens: ReturnType<typeof parseArgs>["tokens"]): void {
  const seen = new Map<string, string>();
  for (const token of tokens ?? []) {
    if (token.kind !== "option" || token.value === undefined) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) {
      // A token is never echoed: stderr often ends up in logs.
      const values = token.name === "token" ? "" : ` ("${earlier}" and "${token.value}")`;
      throw new UsageError(`--${token.name} is given twice${values}: give it once`);
    }
    seen.set(token.name, token.value);
  }
}

function detectionOverrides(values: Record<string, unknown>): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [flagName, key] of Object.entries(DETECTION_FLAGS)) {
    const text = values[flagName];
    if (typeof text !== "string") continue;
    overrides[key] = flagName === "common-ports" ? parsePortList(text) : parseCount(flagName, text);
  }
  return overrides;
}

function parseCount(flagName: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 100_000_000) {
    throw new UsageError(
      `Bad --${flagName} "${text}": expected a whole number from 1 to 100000000`,
    );
  }
  return value;
}

function parsePortList(text: string): number[] {
  // An empty entry ("80,,443", "80,") is refused too: it is likely a port left out.
  const parts = text.split(",").map((p) => p.trim());
  const ports = parts.map(Number);
  if (parts.some((p, i) => !/^\d+$/.test(p) || ports[i]! > 65535)) {
    throw new UsageError(
      `Bad --common-ports "${text}": expected port numbers from 0 to 65535 separated by commas, e.g. 80,443,22`,
    );
  }
  return ports;
}

function nonEmpty(name: string, value: string): string {
  if (value.trim() === "") throw new UsageError(`${name} needs a value (see --help)`);
  return value;
}

function parseDuration(text: string): number {
  const seconds = Number(text);
  // Plain decimals only: Number() would also take "0x10", "1e3" and "Infinity".
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(text) || seconds <= 0 || seconds > 31_536_000) {
    throw new UsageError(
      `Bad --duration "${text}": expected a number of seconds greater than 0 ` +
        `(at most one year, 31536000), e.g. 30 or 2.5`,
    );
  }
  return seconds;
}

function usageMessage(error: unknown, args: readonly string[]): string {
  const text = error instanceof Error ? error.message : String(error);
  // "--duration -5": parseArgs refuses a value starting with "-" (it may be a forgotten value).
  const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(text);
  if (ambiguous) {
    const raw = ambiguous[1]!;
    const name = longName(raw);
    const value = args[args.indexOf(raw) + 1] ?? "";
    return `${name} needs a value, not the option-like "${value}" (write ${name}=${value} ` +
      `if that is the value; see --help)`;
  }
  const unknown = /Unknown option '([^']+)'/.exec(text);
  if (unknown) return `Unknown option ${unknown[1]} (see --help for the options)`;
  const missing = /Option '([^']+)' argument missing/.exec(text);
  if (missing) return `${optionName(missing[1]!)} needs a value (see --help)`;
  const positional = /Unexpected argument '([^']+)'/.exec(text);
  if (positional) {
    return `Unexpected argument "${
      positional[1]
    }": options take the form --name value (see --help)`;
  }
  const bool = /Option '([^']+)' does not take an argument/.exec(text);
  if (bool) return `${optionName(bool[1]!)} takes no value (see --help)`;
  return `${text.split("\n")[0]} (see --help)`;
}

/** "--read" from "-r" or "--read". */
function longName(raw: string): string {
  if (raw.startsWith("--")) return raw;
  const entry = Object.entries(OPTIONS).find(([, o]) => "short" in o && `-${o.short}` === raw);
  return entry ? `--${entry[0]}` : raw;
}

/** "--read" from parseArgs' "-r, --read <value>". */
function optionName(text: string): string {
  return /--[\w-]+/.exec(text)?.[0] ?? text;
}
