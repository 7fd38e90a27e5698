import assert from "node:assert/strict";
import { LOCK_FILE } from "../../../core/records/log_directory.ts";
import {
  LogDirectoryError,
  RECORDS_FILE,
  RecordWriter,
  type WriterChange,
} from "../../../core/records/record_writer.ts";

const ROTATION = { maxBytes: 1 << 20, maxFiles: 2 };

function lines(path: string): unknown[] {
  return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("RecordWriter appends one JSON object per line", () => {
  const dir = Deno.makeTempDirSync();
  const writer = RecordWriter.open(`${dir}/nested/log`, ROTATION);
  assert.equal(writer.write({ event_type: "stats", n: 1 }), true);
  assert.equal(writer.write({ event_type: "stats", n: 2 }), true);
  writer.close();
  writer.close();
  assert.deepEqual(lines(`${dir}/nested/log/${RECORDS_FILE}`), [
    { event_type: "stats", n: 1 },
    { event_type: "stats", n: 2 },
  ]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter cuts a torn last line and appends after it", () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/${RECORDS_FILE}`;
  Deno.writeTextFileSync(path, '{"a":1}\n{"a":2}\n{"a":3,"torn');
  const writer = RecordWriter.open(dir, ROTATION);
  writer.write({ a: 4 });
  writer.close();
  assert.deepEqual(lines(path), [{ a: 1 }, { a: 2 }, { a: 4 }]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter rotates by size and keeps max_files", () => {
  const dir = Deno.makeTempDirSync();
  const writer = RecordWriter.open(dir, { maxBytes: 100, maxFiles: 2 });
  for (let i = 0; i < 20; i++) writer.write({ i, pad: "x".repeat(30) });
  writer.close();
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== LOCK_FILE)
    .sort();
  assert.deepEqual(names, [RECORDS_FILE, `${RECORDS_FILE}.1`, `${RECORDS_FILE}.2`]);
  for (const name of names) {
    assert.ok(Deno.statSync(`${dir}/${name}`).size <= 100, name);
    for (const record of lines(`${dir}/${name}`)) {
      assert.equal(typeof (record as { i: number }).i, "number");
    }
  }
  const newest = lines(`${dir}/${RECORDS_FILE}`) as { i: number }[];
  assert.equal(newest.at(-1)!.i, 19);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter.open() names the directory and the fix when it cannot write", () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/file`, "x");
  assert.throws(
    () => RecordWriter.open(`${dir}/file/log`, ROTATION),
    (e: unknown) =>
      e instanceof LogDirectoryError && e.message.includes(`${dir}/file/log`) &&
      e.message.includes("--log-dir") && !e.message.includes("\n"),
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter counts writes lost to a broken directory, says so once, and resumes", async () => {
  const dir = Deno.makeTempDirSync();
  const logDir = `${dir}/log`;
  const changes: WriterChange[] = [];
  const writer = RecordWriter.open(logDir, ROTATION);
  writer.onChange = (change) => changes.push(change);
  assert.equal(writer.write({ n: 1 }), true);
  // The directory moves away and a file takes its place: noticed within a second.
  Deno.renameSync(logDir, `${dir}/moved`);
  Deno.writeTextFileSync(logDir, "in the way");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(writer.write({ n: 2 }), false);
  assert.equal(writer.write({ n: 3 }), false);
  assert.equal(writer.failing, true);
  assert.deepEqual(changes, [{ kind: "failing", reason: "a file is in the way" }]);
  Deno.removeSync(logDir);
  assert.equal(writer.write({ n: 4 }), true);
  assert.equal(writer.write({ n: 5 }), true);
  writer.close();
  assert.deepEqual(changes, [
    { kind: "failing", reason: "a file is in the way" },
    { kind: "resumed", reason: "a file is in the way", lost: 2 },
  ]);
  assert.equal(writer.failures, 2);
  assert.equal(writer.written, 3);
  assert.equal(writer.failing, false);
  assert.deepEqual(lines(`${dir}/moved/${RECORDS_FILE}`), [{ n: 1 }]);
  assert.deepEqual(lines(`${logDir}/${RECORDS_FILE}`), [{ n: 4 }, { n: 5 }]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter recreates a records file deleted behind its back", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/${RECORDS_FILE}`;
  const writer = RecordWriter.open(dir, ROTATION);
  writer.write({ n: 1 });
  Deno.renameSync(path, `${path}.rotated-by-someone`);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  writer.write({ n: 2 });
  writer.close();
  assert.deepEqual(lines(`${path}.rotated-by-someone`), [{ n: 1 }]);
  assert.deepEqual(lines(path), [{ n: 2 }]);
  assert.equal(writer.failures, 0);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter refuses a records file swapped for a symlink mid-run, target untouched", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/${RECORDS_FILE}`;
  const changes: WriterChange[] = [];
  const writer = RecordWriter.open(dir, ROTATION);
  writer.onChange = (change) => changes.push(change);
  writer.write({ n: 1 });
  Deno.writeTextFileSync(`${dir}/target`, "precious\nno newline");
  Deno.renameSync(path, `${dir}/moved`);
  Deno.symlinkSync(`${dir}/target`, path);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(writer.write({ n: 2 }), false);
  assert.equal(changes.length, 1);
  assert.match(
    (changes[0] as { reason: string }).reason,
    /is a symbolic link to "[^"]+\/target", which is never followed/,
  );
  writer.close();
  assert.equal(Deno.readTextFileSync(`${dir}/target`), "precious\nno newline");
  assert.deepEqual(lines(`${dir}/moved`), [{ n: 1 }]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("RecordWriter.open() refuses a log directory another writer holds", () => {
  const dir = Deno.makeTempDirSync();
  const first = RecordWriter.open(dir, { ...ROTATION, mode: "ui" });
  assert.throws(
    () => RecordWriter.open(dir, ROTATION),
    (e: unknown) =>
      e instanceof LogDirectoryError && e.code === "in_use" &&
      e.message.includes(`is in use by anomaly pid ${Deno.pid} (web UI) since `),
  );
  first.write({ n: 1 });
  first.close();
  const second = RecordWriter.open(dir, ROTATION);
  second.write({ n: 2 });
  second.close();
  assert.deepEqual(lines(`${dir}/${RECORDS_FILE}`), [{ n: 1 }, { n: 2 }]);
  Deno.removeSync(dir, { recursive: true });
});
