/**
 * @module promtool
 * Debian's `promtool check metrics` (the prometheus package; tools/setup.sh test installs it) on
 * a /metrics text, for the tests of /metrics.
 */
import assert from "node:assert/strict";
import { findOnPath } from "../../testing/process.ts";

/** promtool's path, or null where it is not installed (the tests that need it are ignored). */
export const PROMTOOL = await findOnPath("promtool");

/** Runs `promtool check metrics` on `text`; fails with what promtool said. */
export async function promtoolCheck(text: string): Promise<void> {
  const child = new Deno.Command(PROMTOOL ?? "promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  const said = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, `promtool check metrics failed:\n${said}`);
  assert.equal(said.trim(), "", "promtool has no complaint");
}
