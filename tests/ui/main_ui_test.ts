/**
 * main.ts in UI mode, as a process: it prints its URL, refuses to listen beyond loopback without a
 * token, analyses a `--read` file and shows the result, and stops cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import { writeAlertFixture } from "./support.ts";
import { REPO_ROOT as ROOT } from "../support/base.ts";

function spawnMain(args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads stdout lines until one matches `pattern`; the rest of stdout keeps draining. */
async function waitForLine(child: Deno.ChildProcess, pattern: RegExp): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timeout = setTimeout(() => reader.cancel(), 20_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stdout ended without ${pattern}: ${text}`);
      text += value;
      const match = text.split("\n").find((line) => pattern.test(line));
      if (match !== undefined) {
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return match;
      }
    }
  } finally {
    clearTimeout(timeout);
  }
}

Deno.test("main.ts refuses to listen beyond loopback without a token, and says why (exit 2)", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}main.ts`, "--listen", "0.0.0.0:0"],
    cwd: ROOT,
    env: { NO_COLOR: "1", ANOMALY_TOKEN: "" },
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  assert.equal(output.code, 2);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.match(
    stderr,
    /^anomaly: Listening on 0\.0\.0\.0 lets other machines reach the UI: give a token with --token or ANOMALY_TOKEN/m,
  );
});

Deno.test("main.ts --read with the UI analyses the file, shows the result, and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-ui-main-" });
  try {
    const file = await writeAlertFixture(dir);
    const child = spawnMain(["--listen", "127.0.0.1:0", "--read", file, "--log-dir", `${dir}/log`]);
    const line = await waitForLine(child, /^Anomaly UI: http:\/\/127\.0\.0\.1:\d+\/$/);
    const url = line.slice("Anomaly UI: ".length);
    let status;
    for (let i = 0; i < 200; i++) {
      status = await (await fetch(`${url}api/status`)).json();
      if (status.state === "stopped" || status.state === "error") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status.state, "stopped", JSON.stringify(status));
    assert.equal(status.mode, "file");
    assert.equal(status.saved.path, `${dir}/log/network_activity.jsonl`);
    assert.equal(status.saved.packets, 155);
    assert.ok(status.saved.alerts >= 1);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    const events = await fetch(`${url}api/events`);
    assert.equal(events.status, 200);
    child.kill("SIGTERM");
    // The open event stream must not hold the exit up.
    await events.body?.cancel().catch(() => {});
    const exit = await child.status;
    assert.equal(exit.code, 0);
    const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
    assert.doesNotMatch(stderr, /error/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts with a token prints that API calls need it and checks it", async () => {
  const child = spawnMain(["--listen", "127.0.0.1:0", "--log-dir", "/tmp/anomaly-ui-token-log"], {
    ANOMALY_TOKEN: "from-env-token",
  });
  try {
    const line = await waitForLine(child, /^Anomaly UI: /);
    const url = line.slice("Anomaly UI: ".length);
    assert.equal(
      (await fetch(`${url}api/status`).then(async (r) => (await r.body?.cancel(), r))).status,
      401,
    );
    const ok = await fetch(`${url}api/status`, {
      headers: { Authorization: "Bearer from-env-token" },
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).state, "idle");
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await child.stderr.cancel();
    await Deno.remove("/tmp/anomaly-ui-token-log", { recursive: true }).catch(() => {});
  }
});
