/**
 * @module records
 * Reading what Anomaly writes to network_activity.jsonl: the records parsed, the last one, the
 * stats records, and the parts of a stats record that the tests check.
 */
import type { StatsRecord } from "../../core/records/eve_records.ts";

/** The stats record, its `summary` and its `stats.decoder`: core's types (eve_records.ts). */
export type { StatsRecord, StatsSummary as SummaryRecord } from "../../core/records/eve_records.ts";
/** `stats.decoder` of an EVE stats record. */
export type DecoderCounts = StatsRecord["stats"]["decoder"];

/** Line `i` (0-based) of `path` parsed; fails on a line that is not a JSON object. */
function parseRecord(path: string, line: string, i: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${path} line ${i + 1} is not JSON (${error}): ${line.slice(0, 200)}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${path} line ${i + 1} is not a JSON object: ${line.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

/** Every line of a JSON Lines file parsed; fails on a line that is not a JSON object. */
export function readRecords(path: string): Record<string, unknown>[] {
  const text = Deno.readTextFileSync(path);
  if (text !== "" && !text.endsWith("\n")) throw new Error(`${path} ends in a torn line`);
  return text.split("\n").filter((line) => line !== "").map((line, i) =>
    parseRecord(path, line, i)
  );
}

/** The last line of a JSON Lines file, as text and parsed (only that line is parsed). */
export async function readLastRecord(
  path: string,
): Promise<{ line: string; record: Record<string, unknown> }> {
  const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
  const line = lines.at(-1)!;
  return { line, record: parseRecord(path, line, lines.length - 1) };
}

/** The stats records of a records file, and the final one (which must be last). */
export function statsRecords(path: string): {
  all: Record<string, unknown>[];
  periodic: StatsRecord[];
  final: StatsRecord;
} {
  const all = readRecords(path);
  const stats = all.filter((r) => r.event_type === "stats") as unknown as StatsRecord[];
  const finals = stats.filter((r) => r.summary.final);
  if (finals.length !== 1 || stats.at(-1) !== finals[0]) {
    throw new Error(`expected one final stats record, last; got ${finals.length} in ${path}`);
  }
  return { all, periodic: stats.filter((r) => !r.summary.final), final: finals[0]! };
}
