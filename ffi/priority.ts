/**
 * @module priority
 * Raises the scheduling priority of the calling thread (Linux: `setpriority(PRIO_PROCESS, 0, n)`
 * acts on the calling thread only), so a live capture keeps up when other busy processes share
 * the cores. Measured here: 4 tcpreplay senders on 2 cores starved the main thread and cost
 * 37 % of packets to kernel drops at normal priority, none at nice -10.
 */

const PRIO_PROCESS = 0;

let libc:
  | Deno.DynamicLibrary<{
    // int setpriority(int which, id_t who, int prio)
    setpriority: { parameters: ["i32", "u32", "i32"]; result: "i32" };
  }>
  | null
  | undefined;

function loadLibc() {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
    });
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * Sets the calling thread's nice value to `nice` (-20..19; 0 leaves it alone). Returns null on
 * success, or a one-line warning (no privilege, not Linux) so the caller can go on at normal
 * priority.
 */
export function setThreadNice(nice: number): string | null {
  return setNice([0], nice);
}

/**
 * Sets the nice value of every thread of the process (the runtime's own threads too: garbage
 * collection and I/O compete for the cores as much as the capture does). Threads made later
 * inherit it from their creator.
 */
export function setProcessNice(nice: number): string | null {
  let threads: number[];
  try {
    threads = [...Deno.readDirSync("/proc/self/task")].map((e) => Number(e.name));
  } catch {
    threads = [0];
  }
  return setNice(threads, nice);
}

function setNice(threads: number[], nice: number): string | null {
  if (nice === 0) return null;
  if (Deno.build.os !== "linux") return "thread priority is only raised on Linux";
  const lib = loadLibc();
  if (lib === null) return "cannot load libc.so.6 to raise the capture priority";
  let refused = false;
  for (const tid of threads) refused ||= lib.symbols.setpriority(PRIO_PROCESS, tid, nice) !== 0;
  if (!refused) return null;
  return `cannot set the capture threads' nice value to ${nice} (needs root or ` +
    `CAP_SYS_NICE; set capture.nice to 0 to silence this)`;
}
