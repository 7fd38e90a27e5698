/**
 * main.ts as a process with a filter that takes libpcap seconds to compile: SIGTERM during the
 * compile ends a headless run at once (exit 0), the UI's Stop answers within a second and its
 * SIGTERM exits at once, and a bad long filter is quoted only in part.
 */
import assert from "node:assert/strict";
import { mainArgs, ROOT, runMain, udpPackets } from "./fixtures.ts";
import { makeTempDir, writePcap } from "../support/pcap_writer.ts";
import { SLOW_FILTER, waitForCompile } from "../support/slow_filter.ts";

/** Longest a signalled run may take to exit, and Stop to answer. */
const EXIT_MS = 2000;
const STOP_MS = 1000;

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** SIGTERM, then the exit code, how long the exit took, and stderr. */
async function terminate(child: Deno.ChildProcess) {
  const sentAt = performance.now();
  child.kill("SIGTERM");
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, signal: status.signal, ms: performance.now() - sentAt, stderr };
}

/** Reads stdout until the UI's URL line, then keeps draining it. */
async function uiUrl(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stdout ended without the UI's URL: ${text}`);
    text += value;
    const match = /^Anomaly UI: (http:\S+)$/m.exec(text);
    if (match !== null) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return match[1]!;
    }
  }
}

Deno.test({
  name: "--read -f SLOW --no-ui: SIGTERM while libpcap compiles the filter exits 0 at once",
  ignore: Deno.build.os !== "linux", // waitForCompile reads /proc
  async fn() {
    await using dir = await makeTempDir();
    const read = `${dir.path}/one.pcap`;
    await writePcap(read, { packets: udpPackets(3) });
    const child = spawn(mainArgs(["-r", read, "-f", SLOW_FILTER, "--log-dir", `${dir.path}/log`]));
    await child.stdout.cancel();
    await waitForCompile(child.pid);
    const end = await terminate(child);
    assert.equal(end.code, 0, end.stderr);
    assert.ok(end.ms < EXIT_MS, `exited ${end.ms.toFixed(0)} ms after SIGTERM`);
    assert.match(
      end.stderr,
      /^anomaly: info: Stopped before the capture of .*one\.pcap started \(the filter was still compiling\): nothing was read$/m,
    );
    assert.ok(end.stderr.length < 400, `stderr quotes the filter: ${end.stderr.length} bytes`);
  },
});

Deno.test({
  name: "UI: Stop while libpcap compiles the filter answers within a second; SIGTERM then exits 0",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await makeTempDir();
    const read = `${dir.path}/one.pcap`;
    await writePcap(read, { packets: udpPackets(3) });
    const child = spawn([
      "run",
      "--allow-all",
      `${ROOT}main.ts`,
      ...["--listen", "127.0.0.1:0", "--log-dir", `${dir.path}/log`],
      // --read starts at once (the page's Start), with this filter.
      ...["--read", read, "-f", SLOW_FILTER],
    ]);
    try {
      const url = await uiUrl(child);
      const post = (path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      await waitForCompile(child.pid, 1);
      assert.equal((await (await fetch(`${url}api/status`)).json()).state, "starting");
      const stopAt = performance.now();
      const stopped = await post("api/stop", {});
      const stopMs = performance.now() - stopAt;
      assert.equal(stopped.status, 200);
      const status = await stopped.json();
      assert.ok(stopMs < STOP_MS, `Stop answered after ${stopMs.toFixed(0)} ms`);
      assert.equal(status.state, "stopped", JSON.stringify(status).slice(0, 300));
      assert.equal(status.saved, null, "nothing was captured");

      // Start again, and shut down while it compiles.
      const again = post("api/start", { filter: SLOW_FILTER });
      again.catch(() => {}); // the process exits before it may answer
      await waitForCompile(child.pid, 2);
      const end = await terminate(child);
      assert.equal(end.code, 0, end.stderr);
      assert.ok(end.ms < EXIT_MS, `exited ${end.ms.toFixed(0)} ms after SIGTERM`);
      assert.doesNotMatch(end.stderr, /error|panic|segmentation/i);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }
  },
});

Deno.test("--no-ui -f with a bad long filter exits 2 quoting 80 characters of it and its length", async () => {
  await using dir = await makeTempDir();
  const read = `${dir.path}/one.pcap`;
  await writePcap(read, { packets: udpPackets(1) });
  const filter = `${SLOW_FILTER} or port x`;
  const run = await runMain(["-r", read, "-f", filter, "--log-dir", `${dir.path}/log`]);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(
    run.stderr.trim(),
    `anomaly: Bad filter "${filter.slice(0, 80)}..." (${filter.length} characters): ` +
      `unknown port 'x' (fix the expression: tcpdump syntax, see "man pcap-filter")`,
  );
});
