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
 */

/** Name of the records file inside the log directory. */
export const RECORDS_FILE = "network_activity.jsonl";

/** Rotation settings (config keys `log.max_bytes`, `log.max_files`). */
export interface RotationOptions {
  /** Rotate before a write would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept (`.1` newest ... `.N` oldest). */
  maxFiles: number;
}

/** Raised when the log directory or file cannot be used. */
export class LogDirectoryError extends Error {
  override name = "LogDirectoryError";
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
    file: Deno.FsFile,
    size: number,
  ) {
    this.#file = file;
    this.#size = size;
  }

  /** Opens (creating the directory if needed) the records file for appending. */
  static open(directory: string, rotation: RotationOptions): RecordWriter {
    const path = `${directory}/${RECORDS_FILE}`;
    try {
      Deno.mkdirSync(directory, { recursive: true });
      const file = Deno.openSync(path, { read: true, write: true, create: true });
      const size = cutTornTail(file);
      file.seekSync(size, Deno.SeekMode.Start);
      return new RecordWriter(directory, path, rotation, file, size);
    } catch (error) {
      throw new LogDirectoryError(
        `Cannot write to log directory "${directory}": ${
          describe(error)
        } (choose another with --log-dir)`,
      );
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
    const line = encoder.encode(JSON.stringify(record) + "\n");
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

  /** Flushes to disk and closes; idempotent. */
  close(): void {
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
      const onDisk = Deno.statSync(this.path);
      const open = this.#file!.statSync();
      same = onDisk.ino === open.ino && onDisk.dev === open.dev;
    } catch { /* gone: reopen below */ }
    if (!same) this.#drop();
  }

  #rotate(): void {
    this.close();
    for (let i = this.rotation.maxFiles - 1; i >= 1; i--) {
      renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.rotation.maxFiles >= 1) renameIfExists(this.path, `${this.path}.1`);
    else Deno.removeSync(this.path);
    this.#size = 0;
  }

  #reopen(): Deno.FsFile {
    Deno.mkdirSync(this.directory, { recursive: true });
    const file = Deno.openSync(this.path, { read: true, write: true, create: true });
    this.#size = cutTornTail(file);
    file.seekSync(this.#size, Deno.SeekMode.Start);
    this.#file = file;
    return file;
  }
}

/** Writes all of `bytes` at `offset`; on a short write, cuts the file back to `offset`. */
function writeWhole(file: Deno.FsFile, bytes: Uint8Array, offset: number): void {
  let done = 0;
  try {
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } catch (error) {
    try {
      file.truncateSync(offset);
      file.seekSync(offset, Deno.SeekMode.Start);
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

/** A short reason for a file-system error. */
export function describe(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.AlreadyExists) return "a file is in the way";
  const text = error instanceof Error ? error.message : String(error);
  if (/No space left/i.test(text)) return "no space left on device";
  if (/Read-only file system/i.test(text)) return "read-only file system";
  return text.split("\n")[0]!.replace(/[:,] (os error \d+).*/, "");
}
