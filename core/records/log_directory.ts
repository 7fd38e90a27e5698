/**
 * @module log_directory
 * The log directory as a whole: made if missing, its problems put in one line naming the cause
 * and the fix (a file in the way, /proc, a symlink loop, a read-only file system...), and held
 * by one writer at a time through a lock file naming the holder.
 *
 * The lock is `<log-dir>/anomaly.lock`, flock'ed exclusively by the process writing records
 * (a headless run for its whole capture, the UI while it captures). The kernel drops a flock
 * when its holder dies, so a crash never leaves the directory locked. The file holds the
 * holder's pid, mode and start time, for the message that refuses a second writer.
 */
import { openRegularFile, sameFile, UnsafeFileError } from "./safe_file.ts";

/** Name of the lock file inside the log directory. */
export const LOCK_FILE = "anomaly.lock";

/** Raised when the log directory or file cannot be used. */
export class LogDirectoryError extends Error {
  override name = "LogDirectoryError";
  constructor(message: string, readonly code: "unusable" | "in_use" = "unusable") {
    super(message);
  }
}

/** Who writes a log directory: the web UI's capture or a headless run. */
export type WriterMode = "ui" | "headless";

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  mode: WriterMode;
  since: string;
}

/** Makes `directory` (and its parents); throws LogDirectoryError naming the problem. */
export function makeLogDirectory(directory: string): void {
  try {
    Deno.mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw logDirectoryError(directory, error);
  }
}

/** The one-line error for `error` met while using `directory`, with its cause and the fix. */
export function logDirectoryError(directory: string, error: unknown): LogDirectoryError {
  if (error instanceof LogDirectoryError) return error;
  const prefix = `Cannot write to log directory "${directory}"`;
  if (error instanceof UnsafeFileError) {
    return new LogDirectoryError(
      `${prefix}: ${error.message} (remove it, or choose another directory with --log-dir)`,
    );
  }
  const [reason, fix] = diagnose(directory, error);
  return new LogDirectoryError(`${prefix}: ${reason} (${fix})`);
}

/** Why `directory` failed and what to do, from the path itself first, then the error. */
function diagnose(directory: string, error: unknown): [string, string] {
  const other = "choose another with --log-dir";
  let info: Deno.FileInfo | null = null;
  try {
    info = Deno.statSync(directory);
  } catch (statError) {
    if (statError instanceof Deno.errors.FilesystemLoop) {
      return ["a symbolic link on its path loops back on itself", `fix the link or ${other}`];
    }
    if (statError instanceof Deno.errors.NotADirectory) {
      return ["a part of its path is a file, not a directory", other];
    }
    const link = readLinkOrNull(directory);
    if (statError instanceof Deno.errors.NotFound && link !== null) {
      return [`it is a symbolic link to "${link}", which does not exist`, other];
    }
  }
  if (info !== null && !info.isDirectory) {
    return ["it is a file, not a directory", `remove it or ${other}`];
  }
  const kernel = kernelFileSystem(directory);
  if (kernel !== null) {
    return [`it is inside ${kernel}, a kernel file system that holds no files`, other];
  }
  const reason = describe(error);
  if (reason === "read-only file system") {
    return ["it is on a read-only file system", `remount it read-write or ${other}`];
  }
  if (reason === "permission denied") {
    return ["permission denied", `run as a user who may write there, or ${other}`];
  }
  return [reason, other];
}

/** "/proc" or "/sys" when the nearest existing ancestor of `path` resolves inside one. */
function kernelFileSystem(path: string): string | null {
  let at = path;
  for (let i = 0; i < 64; i++) {
    try {
      const real = Deno.realPathSync(at);
      const top = real.split("/")[1];
      return top === "proc" || top === "sys" ? `/${top}` : null;
    } catch {
      const parent = at.includes("/") ? at.slice(0, at.lastIndexOf("/")) || "/" : ".";
      if (parent === at) return null;
      at = parent;
    }
  }
  return null;
}

function readLinkOrNull(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/** The exclusive lock on a log directory, held while records are written there. */
export class DirectoryLock {
  #file: Deno.FsFile | null;

  private constructor(readonly path: string, readonly holder: LockHolder, file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Takes the lock of `directory` (which must exist) for `mode`; throws LogDirectoryError
   * (code "in_use") naming the holder when another writer has it.
   */
  static acquire(directory: string, mode: WriterMode): DirectoryLock {
    const path = `${directory}/${LOCK_FILE}`;
    // Held read-only (flock needs no write access), so a read-only remount of the directory
    // still works while the records file is closed (see record_writer.ts).
    const file = openRegularFile(path, { readOnly: true });
    try {
      if (!file.tryLockSync(true)) throw inUse(directory, awaitHolder(file));
      const holder: LockHolder = { pid: Deno.pid, mode, since: new Date().toISOString() };
      writeHolder(path, holder);
      return new DirectoryLock(path, holder, file);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /**
   * Takes the lock again if its file was deleted or replaced (the directory was recreated):
   * throws LogDirectoryError if another writer holds the new one.
   */
  ensure(directory: string): void {
    let held = false;
    try {
      held = this.#file !== null && sameFile(Deno.lstatSync(this.path), this.#file.statSync());
    } catch { /* gone: take it again */ }
    if (held) return;
    const fresh = DirectoryLock.acquire(directory, this.holder.mode);
    this.release();
    this.#file = fresh.#file;
    fresh.#file = null;
  }

  /** Releases the lock (the file stays, unlocked); idempotent. */
  release(): void {
    try {
      this.#file?.close(); // closing drops the flock
    } catch { /* already closed */ }
    this.#file = null;
  }
}

/** Writes who holds the lock into its file, through a handle closed at once. */
function writeHolder(path: string, holder: LockHolder): void {
  const file = openRegularFile(path);
  try {
    file.truncateSync(0);
    const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
    let done = 0;
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } finally {
    file.close();
  }
}

/** Blocks the pauses of awaitHolder() (Atomics.wait on a word nobody changes). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * The holder, who writes itself into the file just after taking the lock: a run refused in that
 * instant (runs started together) waits for it up to 100 ms rather than name nobody.
 */
function awaitHolder(file: Deno.FsFile): LockHolder | null {
  for (let attempt = 0; attempt < 20; attempt++) {
    const holder = readHolder(file);
    if (holder !== null) return holder;
    Atomics.wait(PAUSE, 0, 0, 5);
  }
  return null;
}

function readHolder(file: Deno.FsFile): LockHolder | null {
  try {
    const buffer = new Uint8Array(512);
    file.seekSync(0, Deno.SeekMode.Start);
    const n = file.readSync(buffer) ?? 0;
    const holder = JSON.parse(new TextDecoder().decode(buffer.subarray(0, n)));
    return typeof holder?.pid === "number" ? holder : null;
  } catch {
    return null; // the holder has not written it yet
  }
}

function inUse(directory: string, holder: LockHolder | null): LogDirectoryError {
  const who = holder === null
    ? "another anomaly process"
    : `anomaly pid ${holder.pid} (${holder.mode === "ui" ? "web UI" : "headless"}) since ${
      String(holder.since)
    }`;
  return new LogDirectoryError(
    `Log directory "${directory}" is in use by ${who}: stop it or use --log-dir`,
    "in_use",
  );
}

/** A short reason for a file-system error. */
export function describe(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.AlreadyExists) return "a file is in the way";
  if (error instanceof UnsafeFileError) return error.message;
  const text = error instanceof Error ? error.message : String(error);
  if (/No space left/i.test(text)) return "no space left on device";
  if (/Read-only file system/i.test(text)) return "read-only file system";
  return text.split("\n")[0]!.replace(/[:,] (os error \d+).*/, "");
}
