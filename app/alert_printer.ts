/**
 * @module alert_printer
 * Prints each alert start and end of a headless run as one line on stdout. stdout is a
 * convenience: the alerts are in the records file. So a stdout that fails (a closed pipe, a
 * full disk, /dev/full) never ends or slows the capture: its errors are counted, said once as a
 * warning when they start, and in the run's final message.
 */
import { alertLine } from "../core/detect/alerts/alert_line.ts";
import { describe } from "../core/records/log_directory.ts";

const encoder = new TextEncoder();

/** Where lines go: Deno.stdout, or a test's stand-in. */
export interface LineOutput {
  writeSync(bytes: Uint8Array): number;
}

/** Prints alert lines; `listener` goes in the session's listeners. */
export class AlertPrinter {
  readonly #output: LineOutput;
  readonly #onFirstFailure: (reason: string) => void;
  #failed = 0;
  #lastError: string | null = null;

  /** `onFirstFailure` hears once why stdout failed (main.ts logs it as a warning). */
  constructor(options: { output?: LineOutput; onFirstFailure?: (reason: string) => void } = {}) {
    this.#output = options.output ?? Deno.stdout;
    this.#onFirstFailure = options.onFirstFailure ?? (() => {});
  }

  /** Alert lines that could not be printed. */
  get failed(): number {
    return this.#failed;
  }

  /** Why the last line could not be printed, or null. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** The record listener: prints alert starts and ends, never throws. */
  readonly listener = (record: Record<string, unknown>): void => {
    const line = alertLine(record);
    if (line === null) return;
    const bytes = encoder.encode(line + "\n");
    try {
      let done = 0;
      while (done < bytes.length) done += this.#output.writeSync(bytes.subarray(done));
    } catch (error) {
      this.#lastError = error instanceof Deno.errors.BrokenPipe
        ? "stdout was closed"
        : describe(error);
      if (this.#failed++ === 0) {
        try {
          this.#onFirstFailure(this.#lastError);
        } catch { /* a warning must not cost the capture */ }
      }
    }
  };

  /** "; N alert lines could not be printed on stdout (why)", or "" when all were. */
  summary(): string {
    if (this.#failed === 0) return "";
    const lines = `${this.#failed} alert line${this.#failed === 1 ? "" : "s"}`;
    return `; ${lines} could not be printed on stdout (${this.#lastError})`;
  }
}
