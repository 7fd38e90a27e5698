/**
 * Live captures on a veth pair: one end stays in the root namespace (captured there), the other
 * is moved into a namespace this test creates and sends from. Names are unique per process and
 * test; everything is deleted in `finally`. Skipped without root.
 */
import assert from "node:assert/strict";
import { Capture, type CaptureEnd, type CaptureStats } from "../../ffi/capture.ts";

const ROOT = Deno.uid() === 0;
let serial = 0;

interface Veth {
  /** The end captured on, in the root namespace. */
  host: string;
  hostAddress: string;
  /** The namespace holding the other end. */
  netns: string;
  peerAddress: string;
}

async function sh(command: string, { check = true, timeoutS = 10 } = {}): Promise<string> {
  const out = await new Deno.Command("timeout", {
    args: [String(timeoutS), "bash", "-c", command],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (check && out.code !== 0) {
    throw new Error(`${command}: exit ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Runs `fn` with a fresh veth pair; deletes the pair and the namespace whatever happens. */
async function withVeth(fn: (v: Veth) => Promise<void>): Promise<void> {
  const n = serial++;
  const id = `${Deno.pid % 100000}${n}`;
  const subnet = `10.251.${Deno.pid % 250}`; // a /30 per test: .4n+1 here, .4n+2 in the namespace
  const v: Veth = {
    host: `anf${id}a`,
    hostAddress: `${subnet}.${(n % 60) * 4 + 1}`,
    netns: `anmffi${id}`,
    peerAddress: `${subnet}.${(n % 60) * 4 + 2}`,
  };
  const peer = `anf${id}b`;
  try {
    await sh([
      `ip netns add ${v.netns}`,
      `ip link add ${v.host} type veth peer name ${peer}`,
      `ip link set ${peer} netns ${v.netns}`,
      `ip addr add ${v.hostAddress}/30 dev ${v.host}`,
      `ethtool -K ${v.host} tso off gso off gro off >/dev/null`,
      `ip link set ${v.host} up`,
      `ip netns exec ${v.netns} ip addr add ${v.peerAddress}/30 dev ${peer}`,
      `ip netns exec ${v.netns} ethtool -K ${peer} tso off gso off gro off >/dev/null`,
      `ip netns exec ${v.netns} ip link set ${peer} up`,
      `ip netns exec ${v.netns} ip link set lo up`,
    ].join(" && "));
    await fn(v);
  } finally {
    await sh(`ip link del ${v.host} 2>/dev/null; ip netns del ${v.netns} 2>/dev/null; true`);
  }
}

/** Resolves with the end, or with "timeout" if the capture did not end within `ms`. */
function within(p: Promise<CaptureEnd>, ms: number): Promise<CaptureEnd | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms)),
  ]);
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const live = { ignore: !ROOT };
if (!ROOT) console.log("tests/ffi/capture_live_test.ts: live tests skipped (not root)");

Deno.test({
  name: "Capture counts pings across a veth with a BPF filter and reports kernel counters",
  ...live,
  fn: () =>
    withVeth(async (v) => {
      const capture = await Capture.open({ device: v.host, filter: "icmp", snaplen: 128 });
      assert.equal(capture.live, true);
      assert.equal(capture.source, v.host);
      assert.equal(capture.linkType, 1);
      assert.equal(capture.snaplen, 128);
      let packets = 0;
      const times: number[] = [];
      const stats: CaptureStats[] = [];
      const ended = capture.run({
        onBatch(batch) {
          packets += batch.count;
          for (let i = 0; i < batch.count; i++) times.push(batch.timestampsUs[i]!);
        },
        onStats: (s) => stats.push(s),
      });
      const before = Date.now() * 1000;
      await sh(`ip netns exec ${v.netns} ping -c 20 -i 0.01 -W 1 -q ${v.hostAddress}`);
      await until(() => packets >= 40, 3000);
      // A second of quiet: nothing else matches "icmp", and the stats tick passes.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await capture.stop();
      const end = await ended;
      assert.deepEqual(end, { kind: "stopped", packets: 40 });
      assert.equal(packets, 40, "20 echo requests + 20 replies");
      assert.ok(times.every((t, i) => t >= before - 1e6 && (i === 0 || t >= times[i - 1]!)));
      assert.ok(stats.length >= 2, "a stats tick and the final counters");
      const last = stats.at(-1)!;
      assert.equal(last.received, 40);
      assert.equal(last.dropped, 0);
    }),
});

Deno.test({
  name: "Capture.stop() ends an idle live capture promptly and the event loop stays free",
  ...live,
  fn: () =>
    withVeth(async (v) => {
      const capture = await Capture.open({ device: v.host, filter: "tcp port 9" });
      let batches = 0;
      const ended = capture.run({ onBatch: () => batches++ });
      let worstLag = 0;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 5));
        worstLag = Math.max(worstLag, performance.now() - t - 5);
      }
      assert.ok(worstLag < 50, `timer lag ${worstLag} ms`);
      const t0 = performance.now();
      await capture.stop();
      const stopMs = performance.now() - t0;
      assert.ok(stopMs < 500, `stop() took ${stopMs} ms`);
      assert.deepEqual(await ended, { kind: "stopped", packets: 0 });
      assert.equal(batches, 0);
      await capture.stop(); // idempotent after the end
    }),
});

Deno.test({
  name: "Capture ends with device_gone when its veth is deleted mid-run",
  ...live,
  fn: () =>
    withVeth(async (v) => {
      const capture = await Capture.open({ device: v.host, filter: "" });
      const ended = capture.run({ onBatch() {} });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sh(`ip link del ${v.host}`);
      const end = await within(ended, 5000);
      if (end === "timeout") {
        await capture.stop();
        assert.fail("the capture did not end within 5 s of the device's removal");
      }
      assert.equal(end.kind, "error");
      if (end.kind === "error") {
        assert.equal(end.code, "device_gone");
        assert.match(end.message, new RegExp(`^Capture on "${v.host}" ended: the device`));
      }
    }),
});

Deno.test({
  name: "Capture.open() without CAP_NET_RAW rejects with permission_denied",
  ...live,
  fn: async () => {
    const url = new URL("../../ffi/capture.ts", import.meta.url).href;
    const script = `import { Capture } from ${JSON.stringify(url)};
      try { await Capture.open({ device: "lo" }); console.log("opened"); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const out = await new Deno.Command("setpriv", {
      args: [
        "--bounding-set=-net_raw,-net_admin",
        "--inh-caps=-net_raw,-net_admin",
        Deno.execPath(),
        "eval",
        script,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const e = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(e, {
      code: "permission_denied",
      message: 'Cannot capture on "lo": permission denied ' +
        "(run as root, or setcap cap_net_raw,cap_net_admin=eip on the binary)",
    });
  },
});
