/**
 * @module config_file
 * Reads a config file as hostile input: a regular file only (a FIFO would block forever and a
 * device like /dev/zero never ends, so both are refused before they are opened), at most
 * `CONFIG_FILE_MAX_BYTES` read (never more, whatever its size claims), UTF-8, nesting at most
 * `CONFIG_FILE_MAX_DEPTH` deep and no key given twice in one object, all checked before
 * JSON.parse's result is used. Every failure is a one-line ConfigError naming the file.
 */
import { ConfigError } from "./config_error.ts";
import { scanJsonShape } from "./json_shape.ts";

/** Largest config file read: a full config is under 10 KiB, so 1 MiB leaves room for long lists. */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

/** Deepest nesting accepted: the deepest key (a network threshold) sits 6 levels down. */
export const CONFIG_FILE_MAX_DEPTH = 32;

/** Limits of a config file; the defaults are the constants above (tests lower them). */
export interface ConfigFileLimits {
  maxBytes?: number;
  maxDepth?: number;
}

/** Reads, checks and parses the JSON config file at `path`; throws ConfigError. */
export function readConfigJson(path: string, limits: ConfigFileLimits = {}): unknown {
  const text = readConfigText(path, limits.maxBytes ?? CONFIG_FILE_MAX_BYTES);
  return parseConfigText(path, text, limits.maxDepth ?? CONFIG_FILE_MAX_DEPTH);
}

/** The file's text: a regular file of at most `maxBytes`, read with at most maxBytes+1 bytes. */
export function readConfigText(path: string, maxBytes: number): string {
  refuseUnlessRegular(path, statOrFail(path, () => Deno.statSync(path)));
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    // Checked again on the open file: the path may have been swapped since the stat.
    refuseUnlessRegular(path, statOrFail(path, () => file.statSync()));
    return decodeUtf8(path, readAtMost(path, file, maxBytes));
  } finally {
    file.close();
  }
}

/** Parses `text` after checking its nesting depth and duplicate keys. */
export function parseConfigText(path: string, text: string, maxDepth: number): unknown {
  const shape = scanJsonShape(text, maxDepth);
  if (shape.tooDeep) {
    throw new ConfigError(
      `Config file "${path}" nests deeper than ${maxDepth} levels (a config needs 6 at most): ` +
        `check that it is the right file`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(`Config file "${path}" is not valid JSON: ${why}`);
  }
  if (shape.duplicate !== undefined) {
    const { at, key } = shape.duplicate;
    const where = at === "" ? "at the top level" : `in "${at}"`;
    throw new ConfigError(
      `Config file "${path}" gives key "${key}" twice ${where} (JSON would keep only the ` +
        `last): keep one of them`,
    );
  }
  return parsed;
}

function statOrFail(path: string, stat: () => Deno.FileInfo): Deno.FileInfo {
  try {
    return stat();
  } catch (error) {
    throw cannotRead(path, error);
  }
}

function cannotRead(path: string, error: unknown): ConfigError {
  const why = error instanceof Deno.errors.NotFound
    ? "no such file (check the path)"
    : error instanceof Deno.errors.PermissionDenied
    ? "permission denied (check the permissions)"
    : `${error instanceof Error ? error.message : String(error)} (check the path and permissions)`;
  return new ConfigError(`Cannot read config file "${path}": ${why}`);
}

function refuseUnlessRegular(path: string, info: Deno.FileInfo): void {
  if (info.isFile) return;
  const kind = info.isDirectory
    ? "a directory"
    : info.isFifo
    ? "a FIFO (named pipe)"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : info.isSocket
    ? "a socket"
    : "not a regular file";
  throw new ConfigError(
    `Config file "${path}" is ${kind}: give a regular JSON file (see --print-config for one)`,
  );
}

/** Reads until EOF or maxBytes+1 bytes, whichever comes first; refuses more than maxBytes. */
function readAtMost(path: string, file: Deno.FsFile, maxBytes: number): Uint8Array {
  const buffer = new Uint8Array(maxBytes + 1);
  let filled = 0;
  while (filled < buffer.length) {
    let n: number | null;
    try {
      n = file.readSync(buffer.subarray(filled));
    } catch (error) {
      throw cannotRead(path, error);
    }
    if (n === null) break;
    filled += n;
  }
  if (filled > maxBytes) {
    throw new ConfigError(
      `Config file "${path}" is larger than ${maxBytes} bytes, the most a config may hold: ` +
        `check that it is the right file`,
    );
  }
  return buffer.subarray(0, filled);
}

function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`Config file "${path}" is not UTF-8 text: save it as UTF-8 JSON`);
  }
}
