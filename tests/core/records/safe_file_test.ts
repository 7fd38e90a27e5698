import assert from "node:assert/strict";
import { openRegularFile, UnsafeFileError } from "../../../core/records/safe_file.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function refusal(reason: RegExp) {
  return (e: unknown) => e instanceof UnsafeFileError && reason.test(e.message);
}

Deno.test("openRegularFile() creates a missing file and opens an existing one", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = openRegularFile(`${dir}/new`);
    file.writeSync(bytes("one\n"));
    file.close();
    const again = openRegularFile(`${dir}/new`, { append: true });
    again.writeSync(bytes("two\n"));
    again.close();
    assert.equal(Deno.readTextFileSync(`${dir}/new`), "one\ntwo\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openRegularFile() in append mode writes at the end whoever else wrote", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const a = openRegularFile(`${dir}/shared`, { append: true });
    const b = openRegularFile(`${dir}/shared`, { append: true });
    a.writeSync(bytes("a1\n"));
    b.writeSync(bytes("b1\n"));
    a.writeSync(bytes("a2\n"));
    a.close();
    b.close();
    assert.equal(Deno.readTextFileSync(`${dir}/shared`), "a1\nb1\na2\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openRegularFile() refuses symlinks, live or dangling, and leaves their targets alone", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/target`, "kept, no newline");
    Deno.symlinkSync(`${dir}/target`, `${dir}/link`);
    Deno.symlinkSync(`${dir}/absent`, `${dir}/dangling`);
    for (const append of [false, true]) {
      assert.throws(
        () => openRegularFile(`${dir}/link`, { append }),
        refusal(/"[^"]+\/link" is a symbolic link to "[^"]+\/target", which is never followed/),
      );
      assert.throws(() => openRegularFile(`${dir}/dangling`, { append }), refusal(/symbolic/));
    }
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "kept, no newline");
    assert.throws(() => Deno.lstatSync(`${dir}/absent`), Deno.errors.NotFound, "not created");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openRegularFile() refuses a directory, a FIFO and a hard-linked file", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/sub`);
    assert.throws(() => openRegularFile(`${dir}/sub`), refusal(/is a directory, not a file/));
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.equal(mkfifo.code, 0);
    assert.throws(() => openRegularFile(`${dir}/fifo`), refusal(/is not a regular file/));
    Deno.writeTextFileSync(`${dir}/original`, "x\n");
    Deno.linkSync(`${dir}/original`, `${dir}/alias`);
    assert.throws(() => openRegularFile(`${dir}/alias`), refusal(/has 2 hard links/));
    assert.equal(Deno.readTextFileSync(`${dir}/original`), "x\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
