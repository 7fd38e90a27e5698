import assert from "node:assert/strict";
import { setProcessNice, setThreadNice } from "../../ffi/priority.ts";

/** The calling thread's nice value, field 19 of /proc/thread-self/stat. */
function threadNice(): number {
  const stat = Deno.readTextFileSync("/proc/thread-self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[16]);
}

Deno.test({
  name: "setThreadNice() raises the calling thread's priority, or says why it cannot",
  ignore: Deno.build.os !== "linux",
  fn() {
    const before = threadNice();
    const refused = setThreadNice(before - 1);
    if (Deno.uid() === 0) {
      assert.equal(refused, null);
      assert.equal(threadNice(), before - 1);
    } else {
      assert.match(refused ?? "", /needs root or CAP_SYS_NICE/);
    }
    assert.equal(setThreadNice(0), null, "0 leaves the priority alone");
  },
});

Deno.test({
  name: "setProcessNice() raises every thread of the process",
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  fn() {
    const nices = () =>
      [...Deno.readDirSync("/proc/self/task")].map((t) => {
        const stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      });
    const target = Math.min(...nices()) - 1;
    assert.equal(setProcessNice(target), null);
    for (const nice of nices()) assert.equal(nice, target);
  },
});
