import assert from "node:assert/strict";

const script = `
import { Capture } from ${JSON.stringify(new URL("../../ffi/capture.ts", import.meta.url).href)};
import { listDevices } from ${
  JSON.stringify(new URL("../../ffi/devices.ts", import.meta.url).href)
};
const out = [];
for (const f of [() => Capture.open({ read: "/nonexistent.pcap" }), async () => listDevices()]) {
  try { await f(); out.push(null); } catch (e) { out.push({ name: e.name, code: e.code, message: e.message }); }
}
console.log(JSON.stringify(out));
`;

async function runWith(env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("a missing libpcap gives library_missing with a one-line fix", async () => {
  const [open, list] = await runWith({ ANOMALY_LIBPCAP: "/nonexistent/libpcap.so" });
  for (const e of [open, list]) {
    assert.equal(e.name, "CaptureError");
    assert.equal(e.code, "library_missing");
    assert.equal(
      e.message,
      'Cannot load libpcap from ANOMALY_LIBPCAP="/nonexistent/libpcap.so": no usable library ' +
        "there (fix the path, or unset ANOMALY_LIBPCAP to use the system libpcap)",
    );
  }
});

/** Debian's libpcap at a known path, if it is there. */
const DEBIAN_LIBPCAP = [
  "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
  "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8",
]
  .find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
if (DEBIAN_LIBPCAP === undefined) console.log("skip: no Debian libpcap.so.0.8 at a known path");

Deno.test("ANOMALY_LIBPCAP pointing at the real library is used", {
  ignore: DEBIAN_LIBPCAP === undefined,
}, async () => {
  const [open, list] = await runWith({ ANOMALY_LIBPCAP: DEBIAN_LIBPCAP! });
  assert.equal(open.code, "unreadable_file");
  assert.equal(list, null);
});
