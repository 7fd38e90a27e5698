import assert from "node:assert/strict";
import {
  DirectoryLock,
  LOCK_FILE,
  LogDirectoryError,
} from "../../../core/records/log_directory.ts";
import { UnsafeFileError } from "../../../core/records/safe_file.ts";

function inUseBy(pattern: RegExp) {
  return (e: unknown) =>
    e instanceof LogDirectoryError && e.code === "in_use" && pattern.test(e.message) &&
    e.message.endsWith("stop it or use --log-dir");
}

Deno.test("DirectoryLock refuses a second holder, naming the first, until it is released", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const first = DirectoryLock.acquire(dir, "headless");
    const holder = JSON.parse(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`));
    assert.equal(holder.pid, Deno.pid);
    assert.equal(holder.mode, "headless");
    assert.equal(holder.since, first.holder.since);
    assert.throws(
      () => DirectoryLock.acquire(dir, "ui"),
      inUseBy(
        new RegExp(`is in use by anomaly pid ${Deno.pid} \\(headless\\) since ${holder.since}`),
      ),
    );
    first.release();
    first.release();
    const second = DirectoryLock.acquire(dir, "ui");
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/${LOCK_FILE}`)).mode, "ui");
    second.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DirectoryLock.ensure() takes the lock again when its file was deleted", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const lock = DirectoryLock.acquire(dir, "headless");
    Deno.removeSync(`${dir}/${LOCK_FILE}`);
    lock.ensure(dir);
    assert.throws(() => DirectoryLock.acquire(dir, "ui"), inUseBy(/\(headless\)/));
    lock.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DirectoryLock never follows a symlinked lock file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/target`, "untouched");
    Deno.symlinkSync(`${dir}/target`, `${dir}/${LOCK_FILE}`);
    assert.throws(() => DirectoryLock.acquire(dir, "headless"), UnsafeFileError);
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "untouched");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
