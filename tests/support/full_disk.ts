/**
 * @module full_disk
 * A small file system to fill, for the log-directory fault tests (needs root).
 */
import assert from "node:assert/strict";
import { runCommand } from "./netns.ts";

/**
 * Mounts a 2 MiB tmpfs at `directory`/small and returns that path; the caller unmounts it
 * (`umount -l`).
 */
export async function mountSmallTmpfs(directory: string): Promise<string> {
  const mountPoint = `${directory}/small`;
  await Deno.mkdir(mountPoint);
  await runCommand(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint]);
  return mountPoint;
}

/** Fills the file system of `path` to the last byte. */
export async function fill(path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(1024);
  try {
    for (;;) await file.write(chunk);
  } catch (error) {
    assert.match(String(error), /No space left/);
  } finally {
    file.close();
  }
}
