/**
 * @module main
 * Entry point: flags -> config -> either the web UI (a controller and its Hono app; the default)
 * or a headless capture (`--no-ui`: capture -> session -> exit code). No logic of its own beyond
 * wiring and turning errors into one-line messages.
 */
import { Capture } from "./ffi/capture.ts";
import { defaultDevice, listDevices } from "./ffi/devices.ts";
import { CaptureError, quoteFilter } from "./ffi/errors.ts";
import { libpcapVersion } from "./ffi/libpcap.ts";
import { UnixDatagramSender } from "./ffi/unix_datagram.ts";
import { type CliOptions, HELP, parseCli, UsageError } from "./app/cli.ts";
import {
  applyOverrides,
  type Config,
  configAsObject,
  ConfigError,
  defaultConfig,
  loadConfigFile,
} from "./core/config/config.ts";
import {
  closeDiagnostics,
  log,
  logFileOnly,
  setUpDiagnostics,
} from "./core/records/diagnostics.ts";
import { LogDirectoryError } from "./core/records/record_writer.ts";
import type { Session, SessionResult } from "./core/run/session.ts";
import { CaptureService } from "./core/run/capture_service.ts";
import { CaptureRefusal } from "./core/run/capture_refusal.ts";
import { captureOptions } from "./core/run/capture_options.ts";
import { type ListenAddress, withoutOwnTraffic } from "./core/run/own_traffic.ts";
import { runSettings } from "./core/config/run_settings.ts";
import {
  captureEndFacts,
  captureEndText,
  logCaptureStart,
  logStartup,
} from "./core/run/run_log.ts";
import { outputSettings } from "./core/outputs/output_settings.ts";
import { enabledOutputs, type OutputConnectors } from "./core/outputs/output_set.ts";
import { VERSION } from "./core/version.ts";
import { AlertPrinter } from "./app/alert_printer.ts";
import { Controller } from "./ui/controller.ts";
import { checkListenPolicy, createApp } from "./ui/server.ts";
import { serveUi, type UiServer } from "./ui/http_server.ts";
import { AlertHistory } from "./core/store/alert_history.ts";
import { uiServerOptions } from "./ui/server_options.ts";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

/** What the outputs (core/outputs/, pure TypeScript) need of FFI: /dev/log for syslog. */
const OUTPUT_CONNECTORS: OutputConnectors = {
  unixDatagrams: (path) => new UnixDatagramSender(path),
};

async function main(args: string[]): Promise<number> {
  const cli = parseCli(args);
  if (cli.help) return print(HELP);
  if (cli.version) return print(`anomaly ${VERSION}`);
  const fromFile = cli.config === undefined ? defaultConfig() : loadConfigFile(cli.config);
  const config = applyOverrides(fromFile, cli.overrides);
  outputSettings(config); // an output enabled without its URL or command: exit 2 now, not at Start
  if (cli.printConfig) return print(JSON.stringify(configAsObject(config), null, 2));
  if (cli.listInterfaces) return print(formatDevices());
  if (!cli.noUi) return await runUi(cli, config);
  return await runHeadless(cli, config);
}

/**
 * `--no-ui`: the capture service (core/run/capture_service.ts, as the UI uses it) runs one
 * capture; SIGINT and SIGTERM stop it from the start. While libpcap still compiles the filter (a
 * long expression can take it tens of seconds) the open is abandoned and the run ends at once:
 * nothing was read, nothing is written, exit 0.
 */
async function runHeadless(cli: CliOptions, config: Config): Promise<number> {
  const device = cli.read === undefined ? chooseDevice(cli.interface) : undefined;
  const printer = new AlertPrinter({
    onFirstFailure: (reason) =>
      log.warn("Cannot print alert lines on stdout: {reason}; capture goes on", { reason }),
  });
  let capture: Capture | undefined;
  const service = new CaptureService({
    config,
    logDirectory: cli.logDir,
    writerMode: "headless",
    read: cli.read,
    defaultFilter: cli.filter ?? "",
    hostAddresses,
    durationS: cli.durationS,
    listeners: [printer.listener],
    outputConnectors: OUTPUT_CONNECTORS,
    openSource: async (request) => (capture = await Capture.open(captureOptions(config, request))),
  });
  const onSignal = () => void service.stop().catch(() => {}); // after the end: nothing to stop
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    let status;
    try {
      status = await service.start(device === undefined ? {} : { interface: device });
    } catch (error) {
      // The error the open or the records file failed with, for its one line and exit code.
      throw error instanceof CaptureRefusal && error.cause !== undefined ? error.cause : error;
    }
    if (status.state === "stopped") {
      await setUpDiagnostics();
      log.info(
        "Stopped before the capture of {source} started (the filter was still compiling): " +
          "nothing was read",
        { source: cli.read ?? device },
      );
      return EXIT_OK;
    }
    return await runSession(service.session!, capture!, config, cli.logDir, printer, {
      filter: status.filter,
    });
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

/** The headless capture runs: its start said, then its end reported once its records are in. */
async function runSession(
  session: Session,
  capture: Capture,
  config: Config,
  logDir: string,
  printer: AlertPrinter,
  { filter }: { filter: string },
): Promise<number> {
  await setUpDiagnostics({ logDirectory: logDir });
  logStartup(config, { version: VERSION, libpcap: libpcapVersion() });
  logCaptureStart(session, { filter });
  for (const warning of capture.warnings) log.warn(warning);
  const result = await session.done;
  return report(result, session, printer);
}

/** The web UI: serves until SIGINT or SIGTERM, which stop any capture cleanly first. */
async function runUi(cli: CliOptions, config: Config): Promise<number> {
  const token = cli.token ?? (Deno.env.get("ANOMALY_TOKEN") || undefined);
  const refused = checkListenPolicy(cli.listen.hostname, token);
  if (refused !== null) throw new UsageError(refused);
  try {
    await Deno.mkdir(cli.logDir, { recursive: true });
  } catch { /* Start reports an unwritable log directory */ }
  await setUpDiagnostics({ logDirectory: cli.logDir });
  /** Where the UI listens, once it does: live captures leave its own traffic out. */
  const ui: { listening?: ListenAddress } = {};
  const controller = new Controller({
    config,
    logDirectory: cli.logDir,
    read: cli.read,
    defaultInterface: () => cli.interface ?? defaultDevice()?.name ?? null,
    defaultFilter: cli.filter ?? "",
    listInterfaces: listDevices,
    hostAddresses,
    durationS: cli.durationS,
    outputConnectors: OUTPUT_CONNECTORS,
    openSource: async (request) => {
      const own = withoutOwnTraffic(request, ui.listening, hostAddresses);
      const capture = await Capture.open(captureOptions(config, own)).catch((error) => {
        // A bad filter's message quotes the filter the user gave, not the one with the exclusion.
        if (!(error instanceof CaptureError) || own === request) throw error;
        const quoted = error.message.replace(quoteFilter(own.filter), quoteFilter(request.filter));
        throw new CaptureError(error.code, quoted, { cause: error.cause });
      });
      for (const warning of capture.warnings) log.warn(warning);
      return capture;
    },
  });
  const app = createApp(controller, {
    token,
    tokenFailuresPerS: runSettings(config).ui.token_failures_per_s,
    history: new AlertHistory(cli.logDir),
    outputs: enabledOutputs(config),
  });
  let server: UiServer;
  try {
    server = await serveUi(uiServerOptions(cli.listen, config), app.fetch);
  } catch (error) {
    const why = (error as { code?: string }).code === "EADDRINUSE"
      ? "the address is in use"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new UiError(
      `Cannot listen on ${cli.listen.hostname}:${cli.listen.port}: ${why} (choose another with --listen)`,
    );
  }
  // Before the URL is announced: a SIGINT sent as soon as it appears must shut down cleanly.
  const shutdown = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => shutdown.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const address = server.addr;
  ui.listening = { hostname: address.hostname, port: address.port };
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  const url = `http://${host}:${address.port}/`;
  console.log(`Anomaly UI: ${url}`);
  logStartup(config, { version: VERSION, url, libpcap: libpcapVersion() });
  if (token !== undefined) {
    console.log("API calls need the token: open the URL with #token=TOKEN or enter it in the page");
  }
  if (cli.start || cli.read !== undefined) {
    controller.start().catch((error) => log.warn("{message}", { message: error.message }));
  }
  await shutdown.promise;
  const capturing = ["starting", "capturing", "stopping"].includes(controller.state);
  log.info(
    capturing
      ? "Shutting down: stopping the capture and the UI"
      : `Shutting down: no capture is running (${controller.state}); stopping the UI`,
  );
  await controller.close();
  // Event streams end once the controller is closed; don't wait for ever on a stuck client.
  await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 3000))]);
  // Only now: a second signal meanwhile (`timeout` signals the child and its group) must not
  // kill the process before the final records are written.
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  return EXIT_OK;
}

/** The UI could not be served (the address is taken, no permission to bind). */
class UiError extends Error {
  override name = "UiError";
}

function report(result: SessionResult, session: Session, printer: AlertPrinter): number {
  const facts = captureEndFacts(session, result);
  const what = `${result.packets} packets from ${session.source.source}`;
  let where = `${result.records} record${result.records === 1 ? "" : "s"} in ${result.recordsPath}`;
  if (result.writeFailures > 0) {
    where += `; ${result.writeFailures} records could not be written and are lost (${
      result.writeError ?? "the log directory failed"
    })`;
  }
  where += printer.summary();
  const end = result.end;
  if (!("message" in end)) {
    const done = `Done: ${what}, ${captureEndText(facts)}; ${where}`;
    if (result.writeFailures > 0 || printer.failed > 0) log.warn(done, { ...facts });
    else log.info(done, { ...facts });
    return EXIT_OK;
  }
  fail(`${end.message} (processed ${what}; ${where})`);
  logFileOnly.error(`${end.message} (processed ${what}; ${where})`, { ...facts });
  return EXIT_RUNTIME;
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
  return EXIT_RUNTIME;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    const known = error instanceof UsageError || error instanceof ConfigError ||
      error instanceof CaptureError || error instanceof LogDirectoryError ||
      error instanceof UiError;
    fail(known ? (error as Error).message : `internal error: ${String(error)}`);
    code = exitCodeFor(error);
  }
  await closeDiagnostics();
  Deno.exit(code);
}
