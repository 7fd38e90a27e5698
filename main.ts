/**
 * @module main
 * Entry point: flags -> config -> capture -> session -> exit code. No logic of its own beyond
 * wiring and turning errors into one-line messages.
 */
import { Capture } from "./ffi/capture.ts";
import { defaultDevice, listDevices } from "./ffi/devices.ts";
import { CaptureError } from "./ffi/errors.ts";
import { libpcapVersion } from "./ffi/libpcap.ts";
import { HELP, parseCli, UsageError } from "./core/cli.ts";
import {
  applyOverrides,
  type Config,
  configAsObject,
  ConfigError,
  defaultConfig,
  flag,
  loadConfigFile,
  num,
} from "./core/config.ts";
import { closeDiagnostics, log, logFileOnly, setUpDiagnostics } from "./core/diagnostics.ts";
import { LogDirectoryError } from "./core/record_writer.ts";
import { Session, type SessionResult } from "./core/session.ts";
import { VERSION } from "./core/version.ts";
import { alertLine } from "./core/detect/alert_line.ts";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

async function main(args: string[]): Promise<number> {
  const cli = parseCli(args);
  if (cli.help) return print(HELP);
  if (cli.version) return print(`anomaly ${VERSION}`);
  const fromFile = cli.config === undefined ? defaultConfig() : loadConfigFile(cli.config);
  const config = applyOverrides(fromFile, cli.overrides);
  if (cli.printConfig) return print(JSON.stringify(configAsObject(config), null, 2));
  if (cli.listInterfaces) return print(formatDevices());

  const device = cli.read === undefined ? chooseDevice(cli.interface) : undefined;
  const capture = await Capture.open({
    ...(cli.read !== undefined ? { read: cli.read } : { device: device! }),
    filter: cli.filter ?? "",
    snaplen: num(config, "capture.snaplen"),
    bufferSize: num(config, "capture.buffer_mib") * 1024 * 1024,
    promiscuous: flag(config, "capture.promiscuous"),
  });
  return await runSession(capture, config, cli.logDir, cli.durationS);
}

async function runSession(
  capture: Capture,
  config: Config,
  logDir: string,
  durationS: number | undefined,
): Promise<number> {
  let session: Session;
  try {
    session = new Session({
      config,
      source: capture,
      logDirectory: logDir,
      hostAddresses: capture.live ? hostAddresses() : [],
      listeners: [printAlertLine],
    });
  } catch (error) {
    await capture.stop();
    throw error;
  }
  await setUpDiagnostics({ logDirectory: logDir });
  log.info("Capturing from {source} ({linkType}); records go to {path}", {
    source: capture.source,
    linkType: capture.linkTypeName,
    path: session.writer?.path,
  });
  const stop = () => void session.stop();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  const timer = durationS === undefined ? undefined : setTimeout(stop, durationS * 1000);
  const result = await session.done;
  clearTimeout(timer);
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  return report(result, capture);
}

function report(result: SessionResult, capture: Capture): number {
  const what = `${result.packets} packets from ${capture.source}`;
  const where = `${result.records} records in ${result.recordsPath}`;
  if (result.writeFailures > 0) {
    log.warn("{n} records could not be written to {path}", {
      n: result.writeFailures,
      path: result.recordsPath,
    });
  }
  const end = result.end;
  if (!("message" in end)) {
    log.info(`Done: ${what}; ${where}`);
    return EXIT_OK;
  }
  fail(`${end.message} (processed ${what}; ${where})`);
  logFileOnly.error(`${end.message} (processed ${what}; ${where})`);
  return EXIT_RUNTIME;
}

/** Headless runs print each alert start and end as one line on stdout. */
function printAlertLine(record: Record<string, unknown>): void {
  const line = alertLine(record);
  if (line !== null) console.log(line);
}

function chooseDevice(name: string | undefined): string {
  if (name !== undefined) return name;
  const device = defaultDevice();
  if (device === null) {
    throw new CaptureError(
      "no_such_device",
      "No capture device is up with an address: name one with --interface (see --list-interfaces)",
    );
  }
  return device.name;
}

function hostAddresses(): string[] {
  try {
    return listDevices().flatMap((d) => d.addresses.map((a) => a.address));
  } catch {
    return [];
  }
}

function formatDevices(): string {
  const lines = listDevices().map((d) => {
    const state = [d.up ? "up" : "down", d.running ? "running" : "", d.loopback ? "loopback" : ""]
      .filter(Boolean).join(",");
    const addresses = d.addresses.map((a) => a.address).join(" ") || "-";
    return `${d.name.padEnd(16)} ${state.padEnd(20)} ${addresses}`;
  });
  return [`libpcap: ${libpcapVersion()}`, ...lines].join("\n");
}

function print(text: string): number {
  console.log(text);
  return EXIT_OK;
}

function fail(message: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`anomaly: ${message}\n`));
  } catch { /* stderr closed */ }
}

/** Exit code and one-line message for an error that ended the program. */
function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT_USAGE;
  if (error instanceof CaptureError) return error.code === "bad_filter" ? EXIT_USAGE : EXIT_RUNTIME;
  if (error instanceof LogDirectoryError) return EXIT_RUNTIME;
  return EXIT_RUNTIME;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    const known = error instanceof UsageError || error instanceof ConfigError ||
      error instanceof CaptureError || error instanceof LogDirectoryError;
    fail(known ? (error as Error).message : `internal error: ${String(error)}`);
    code = exitCodeFor(error);
  }
  await closeDiagnostics();
  Deno.exit(code);
}
