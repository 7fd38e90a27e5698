/**
 * @module ui_main
 * main.ts serving its UI on 127.0.0.1 (a free port) as a real process, for the tests that read
 * what a running UI serves (/metrics) or writes (anomaly.log).
 */
import { BackgroundProcess } from "../../testing/process.ts";
import { REPO_ROOT } from "./base.ts";

/** A running `main.ts --listen 127.0.0.1:0 ARGS` and its UI's URL (ends with "/"). */
export interface UiMain extends AsyncDisposable {
  main: BackgroundProcess;
  url: string;
}

/** The command that runs main.ts serving its UI on 127.0.0.1, a free port, with `args`. */
export function uiMainCommand(args: readonly string[]): string[] {
  return [
    "env",
    "-C",
    REPO_ROOT,
    "NO_COLOR=1",
    Deno.execPath(),
    "run",
    "--allow-all",
    "main.ts",
    "--listen",
    "127.0.0.1:0",
    ...args,
  ];
}

/** The line main.ts prints once its UI listens; its URL follows "Anomaly UI: ". */
export const UI_URL_LINE = /^Anomaly UI: http:\/\/127\.0\.0\.1:\d+\/$/;

/**
 * Starts main.ts serving its UI (bounded to `timeoutS` by `timeout`, which SIGTERM then SIGKILL
 * it); resolves once it printed its URL, within `waitMs`.
 */
export async function startUiMain(
  args: readonly string[],
  { timeoutS = 120, waitMs = 30_000 }: { timeoutS?: number; waitMs?: number } = {},
): Promise<UiMain> {
  const main = BackgroundProcess.start([
    "timeout",
    "--kill-after=3",
    String(timeoutS),
    ...uiMainCommand(args),
  ], `main.ts ${args.join(" ")}`);
  let line: string;
  try {
    line = await main.waitForLine(UI_URL_LINE, waitMs);
  } catch (error) {
    await main.stop("SIGKILL");
    throw error;
  }
  return {
    main,
    url: line.slice("Anomaly UI: ".length),
    // SIGTERM stops any capture cleanly (final records and log lines written) and exits.
    [Symbol.asyncDispose]: async () => void await main.stop("SIGTERM", 10_000),
  };
}

/** Polls `check` every 100 ms until it returns a value other than undefined; fails after `ms`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
