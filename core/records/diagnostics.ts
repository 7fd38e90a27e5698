/**
 * @module diagnostics
 * The program's own diagnostics (started, warnings, errors) through LogTape: one readable line
 * on stderr, and JSON Lines in `<log-dir>/anomaly.log`. Never in the records file.
 *
 * anomaly.log is opened for each line, in append mode (a UI and a headless run on one log
 * directory both append whole lines), never through a symlink nor unless it is a regular file
 * (core/records/safe_file.ts); a refused file is said once on stderr and not written.
 */
import {
  configure,
  getLogger,
  jsonLinesFormatter,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";
import { openRegularFile, UnsafeFileError } from "./safe_file.ts";

const encoder = new TextEncoder();
/** Name of the diagnostics file inside the log directory. */
export const DIAGNOSTICS_FILE = "anomaly.log";

/** The application logger. */
export const log = getLogger(["anomaly"]);
/** For what stderr already shows in its own words (the line that ends a failed run). */
export const logFileOnly = getLogger(["anomaly-file"]);

/** Sends diagnostics to stderr and, when a log directory is given, to its diagnostics file. */
export async function setUpDiagnostics(
  options: { logDirectory?: string; quiet?: boolean } = {},
): Promise<void> {
  const sinks: Record<string, Sink> = { stderr: stderrSink() };
  if (options.logDirectory !== undefined) {
    sinks.file = appendSink(`${options.logDirectory}/${DIAGNOSTICS_FILE}`);
  }
  await configure({
    reset: true,
    sinks,
    loggers: [
      {
        category: ["anomaly"],
        sinks: Object.keys(sinks),
        lowestLevel: options.quiet ? "warning" : "info",
      },
      { category: ["anomaly-file"], sinks: sinks.file ? ["file"] : [], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
    ],
  });
}

/** Detaches the sinks (at exit). */
export async function closeDiagnostics(): Promise<void> {
  await reset();
}

function stderrSink(): Sink {
  return (record: LogRecord) => {
    const text = record.message.map((part) => String(part)).join("");
    writeStderr(`anomaly: ${record.level}: ${text}\n`);
  };
}

function writeStderr(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line));
  } catch { /* stderr closed: nothing better to do */ }
}

function appendSink(path: string): Sink {
  let refusedBefore = false;
  return (record: LogRecord) => {
    const bytes = encoder.encode(jsonLinesFormatter(record));
    let file: Deno.FsFile | undefined;
    let size = -1;
    try {
      file = openRegularFile(path, { append: true });
      refusedBefore = false;
      size = file.statSync().size;
      let done = 0;
      while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
    } catch (error) {
      if (error instanceof UnsafeFileError && !refusedBefore) {
        refusedBefore = true;
        writeStderr(`anomaly: warning: Not writing diagnostics to ${error.message} (remove it)\n`);
      }
      // The log directory's problems are reported through the records writer; a line cut short
      // by a full disk is cut off, so that the file stays whole lines.
      try {
        if (size >= 0) file?.truncateSync(size);
      } catch { /* nothing better to do */ }
    } finally {
      try {
        file?.close();
      } catch { /* already closed */ }
    }
  };
}
