/**
 * Polls a running UI's /api/status and /api/summary back to back until STOP_FILE exists (or
 * MAX_SECONDS pass), then prints one JSON line: every request's outcome and time. Run inside the
 * namespace where the UI listens (tests/ui/faults_test.ts):
 *
 *   deno run --allow-net --allow-read poll_api.ts URL STOP_FILE MAX_SECONDS
 */
const [url, stopFile, maxSeconds] = Deno.args;
const deadline = Date.now() + Number(maxSeconds) * 1000;
const timesMs: number[] = [];
const failures: string[] = [];
let maxPackets = 0;
const begun = performance.now();
/** Requests slower than 100 ms: when (ms since the start), which, how long. */
const slow: string[] = [];

function stopped(): boolean {
  try {
    Deno.statSync(stopFile!);
    return true;
  } catch {
    return Date.now() > deadline;
  }
}

while (!stopped()) {
  for (const path of ["api/status", "api/summary"]) {
    const started = performance.now();
    try {
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
      const body = await response.json();
      timesMs.push(performance.now() - started);
      if (performance.now() - started > 100) {
        slow.push(
          `${Math.round(started - begun)} ${path} ${Math.round(performance.now() - started)}`,
        );
      }
      if (response.status !== 200) failures.push(`${path}: ${response.status}`);
      if (path === "api/summary") maxPackets = Math.max(maxPackets, body.summary?.packets ?? 0);
    } catch (error) {
      timesMs.push(performance.now() - started);
      failures.push(`${path}: ${error}`);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const sorted = timesMs.toSorted((a, b) => a - b);
console.log(JSON.stringify({
  requests: timesMs.length,
  failures,
  maxMs: Math.round(sorted.at(-1) ?? 0),
  medianMs: Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10,
  p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
  maxPackets,
  slow,
}));
