/**
 * @module ffi_read
 * Packets per second of the FFI read path on a generated pcap of small frames.
 *
 *   deno run --allow-all bench/ffi_read.ts [packets=1000000] [runs=5]
 *
 * Prints, per run, the rate of `Capture` (worker + decoder + batches to the main thread) and of a
 * bare `PcapHandle.next()` loop on the main thread (the FFI floor), then the medians.
 */
import { Capture } from "../ffi/capture.ts";
import { PcapHandle, READ_PACKET } from "../ffi/pcap_handle.ts";
import { encodePcap, type FixturePacket } from "../testing/pcap_writer.ts";

const count = Number(Deno.args[0] ?? 1_000_000);
const runs = Number(Deno.args[1] ?? 5);

function frame(i: number): Uint8Array {
  const tcp = i % 3 !== 0;
  const bytes = new Uint8Array(tcp ? 60 : 42 + (i % 64));
  const dv = new DataView(bytes.buffer);
  dv.setUint16(12, 0x0800);
  dv.setUint8(14, 0x45);
  dv.setUint16(16, bytes.length - 14);
  dv.setUint8(22, 64);
  dv.setUint8(23, tcp ? 6 : 17);
  dv.setUint32(26, 0x0a000000 + (i % 5000));
  dv.setUint32(30, 0x0a010000 + (i % 300));
  dv.setUint16(34, 1024 + (i % 60000));
  dv.setUint16(36, tcp ? 443 : 53);
  if (tcp) {
    dv.setUint8(46, 0x50); // data offset 5
    dv.setUint8(47, 0x02); // SYN
  }
  return bytes;
}

const dir = await Deno.makeTempDir({ prefix: "anomaly_bench_" });
try {
  const path = `${dir}/bench.pcap`;
  const packets: FixturePacket[] = [];
  for (let i = 0; i < count; i++) {
    packets.push({ tsUs: 1_700_000_000_000_000 + i, bytes: frame(i) });
  }
  await Deno.writeFile(path, encodePcap({ packets }));
  packets.length = 0;

  const captureRates: number[] = [];
  const bareRates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    const capture = await Capture.open({ read: path });
    let seen = 0;
    const end = await capture.run({ onBatch: (b) => void (seen += b.count) });
    const captureS = (performance.now() - t0) / 1000;
    if (end.kind !== "eof" || seen !== count) throw new Error(`bad run: ${JSON.stringify(end)}`);
    captureRates.push(count / captureS);

    const t1 = performance.now();
    using handle = PcapHandle.openOffline(path);
    const f = { bytes: new Uint8Array(0), start: 0, capLen: 0, wireLen: 0, timestampUs: 0 };
    let n = 0;
    while (handle.next(f) === READ_PACKET) n++;
    const bareS = (performance.now() - t1) / 1000;
    if (n !== count) throw new Error(`bare loop read ${n}`);
    bareRates.push(count / bareS);
    console.log(
      `run ${run + 1}: Capture ${fmt(count / captureS)} pkt/s, bare next() ${fmt(count / bareS)}`,
    );
  }
  console.log(
    `median over ${runs} runs of ${count} packets: Capture ${fmt(median(captureRates))} pkt/s, ` +
      `bare next() ${fmt(median(bareRates))} pkt/s`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmt(rate: number): string {
  return `${(rate / 1e6).toFixed(2)} M`;
}
