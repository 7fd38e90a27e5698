/**
 * @module record_writer
 * Appends JSON Lines records to `<log-dir>/network_activity.jsonl`, each line whole or not at
 * all, with size-based rotation. A torn last line left by a crash is cut off on open, so the
 * file stays valid JSON Lines.
 *
 * Faults: a write that fails (disk full, read-only file system, directory gone) is cut back to
 * the last whole line, counted as lost, and the file is closed; each later write reopens it, so
 * writing resumes by itself once the problem is gone. A records file (or log directory) deleted
 * or replaced behind our back is noticed within a second and recreated. `onChange` hears of the
 * start and the end of each such episode, once each.
 *
 * Hostile directories: the records file is opened without following symlinks and only when it
 * is a regular file (core/records/safe_file.ts), in append mode, and only by the holder of the log
 * directory's lock (core/records/log_directory.ts): a second writer is refused, never interleaved.
 */
import { DIAGNOSTICS_FILE } from "./diagnostics.ts";
import {
  describe,
  DirectoryLock,
  LogDirectoryError,
  logDirectoryError,
  makeLogDirectory,
  type WriterMode,
} from "./log_directory.ts";
import { openRegularFile, refuseUnlessRegularOrAbsent, sameFile } from "./safe_file.ts";

export { describe, LogDirectoryError };

/** Name of the records file inside the log directory. */
export const RECORDS_FILE = "network_activity.jsonl";

/** Rotation settings (config keys `log.max_bytes`, `log.max_files`). */
export interface RotationOptions {
  /** Rotate before a write would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept (`.1` newest ... `.N` oldest). */
  maxFiles: number;
}

const encoder = new TextEncoder();

/** Milliseconds between checks that the path still names the file we write to. */
const IDENTITY_CHECK_MS = 1000;

/** The start or the end of an episode of failed writes. */
export type WriterChange =
  | { kind: "failing"; reason: string }
  | { kind: "resumed"; reason: string; lost: number };

/** Writes records, one JSON object per line. */
export class RecordWriter {
  #file: Deno.FsFile | null;
  #lock: DirectoryLock;
  #size: number;
  #records = 0;
  #failures = 0;
  #lastError: string | null = null;
  /** Reason of the episode of failed writes in progress, or null while writes succeed. */
  #failingReason: string | null = null;
  #lostInEpisode = 0;
  #checkedAt = 0;
  /** Told once when writes start failing and once when they succeed again. */
  onChange: ((change: WriterChange) => void) | null = null;

  private constructor(
    readonly directory: string,
    readonly path: string,
    readonly rotation: RotationOptions,
    lock: DirectoryLock,
    file: Deno.FsFile,
    size: number,
  ) {
    this.#lock = lock;
    this.#file = file;
    this.#size = size;
  }

  /**
   * Takes the log directory (creating it if needed; its lock for `mode`, "headless" unless
   * told) and opens the records file for appending. Throws LogDirectoryError naming the problem
   * and the fix: another writer holds the directory, a records file or anomaly.log that is a
   * symlink or not a regular file, a directory that cannot be written.
   */
  static open(
    directory: string,
    options: RotationOptions & { mode?: WriterMode },
  ): RecordWriter {
    const path = `${directory}/${RECORDS_FILE}`;
    const rotation = { maxBytes: options.maxBytes, maxFiles: options.maxFiles };
    makeLogDirectory(directory);
    let lock: DirectoryLock | null = null;
    try {
      lock = DirectoryLock.acquire(directory, options.mode ?? "headless");
      refuseUnlessRegularOrAbsent(`${directory}/${DIAGNOSTICS_FILE}`);
      const file = openRegularFile(path, { append: true });
      const size = cutTornTail(file);
      return new RecordWriter(directory, path, rotation, lock, file, size);
    } catch (error) {
      lock?.release();
      throw logDirectoryError(directory, error);
    }
  }

  /** Records written by this writer. */
  get written(): number {
    return this.#records;
  }

  /** Writes that failed (disk full, directory gone); the records they held are lost. */
  get failures(): number {
    return this.#failures;
  }

  /** The last write error, or null. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** True while writes fail (since the first failure, until one succeeds). */
  get failing(): boolean {
    return this.#failingReason !== null;
  }

  /**
   * Appends one record. Returns false (and keeps the file valid) when the write failed, so
   * capture can go on and writing resumes once the problem is gone.
   */
  write(record: unknown): boolean {
    return this.writeLine(JSON.stringify(record));
  }

  /**
   * Appends one record already serialized (`json`, without its newline): the engine serializes
   * each record once, and outputs beside the file send these very bytes.
   */
  writeLine(json: string): boolean {
    const line = encoder.encode(json + "\n");
    try {
      if (this.#file !== null) this.#checkIdentity();
      if (this.#size > 0 && this.#size + line.length > this.rotation.maxBytes) this.#rotate();
      const file = this.#file ?? this.#reopen();
      writeWhole(file, line, this.#size);
      this.#size += line.length;
      this.#records++;
      this.#lastError = null;
    } catch (error) {
      this.#failures++;
      this.#lostInEpisode++;
      this.#lastError = describe(error);
      // Closed, so that the next write reopens (cutting any torn tail) and nothing holds the
      // file system busy meanwhile (a read-only remount needs that).
      this.#drop();
      if (this.#failingReason === null) {
        this.#failingReason = this.#lastError;
        this.#notify({ kind: "failing", reason: this.#lastError });
      }
      return false;
    }
    if (this.#failingReason !== null) {
      const change: WriterChange = {
        kind: "resumed",
        reason: this.#failingReason,
        lost: this.#lostInEpisode,
      };
      this.#failingReason = null;
      this.#lostInEpisode = 0;
      this.#notify(change);
    }
    return true;
  }

  /** Flushes to disk, closes and releases the log directory; idempotent. */
  close(): void {
    this.#closeFile();
    this.#lock.release();
  }

  #closeFile(): void {
    if (this.#file === null) return;
    try {
      this.#file.syncSync();
    } catch { /* closing still matters more than the sync */ }
    this.#file.close();
    this.#file = null;
  }

  #notify(change: WriterChange): void {
    try {
      this.onChange?.(change);
    } catch { /* a listener's failure must not cost a record */ }
  }

  /** Closes the handle without a sync (after a failure, or when the path changed). */
  #drop(): void {
    try {
      this.#file?.close();
    } catch { /* already unusable */ }
    this.#file = null;
  }

  /** Drops the handle if the path no longer names its file (deleted, moved, replaced). */
  #checkIdentity(): void {
    const now = Date.now();
    if (now - this.#checkedAt < IDENTITY_CHECK_MS) return;
    this.#checkedAt = now;
    let same = false;
    try {
      same = sameFile(Deno.lstatSync(this.path), this.#file!.statSync());
    } catch { /* gone: reopen below */ }
    if (!same) this.#drop();
  }

  #rotate(): void {
    this.#closeFile();
    for (let i = this.rotation.maxFiles - 1; i >= 1; i--) {
      renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.rotation.maxFiles >= 1) renameIfExists(this.path, `${this.path}.1`);
    else Deno.removeSync(this.path);
    this.#size = 0;
  }

  /** Opens the records file again (recreating the directory and its lock if they went). */
  #reopen(): Deno.FsFile {
    Deno.mkdirSync(this.directory, { recursive: true });
    this.#lock.ensure(this.directory);
    const file = openRegularFile(this.path, { append: true });
    this.#size = cutTornTail(file);
    this.#file = file;
    return file;
  }
}

/** Appends all of `bytes` (the file ends at `offset`); on a short write, cuts it back there. */
function writeWhole(file: Deno.FsFile, bytes: Uint8Array, offset: number): void {
  let done = 0;
  try {
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } catch (error) {
    try {
      file.truncateSync(offset);
    } catch { /* the original error says more */ }
    throw error;
  }
}

/** Cuts a last line that lacks its newline (a crash mid-write); returns the file's new size. */
function cutTornTail(file: Deno.FsFile): number {
  const size = file.statSync().size;
  if (size === 0) return 0;
  const chunk = new Uint8Array(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    file.seekSync(start, Deno.SeekMode.Start);
    const view = chunk.subarray(0, end - start);
    let read = 0;
    while (read < view.length) read += file.readSync(view.subarray(read)) ?? view.length;
    const newline = view.lastIndexOf(10);
    if (newline >= 0) {
      const keep = start + newline + 1;
      if (keep !== size) file.truncateSync(keep);
      return keep;
    }
    end = start;
  }
  file.truncateSync(0);
  return 0;
}

function renameIfExists(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
