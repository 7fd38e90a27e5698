/**
 * @module pcap_directory
 * The `pcap/` folder of the log directory: alert pcaps by alert id, oldest first, and their
 * total size held under `pcap.max_total_bytes` by deleting the oldest (evictions counted). Files
 * of past runs count too: the folder is listed when a capture starts.
 */
import { join } from "node:path";

/** The folder's files and their sizes, in the order they were written. */
export class PcapDirectory {
  /** Alert id -> bytes, oldest first (a Map keeps insertion order). */
  readonly #files = new Map<string, number>();
  #total = 0;
  evicted = 0;

  private constructor(readonly path: string, readonly maxTotal: number) {}

  /**
   * Makes (or lists) `<logDirectory>/pcap`. Throws when it cannot be made, or is a symbolic link
   * or not a directory (the caller then records no pcaps and says why).
   */
  static open(logDirectory: string, maxTotal: number): PcapDirectory {
    const path = join(logDirectory, "pcap");
    try {
      Deno.mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const info = Deno.lstatSync(path);
    if (!info.isDirectory) throw new Error(`"${path}" is not a directory (a link or a file)`);
    const directory = new PcapDirectory(path, maxTotal);
    const found: { id: string; size: number; at: number }[] = [];
    for (const entry of Deno.readDirSync(path)) {
      if (!entry.isFile || !entry.name.endsWith(".pcap")) continue;
      const stat = Deno.lstatSync(join(path, entry.name));
      found.push({ id: entry.name.slice(0, -5), size: stat.size, at: stat.mtime?.getTime() ?? 0 });
    }
    found.sort((a, b) => a.at - b.at);
    for (const file of found) directory.grew(file.id, file.size);
    return directory;
  }

  /** Path of an alert's pcap. */
  fileOf(id: string): string {
    return join(this.path, `${id}.pcap`);
  }

  /** True while the alert's pcap is on disk (written by this run or a past one, not evicted). */
  has(id: string): boolean {
    return this.#files.has(id);
  }

  get total(): number {
    return this.#total;
  }

  get files(): number {
    return this.#files.size;
  }

  /** Counts `bytes` more written to `id`'s file. */
  grew(id: string, bytes: number): void {
    this.#files.set(id, (this.#files.get(id) ?? 0) + bytes);
    this.#total += bytes;
  }

  /** Forgets `id` (its file replaced by a new one of the same id, as a re-read makes). */
  forget(id: string): void {
    this.#total -= this.#files.get(id) ?? 0;
    this.#files.delete(id);
  }

  /**
   * Deletes the oldest files not `busy` (being written) until `bytes` more fit under the cap. Returns false
   * when they still do not fit (every remaining file is busy).
   */
  makeRoom(bytes: number, busy: { has(id: string): boolean }): boolean {
    if (this.#total + bytes <= this.maxTotal) return true;
    for (const [id, size] of this.#files) {
      if (busy.has(id)) continue;
      try {
        Deno.removeSync(this.fileOf(id));
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) continue; // kept, and counted on
      }
      this.#files.delete(id);
      this.#total -= size;
      this.evicted++;
      if (this.#total + bytes <= this.maxTotal) return true;
    }
    return false;
  }
}
