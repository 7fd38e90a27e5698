/**
 * @module main_read
 * Runs Anomaly on a capture file the way users do (`main.ts --no-ui --read`), for the tests that
 * then read the records it wrote.
 */
import { RECORDS_FILE } from "../../core/records/record_writer.ts";

export { REPO_ROOT } from "./base.ts";
import { REPO_ROOT } from "./base.ts";

/**
 * Runs `deno run --allow-all main.ts --no-ui --read FILE --log-dir DIR [--config FILE]` from the
 * repository root (`config`, when given, is written to DIR.config.json first); resolves to what
 * it printed on stdout and the path of the records file it wrote, and throws with its stderr if
 * it fails. Killed after `timeoutMs` when given.
 */
export async function readWithMain(
  file: string,
  logDir: string,
  config?: Record<string, unknown>,
  timeoutMs?: number,
): Promise<{ stdout: string; recordsPath: string }> {
  const args = ["run", "--allow-all", "main.ts", "--no-ui", "--read", file, "--log-dir", logDir];
  if (config !== undefined) {
    const configPath = `${logDir}.config.json`;
    await Deno.writeTextFile(configPath, JSON.stringify(config));
    args.push("--config", configPath);
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`anomaly --read ${file} exited ${output.code}: ${stderr}`);
  return {
    stdout: new TextDecoder().decode(output.stdout),
    recordsPath: `${logDir}/${RECORDS_FILE}`,
  };
}
