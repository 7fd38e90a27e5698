/**
 * @module quality
 * The evaluation task: runs the engine over every capture under DIR (in this process, one
 * capture after the other) and reports alerts per detector and per capture, captures with an
 * alert outside the user's three rules, restarts of a key, alerts per incident and, with
 * --expect, the expectations met. An evaluation, not a test: it exits 0 whatever the figures,
 * and 2 (one line on stderr) for a bad directory, expectations file, config or option.
 *
 *   deno task quality DIR [--expect FILE] [--config FILE] [--verbose] [--json] [--limit N]
 */
import { parseArgs } from "node:util";
import { type Config, defaultConfig, loadConfigFile, num } from "../core/config/config.ts";
import { Engine } from "../core/run/engine.ts";
import { type ExpectEntry, loadExpect } from "./quality/expect.ts";
import { formatReport } from "./quality/format.ts";
import { buildReport, type QualityReport } from "./quality/report.ts";
import { type CaptureResult, runCapture } from "./quality/run_capture.ts";

const USAGE = `deno task quality DIR [options]

Runs the engine over every *.pcap, *.pcapng and *.cap under DIR and prints a quality report.

  --expect FILE   expectations (expect.json format: file name -> {attacker, victim, expect})
  --config FILE   config keys to apply (default: the defaults)
  --verbose       list every capture and its alerts (also --list)
  --json          print the report as JSON
  --limit N       only the first N captures (sorted by path)
  -h, --help      print this help`;

/** Captures read at once. */
const JOBS = 4;

const CAPTURE_NAME = /\.(pcap|pcapng|cap)$/i;

/** Options of one evaluation run. */
export interface QualityOptions {
  dir: string;
  expect?: string;
  config?: string;
  limit?: number;
}

/** Raised for a bad directory, file or option: exit 2 with its message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Runs the evaluation and returns the report; throws UsageError for bad input. */
export async function evaluate(options: QualityOptions): Promise<QualityReport> {
  const { dir, limit = Infinity } = options;
  const expect = options.expect === undefined ? null : readExpect(options.expect);
  const config = readConfig(options.config);
  const files = (await captureFiles(dir)).slice(0, limit);
  checkEngine(config);
  const started = performance.now();
  const results: CaptureResult[] = new Array(files.length);
  let next = 0;
  // A few captures at once: each reads in its own worker while the engines share this thread.
  const lane = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runCapture(`${dir}/${files[i]}`, config);
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS, files.length) }, lane));
  const noLibrary = results.find((r) => r.code === "library_missing");
  if (noLibrary !== undefined) throw new Error(noLibrary.message); // every capture fails the same
  return buildReport({
    dir,
    files,
    results,
    suppressS: num(config, "alerts.suppress_s"),
    expect,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
}

/** Capture files under `dir`, relative to it, sorted. */
export async function captureFiles(dir: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw new UsageError(`Cannot read directory "${dir}" (check the path)`);
  }
  if (!info.isDirectory) throw new UsageError(`"${dir}" is not a directory`);
  const out: string[] = [];
  const walk = async (rel: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) entries.push(entry);
    for (const entry of entries) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (CAPTURE_NAME.test(entry.name)) out.push(path);
    }
  };
  await walk("");
  if (out.length === 0) {
    throw new UsageError(`No captures (*.pcap, *.pcapng, *.cap) under "${dir}"`);
  }
  return out.sort();
}

/** Builds one engine first: a config the engine refuses would fail every capture the same way. */
function checkEngine(config: Config): void {
  try {
    new Engine({
      config,
      writer: null,
      source: { name: "check", live: false, link_type: "EN10MB" },
    })
      .finish();
  } catch (error) {
    throw new Error(`Cannot build the engine: ${error instanceof Error ? error.message : error}`);
  }
}

function readExpect(path: string): Map<string, ExpectEntry> {
  try {
    return loadExpect(path);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function readConfig(path: string | undefined): Config {
  if (path === undefined) return defaultConfig();
  try {
    return loadConfigFile(path);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        expect: { type: "string" },
        config: { type: "string" },
        verbose: { type: "boolean" },
        list: { type: "boolean" },
        json: { type: "boolean" },
        limit: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : error} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) return fail("Give one directory of captures (see --help)");
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    return fail(`Bad value "${values.limit}" for --limit: expected a whole number above 0`);
  }
  try {
    const report = await evaluate({
      dir: positionals[0]!.replace(/\/+$/, "") || "/",
      ...(values.expect === undefined ? {} : { expect: values.expect }),
      ...(values.config === undefined ? {} : { config: values.config }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (values.json) console.log(JSON.stringify(report, null, 1));
    else console.log(formatReport(report, values.verbose === true || values.list === true));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    console.error(`quality: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

function fail(message: string): number {
  console.error(`quality: ${message}`);
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
