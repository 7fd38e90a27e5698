import assert from "node:assert/strict";
import { BatchSummaryCollector } from "../../core/summary/batch_summary.ts";
import { SEG_NEXT } from "../../core/summary/batch_rows.ts";
import { Capture, type CaptureEnd } from "../../ffi/capture.ts";
import { CaptureError } from "../../ffi/errors.ts";
import {
  encodePcap,
  encodePcapng,
  type FixturePacket,
  makeTempDir,
  writePcap,
  writePcapng,
} from "../support/pcap_writer.ts";

const T0 = 1_700_000_000_000_000; // 2023-11-14T22:13:20Z in µs

/** A minimal Ethernet + IPv4 + UDP (proto 17) or TCP (proto 6) frame. */
function ipv4Frame(proto: 6 | 17, payload = 18): Uint8Array {
  const l4 = proto === 6 ? 20 : 8;
  const bytes = new Uint8Array(14 + 20 + l4 + payload);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(12, 0x0800);
  dv.setUint8(14, 0x45);
  dv.setUint16(16, 20 + l4 + payload);
  dv.setUint8(22, 64);
  dv.setUint8(23, proto);
  dv.setUint32(26, 0x0a000001);
  dv.setUint32(30, 0x0a000002);
  dv.setUint16(34, 40000);
  dv.setUint16(36, 53);
  if (proto === 6) dv.setUint8(46, 0x50);
  return bytes;
}

function packets(n: number, step = 1000): FixturePacket[] {
  return Array.from({ length: n }, (_, i) => ({
    tsUs: T0 + i * step,
    bytes: ipv4Frame(i % 2 === 0 ? 17 : 6),
  }));
}

/** Reads a whole capture; returns the timestamps seen and how it ended. */
async function readAll(
  options: Parameters<typeof Capture.open>[0],
): Promise<{ capture: Capture; times: number[]; batches: number; end: CaptureEnd }> {
  const capture = await Capture.open(options);
  const times: number[] = [];
  let batches = 0;
  const end = await capture.run({
    onBatch(batch) {
      batches++;
      for (let i = 0; i < batch.count; i++) times.push(batch.timestampsUs[i]!);
    },
  });
  return { capture, times, batches, end };
}

async function rejectsWith(
  options: Parameters<typeof Capture.open>[0],
  code: string,
): Promise<CaptureError> {
  try {
    await Capture.open(options);
  } catch (e) {
    assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes("\n"), "one line");
    assert.ok(!e.message.endsWith("."), "no trailing period");
    return e;
  }
  assert.fail(`Capture.open(${JSON.stringify(options)}) did not reject`);
}

Deno.test("Capture reads a microsecond pcap: count, timestamps and link type", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/us.pcap`;
  const list = packets(10_000, 1);
  await writePcap(path, { linkType: 1, packets: list });
  const { capture, times, batches, end } = await readAll({ read: path, batchSize: 4096 });
  assert.equal(capture.linkType, 1);
  assert.equal(capture.linkTypeName, "EN10MB");
  assert.equal(capture.live, false);
  assert.equal(capture.source, path);
  assert.deepEqual(end, { kind: "eof", packets: 10_000 });
  assert.equal(batches, 3);
  assert.deepEqual(times, list.map((p) => p.tsUs));
});

Deno.test("Capture reads a nanosecond pcap, truncating times to microseconds", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/ns.pcap`;
  const list: FixturePacket[] = [
    { tsUs: 0, tsNs: 1_700_000_000_123_456_789n, bytes: ipv4Frame(17) },
    { tsUs: 0, tsNs: 1_700_000_001_000_000_999n, bytes: ipv4Frame(6) },
    { tsUs: 0, tsNs: 1_700_000_002_999_999_000n, bytes: ipv4Frame(17) },
  ];
  await writePcap(path, { nanoseconds: true, linkType: 1, snaplen: 96, packets: list });
  const { capture, times, end } = await readAll({ read: path });
  assert.equal(capture.snaplen, 96);
  assert.deepEqual(end, { kind: "eof", packets: 3 });
  assert.deepEqual(times, [1_700_000_000_123_456, 1_700_000_001_000_000, 1_700_000_002_999_999]);
});

Deno.test("Capture reads pcapng and skips unknown block types", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/unknown.pcapng`;
  const list = packets(7, 250_001);
  await writePcapng(path, { linkType: 1, unknownBlocks: [0, 3, 7], packets: list });
  const { capture, times, end } = await readAll({ read: path });
  assert.equal(capture.linkType, 1);
  assert.deepEqual(end, { kind: "eof", packets: 7 });
  assert.deepEqual(times, list.map((p) => p.tsUs));
});

Deno.test("Capture reads nanosecond pcapng and other link types", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/raw.pcapng`;
  const raw = ipv4Frame(17).subarray(14); // DLT_RAW (101 in files, 12 in libpcap) = bare IPv4
  await writePcapng(path, {
    linkType: 101,
    nanoseconds: true,
    packets: [{ tsUs: 0, tsNs: 1_600_000_000_000_001_999n, bytes: raw }],
  });
  const { capture, times, end } = await readAll({ read: path });
  assert.equal(capture.linkTypeName, "RAW");
  assert.deepEqual(end, { kind: "eof", packets: 1 });
  assert.deepEqual(times, [1_600_000_000_000_001]);
});

Deno.test("Capture applies a BPF filter to a file", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/mixed.pcap`;
  await writePcap(path, { packets: packets(101) });
  const udp = await readAll({ read: path, filter: "udp and dst port 53" });
  assert.deepEqual(udp.end, { kind: "eof", packets: 51 });
  const tcp = await readAll({ read: path, filter: "tcp" });
  assert.deepEqual(tcp.end, { kind: "eof", packets: 50 });
  assert.deepEqual(tcp.times, packets(101).filter((_, i) => i % 2 === 1).map((p) => p.tsUs));
});

Deno.test("Capture keeps order with many batches in flight, with and without reuse", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/many.pcap`;
  const list = packets(50_000, 3);
  await writePcap(path, { packets: list });
  for (const reuseBatches of [true, false]) {
    let slow = 0;
    const capture = await Capture.open({ read: path, batchSize: 1000, reuseBatches });
    let expected = T0;
    let seen = 0;
    const end = await capture.run({
      onBatch(batch) {
        for (let i = 0; i < batch.count; i++) {
          if (batch.timestampsUs[i] !== expected) assert.fail(`packet ${seen}: out of order`);
          expected += 3;
          seen++;
        }
        if (++slow % 10 === 0) {
          const until = performance.now() + 2;
          while (performance.now() < until) { /* a slow sink */ }
        }
      },
    });
    assert.deepEqual(end, { kind: "eof", packets: 50_000 });
    assert.equal(seen, 50_000);
  }
});

Deno.test("Capture's batches carry the summary rows the worker counted, as counted here", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/seconds.pcap`;
  await writePcap(path, { packets: packets(20_000, 170) }); // 3.4 s: segments cut mid-batch
  const capture = await Capture.open({ read: path, batchSize: 1000 });
  const here = new BatchSummaryCollector();
  let segments = 0;
  const end = await capture.run({
    onBatch(batch) {
      assert.ok(batch.summaryRows !== null, "rows came with the batch");
      const expected = here.collect(batch);
      assert.deepEqual(batch.summaryRows, expected);
      for (let at = 0; at < expected.length; at = expected[at + SEG_NEXT]!) segments++;
    },
  });
  assert.equal(end.kind, "eof");
  assert.equal(segments, 20 + 3, "a segment per batch, and one more at each new second");
});

Deno.test("Capture reports a file truncated inside a packet after the packets before it", async () => {
  await using dir = await makeTempDir();
  const list = packets(10);
  const whole = encodePcap({ packets: list });
  const seventh = 24 + list.slice(0, 6).reduce((n, p) => n + 16 + p.bytes.length, 0);
  const cuts: [string, number][] = [["data", seventh + 16 + 5], ["header", seventh + 7]];
  for (const [name, cut] of cuts) {
    const path = `${dir.path}/cut_${name}.pcap`;
    await Deno.writeFile(path, whole.subarray(0, cut));
    const { times, end } = await readAll({ read: path });
    assert.equal(end.kind, "truncated", `cut in the ${name}`);
    assert.equal(end.packets, 6);
    assert.deepEqual(times, list.slice(0, 6).map((p) => p.tsUs));
    if (end.kind === "truncated") {
      assert.equal(end.code, "truncated_file");
      assert.match(
        end.message,
        /truncated: 6 packets read before the break \(libpcap: .*truncated/,
      );
    }
  }
});

Deno.test("Capture reports a truncated pcapng file", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/cut.pcapng`;
  const whole = encodePcapng({ packets: packets(4) });
  await Deno.writeFile(path, whole.subarray(0, whole.length - 10));
  const { end } = await readAll({ read: path });
  assert.equal(end.kind, "truncated");
  assert.equal(end.packets, 3);
});

Deno.test("Capture.open() rejects a missing file, a directory and a text file", async () => {
  await using dir = await makeTempDir();
  const missing = await rejectsWith({ read: `${dir.path}/nope.pcap` }, "unreadable_file");
  assert.equal(
    missing.message,
    `Cannot read "${dir.path}/nope.pcap": no such file (check the path)`,
  );
  await rejectsWith({ read: dir.path }, "unreadable_file");
  const text = `${dir.path}/x.txt`;
  await Deno.writeTextFile(text, "hello, this is not a capture file\n");
  const e = await rejectsWith({ read: text }, "not_a_capture");
  assert.equal(
    e.message,
    `"${text}" is not a pcap or pcapng capture file (libpcap: unknown file format); ` +
      "give a file written by tcpdump -w, Wireshark or dumpcap",
  );
  const stub = `${dir.path}/stub.pcap`;
  await Deno.writeFile(stub, encodePcap({ packets: [] }).subarray(0, 10));
  await rejectsWith({ read: stub }, "truncated_file");
});

Deno.test("Capture.open() rejects a bad filter with libpcap's own text", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/f.pcap`;
  await writePcap(path, { packets: packets(1) });
  const e = await rejectsWith({ read: path, filter: "tcp port x" }, "bad_filter");
  assert.equal(
    e.message,
    `Bad filter "tcp port x": unknown port 'x' (fix the expression: tcpdump syntax, see "man pcap-filter")`,
  );
  const syntax = await rejectsWith({ read: path, filter: "tcp and and" }, "bad_filter");
  assert.match(syntax.message, /^Bad filter "tcp and and": .*syntax error \(fix the expression/);
});

Deno.test("Capture.open() rejects an unknown device", async () => {
  const device = `anmnone${Deno.pid % 100000}`;
  // Without root, libpcap fails on the socket before it looks the device up.
  const expected = Deno.uid() === 0 ? "no_such_device" : "permission_denied";
  const e = await rejectsWith({ device }, expected);
  if (e.code === "no_such_device") {
    assert.equal(
      e.message,
      `Cannot capture on "${device}": no such device (see --list-interfaces)`,
    );
  }
});

Deno.test("Capture.stop() before run() and mid-file ends with stopped", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/stop.pcap`;
  await writePcap(path, { packets: packets(100_000, 1) });

  const idle = await Capture.open({ read: path });
  await idle.stop();
  await idle.stop();
  assert.deepEqual(await idle.run({ onBatch: () => assert.fail("no batch after stop") }), {
    kind: "stopped",
    packets: 0,
  });

  const capture = await Capture.open({ read: path, batchSize: 512 });
  let seen = 0;
  const ended = capture.run({
    onBatch(batch) {
      seen += batch.count;
      if (seen >= 2048) void capture.stop();
    },
  });
  const end = await ended;
  assert.equal(end.kind, "stopped");
  assert.ok(seen >= 2048 && seen < 100_000, `saw ${seen}`);
  assert.equal(end.packets >= seen, true);
  await capture.stop();
});

Deno.test("Capture.run() rejects with the sink's error after stopping the worker", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/throw.pcap`;
  await writePcap(path, { packets: packets(20_000, 1) });
  const capture = await Capture.open({ read: path, batchSize: 100 });
  let calls = 0;
  await assert.rejects(
    capture.run({
      onBatch() {
        calls++;
        throw new Error("sink broke");
      },
    }),
    /sink broke/,
  );
  assert.equal(calls, 1);
  assert.throws(() => capture.run({ onBatch() {} }), /already called/);
});
