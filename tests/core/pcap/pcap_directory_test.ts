import assert from "node:assert/strict";
import { join } from "node:path";
import { PcapDirectory } from "../../../core/pcap/pcap_directory.ts";

const NONE = { has: () => false };

/** A log directory whose pcap/ holds `files` (id -> size) written in that order, a minute apart. */
async function logDirectoryWith(files: [string, number][]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-pcapdir-" });
  await Deno.mkdir(join(dir, "pcap"));
  const t0 = Date.now() / 1000 - 3600;
  for (const [i, [id, size]] of files.entries()) {
    const path = join(dir, "pcap", `${id}.pcap`);
    await Deno.writeFile(path, new Uint8Array(size));
    await Deno.utime(path, t0 + i * 60, t0 + i * 60);
  }
  return dir;
}

Deno.test("PcapDirectory counts past runs' files and deletes the oldest first to make room", async () => {
  // Listed out of order on purpose: their times, not their names, say which is oldest.
  const dir = await logDirectoryWith([["c-0001", 400], ["a-0001", 300], ["b-0001", 200]]);
  try {
    await Deno.writeTextFile(join(dir, "pcap", "notes.txt"), "not a pcap");
    const directory = PcapDirectory.open(dir, 1000);
    assert.equal(directory.files, 3);
    assert.equal(directory.total, 900);
    assert.ok(directory.makeRoom(100, NONE)); // fits: nothing deleted
    assert.equal(directory.evicted, 0);
    assert.ok(directory.makeRoom(350, NONE)); // c (400, oldest) goes
    assert.equal(directory.evicted, 1);
    assert.equal(directory.has("c-0001"), false);
    assert.deepEqual(await names(dir), ["a-0001.pcap", "b-0001.pcap", "notes.txt"]);
    directory.grew("d-0001", 350);
    // a is being written: b goes instead, then the request still does not fit.
    assert.equal(directory.makeRoom(800, { has: (id) => id === "a-0001" }), false);
    assert.deepEqual(await names(dir), ["a-0001.pcap", "notes.txt"]);
    assert.equal(directory.evicted, 3); // b and d (d counted, its file never existed)
    assert.equal(directory.total, 300);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PcapDirectory makes pcap/ private, and refuses a symbolic link in its place", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-pcapdir-" });
  try {
    const directory = PcapDirectory.open(dir, 1 << 20);
    assert.equal(directory.files, 0);
    assert.equal((await Deno.stat(join(dir, "pcap"))).mode! & 0o777, 0o700);
    await Deno.remove(join(dir, "pcap"));
    await Deno.mkdir(join(dir, "elsewhere"));
    await Deno.symlink(join(dir, "elsewhere"), join(dir, "pcap"));
    assert.throws(() => PcapDirectory.open(dir, 1 << 20), /not a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(dir, "pcap"))) found.push(entry.name);
  return found.sort();
}
