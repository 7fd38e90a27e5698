/**
 * @module slow_filter
 * A valid BPF filter that takes libpcap's optimiser seconds to compile, and a way to see a
 * process's capture worker at work, for the tests that Stop and shutdown never wait for a compile.
 */

/** Terms of SLOW_FILTER. */
const SLOW_TERMS = 300;

/**
 * `port 1000 or port 1001 or ... or port 1299` (3896 characters): libpcap 1.10.3 takes about
 * 3.5 s to compile it on one core of the development machine (each `port` is TCP, UDP and SCTP
 * over IPv4 and IPv6, and the optimiser's cost grows much faster than the term count: 560 terms
 * take 35 s). Long enough to stop a run in the middle of it, short enough for a test.
 */
export const SLOW_FILTER = Array.from({ length: SLOW_TERMS }, (_, i) => `port ${1000 + i}`)
  .join(" or ");

/** Clock ticks per second of /proc/<pid>/task/<tid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/**
 * CPU seconds used so far by the thread of process `pid`'s `nth` worker (Deno names it
 * "worker-N"; main.ts starts the capture worker after its signal handlers are in place), or null
 * while there is no such thread.
 */
export function workerCpuSeconds(pid: number, nth = 1): number | null {
  let tasks: Iterable<Deno.DirEntry>;
  try {
    tasks = Deno.readDirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const task of tasks) {
    try {
      const base = `/proc/${pid}/task/${task.name}`;
      if (Deno.readTextFileSync(`${base}/comm`).trim() !== `worker-${nth}`) continue;
      const stat = Deno.readTextFileSync(`${base}/stat`);
      // Fields after the ")" closing the name: state is field 3, utime field 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    } catch { /* the thread ended meanwhile */ }
  }
  return null;
}

/**
 * Waits until process `pid`'s `nth` capture worker has used half a second of CPU: it is
 * compiling the filter (loading the worker's code takes a fraction of that).
 */
export async function waitForCompile(pid: number, nth = 1, timeoutMs = 30_000): Promise<void> {
  const seconds = 0.5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const used = workerCpuSeconds(pid, nth);
    if (used !== null && used >= seconds) return;
    if (Date.now() > deadline) {
      throw new Error(`process ${pid}: worker ${nth} not busy ${seconds} s within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
