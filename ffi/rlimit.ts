/**
 * @module rlimit
 * The process's open-file limit (RLIMIT_NOFILE), read and raised through libc. systemd starts
 * services with a soft limit of 1024 and a hard one far above: raising the soft limit to the
 * hard one at start means the process's limit is not what bounds the web UI's connections
 * (they have their own cap, ui.max_connections).
 */

/** RLIMIT_NOFILE on Linux (x86_64 and arm64 alike). */
const RLIMIT_NOFILE = 7;

/** The soft (enforced) and hard (ceiling) open-file limits; Infinity for RLIM_INFINITY. */
export interface OpenFileLimit {
  soft: number;
  hard: number;
}

type Libc = Deno.DynamicLibrary<{
  // int getrlimit(int resource, struct rlimit *rlim)
  getrlimit: { parameters: ["i32", "buffer"]; result: "i32" };
  // int setrlimit(int resource, const struct rlimit *rlim)
  setrlimit: { parameters: ["i32", "buffer"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
      setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    });
  } catch {
    libc = null;
  }
  return libc;
}

/** struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }: two 64-bit unsigned words. */
function toLimit(words: BigUint64Array): OpenFileLimit {
  const asNumber = (v: bigint) => v >= 1n << 53n ? Infinity : Number(v);
  return { soft: asNumber(words[0]!), hard: asNumber(words[1]!) };
}

/**
 * Raises the soft open-file limit to the hard one and returns the limits now in force, or null
 * when they cannot be read (not Linux, no libc).
 */
export function raiseOpenFileLimit(): OpenFileLimit | null {
  if (Deno.build.os !== "linux") return null;
  const lib = loadLibc();
  if (lib === null) return null;
  const words = new BigUint64Array(2);
  if (lib.symbols.getrlimit(RLIMIT_NOFILE, words) !== 0) return null;
  if (words[0]! < words[1]!) {
    const raised = new BigUint64Array([words[1]!, words[1]!]);
    if (lib.symbols.setrlimit(RLIMIT_NOFILE, raised) === 0) words[0] = words[1]!;
  }
  return toLimit(words);
}
