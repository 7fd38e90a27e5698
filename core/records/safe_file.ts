/**
 * @module safe_file
 * Opens the files Anomaly writes in its log directory without following symbolic links, and
 * only when they are regular files of their own (not hard-linked elsewhere).
 *
 * Why: Anomaly often runs as root, and a log directory someone else can write to could hold a
 * symlink named `network_activity.jsonl` pointing at any file; the writer would cut that file's
 * last line (torn-tail cutting) and append records to it. Deno's open has no O_NOFOLLOW, so:
 * - a missing file is created with `createNew` (O_CREAT|O_EXCL), which never follows a link;
 * - an existing one is lstat'ed first (refused unless a regular file), opened without create or
 *   truncate, and the opened handle fstat'ed: dev and inode must be those lstat saw.
 * The race (a link swapped in between lstat and open) can only make the open reach another
 * file, opened read-write without truncation and closed unmodified when the identities differ.
 */

/** A file in the log directory that must not be written: a symlink, not a regular file... */
export class UnsafeFileError extends Error {
  override name = "UnsafeFileError";
  constructor(readonly path: string, readonly reason: string) {
    super(`"${path}" ${reason}`);
  }
}

/**
 * How to open: `append` for O_APPEND (every write lands at the end, whoever else writes);
 * `readOnly` for a handle that does not keep the file system busy (a lock file's: a read-only
 * remount fails while any file is open for writing).
 */
export interface SafeOpenOptions {
  append?: boolean;
  readOnly?: boolean;
}

/**
 * Opens `path` read-write (creating it if missing) when it is a regular file with one link;
 * throws UnsafeFileError otherwise, or the open's own error (permission, no space...).
 */
export function openRegularFile(path: string, options: SafeOpenOptions = {}): Deno.FsFile {
  if (options.readOnly) {
    if (lstatOrNull(path) === null) openRegularFile(path).close(); // createNew needs write
    const before = Deno.lstatSync(path);
    refuseUnlessRegular(path, before);
    return verified(Deno.openSync(path, { read: true }), path, before);
  }
  const access = options.append ? { read: true, append: true } : { read: true, write: true };
  let before = lstatOrNull(path);
  if (before === null) {
    try {
      return verified(Deno.openSync(path, { ...access, createNew: true }), path, null);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      before = Deno.lstatSync(path); // made meanwhile: judged like any existing file
    }
  }
  refuseUnlessRegular(path, before);
  return verified(Deno.openSync(path, access), path, before);
}

/** Throws UnsafeFileError if `path` exists and is anything but a regular file of one link. */
export function refuseUnlessRegularOrAbsent(path: string): void {
  const info = lstatOrNull(path);
  if (info !== null) refuseUnlessRegular(path, info);
}

/** True when both describe the same file (device and inode). */
export function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function refuseUnlessRegular(path: string, info: Deno.FileInfo): void {
  if (info.isSymlink) {
    let target = "";
    try {
      target = ` to "${Deno.readLinkSync(path)}"`;
    } catch { /* the kind is what matters */ }
    throw new UnsafeFileError(path, `is a symbolic link${target}, which is never followed`);
  }
  if (info.isDirectory) throw new UnsafeFileError(path, "is a directory, not a file");
  if (!info.isFile) {
    throw new UnsafeFileError(path, "is not a regular file (a device, FIFO or socket)");
  }
  if ((info.nlink ?? 1) > 1) {
    throw new UnsafeFileError(
      path,
      `has ${info.nlink} hard links: it is also another file, which is never written`,
    );
  }
}

/** Keeps `file` only if it is the regular file the path names (`before`, or lstat now). */
function verified(file: Deno.FsFile, path: string, before: Deno.FileInfo | null): Deno.FsFile {
  try {
    const opened = file.statSync();
    const named = before ?? Deno.lstatSync(path);
    if (!sameFile(opened, named)) {
      throw new UnsafeFileError(path, "was replaced while it was being opened");
    }
    refuseUnlessRegular(path, opened);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
