/**
 * Broken capture files: truncated at every byte offset of the file header and of packet records
 * (pcap and pcapng), garbage after the header, a wrong magic, a snaplen of 0, records longer
 * than the snaplen and than 262144 bytes, pcapng with unknown blocks. Every offset is read
 * in-process (libpcap's handle and the capture worker's loop feeding a Session, as main.ts runs
 * them); a representative subset runs main.ts itself (the worker included) for the exit code,
 * the one-line message and the records file.
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../core/config.ts";
import { type Frame, PacketDecoder } from "../../core/decode/decoder.ts";
import { PacketBatch } from "../../core/packet_batch.ts";
import { type CaptureEnd, type PacketSource, Session } from "../../core/session.ts";
import { CaptureError } from "../../ffi/errors.ts";
import { PcapHandle, READ_EOF, READ_PACKET } from "../../ffi/pcap_handle.ts";
import { arp, ethernet, ipv4, ipv6, tcp, udp } from "../support/frames.ts";
import {
  encodePcap,
  encodePcapng,
  type FixturePacket,
  makeTempDir,
} from "../support/pcap_writer.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { errorLine, runMain, T0_US } from "./fixtures.ts";

/** Three packets of different sizes and protocols. */
function packets(): FixturePacket[] {
  return [
    ethernet(0x0800, ipv4({ proto: 17, payload: udp({ payload: [1, 2, 3] }) })),
    ethernet(
      0x86dd,
      ipv6({ nextHeader: 6, payload: tcp({ payload: new Array(9).fill(7) }) }),
    ),
    ethernet(0x0806, arp("10.0.0.1", "10.0.0.2")),
  ].map((bytes, i) => ({ tsUs: T0_US + i * 1e6, bytes }));
}

/** How reading a file in-process went. */
interface Outcome {
  /** The open error, or null when the file opened. */
  openError: CaptureError | null;
  /** The capture's end (kind, and message for truncated/error). */
  end: { kind: string; message?: string; code?: string } | null;
  /** Packets delivered to the engine. */
  packets: number;
  /** Every record, as written (JSON text). */
  lines: string[];
}

const CONFIG = applyOverrides(defaultConfig(), {});

/**
 * The capture worker's file loop (ffi/capture_worker.ts readOffline) on this thread, as a
 * Session's packet source: spawning a worker per offset would cost seconds.
 */
class HandleSource implements PacketSource {
  readonly linkTypeName: string;
  readonly live = false;
  constructor(readonly handle: PcapHandle, readonly source: string) {
    this.linkTypeName = handle.linkTypeName;
  }
  run(sink: { onBatch(batch: PacketBatch): void }): Promise<CaptureEnd> {
    const h = this.handle;
    const decoder = new PacketDecoder(h.linkType);
    const batch = new PacketBatch(64);
    const frame: Frame = {
      bytes: new Uint8Array(0),
      start: 0,
      capLen: 0,
      wireLen: 0,
      timestampUs: 0,
    };
    let packets = 0, status: number;
    while ((status = h.next(frame)) === READ_PACKET) {
      decoder.decode(frame, batch);
      packets++;
      if (batch.full) {
        sink.onBatch(batch);
        batch.clear();
      }
    }
    if (batch.count > 0) sink.onBatch(batch);
    if (status === READ_EOF) return Promise.resolve({ kind: "eof" });
    const error = h.readError(packets);
    h.close();
    return Promise.resolve({
      kind: error.code === "truncated_file" ? "truncated" : "error",
      code: error.code,
      message: error.message,
    });
  }
  stop(): Promise<void> {
    this.handle.close();
    return Promise.resolve();
  }
}

/** Reads `path` as main.ts --no-ui does (open, then a Session), with records kept in memory. */
async function readInProcess(path: string): Promise<Outcome> {
  let handle: PcapHandle;
  try {
    handle = PcapHandle.openOffline(path);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    return { openError: e, end: null, packets: 0, lines: [] };
  }
  const lines: string[] = [];
  const session = new Session({
    config: CONFIG,
    source: new HandleSource(handle, path),
    logDirectory: null,
    listeners: [(record) => lines.push(JSON.stringify(record))],
  });
  const result = await session.done;
  handle.close();
  return { openError: null, end: result.end, packets: result.packets, lines };
}

/** Runs `jobs` with at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

/** The final stats record of `lines` (which must be last), after checking every line parses. */
function finalStats(lines: string[]): { stats: { decoder: { pkts: number } } } {
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = records.at(-1) as {
    event_type: string;
    summary: { final: boolean };
  } | undefined;
  assert.ok(
    last && last.event_type === "stats" && last.summary.final,
    "a final stats record last",
  );
  return last as unknown as { stats: { decoder: { pkts: number } } };
}

/**
 * The expected outcome of a file cut at `cut`, given where the readable region starts (`head`:
 * the file header, or pcapng's SHB + IDB) and where each packet record ends.
 */
function expectedAt(
  cut: number,
  head: number,
  boundaries: number[],
  ends: number[],
) {
  const readable = ends.filter((e) => e <= cut).length;
  if (cut < head) return { open: true, readable: 0, clean: false };
  return { open: false, readable, clean: boundaries.includes(cut) };
}

function checkOutcome(
  o: Outcome,
  path: string,
  cut: number,
  want: { open: boolean; readable: number; clean: boolean },
): void {
  const at = `cut at byte ${cut}`;
  if (want.open) {
    assert.ok(o.openError !== null, `${at}: the open fails`);
    const m = o.openError.message;
    assert.ok(
      m.includes(`"${path}"`) && !m.includes("\n"),
      `${at}: one line naming it: ${m}`,
    );
    if (cut === 0) {
      assert.equal(o.openError.code, "not_a_capture", `${at}: ${m}`);
      assert.match(m, /is empty/);
    } else {
      assert.equal(o.openError.code, "truncated_file", `${at}: ${m}`);
      assert.match(m, /is truncated/);
    }
    return;
  }
  assert.equal(o.openError, null, `${at}: opens (${o.openError?.message})`);
  assert.equal(
    o.packets,
    want.readable,
    `${at}: every readable packet, no more`,
  );
  assert.equal(
    finalStats(o.lines).stats.decoder.pkts,
    want.readable,
    `${at}: final record`,
  );
  if (want.clean) {
    assert.equal(
      o.end?.kind,
      "eof",
      `${at}: a cut between records reads as a whole file`,
    );
    return;
  }
  assert.equal(o.end?.kind, "truncated", `${at}: ${JSON.stringify(o.end)}`);
  const m = o.end!.message!;
  assert.ok(
    m.includes(`"${path}" is truncated`) && !m.includes("\n"),
    `${at}: ${m}`,
  );
  assert.ok(
    m.includes(`${want.readable} packets read before the break`),
    `${at}: ${m}`,
  );
}

Deno.test("a pcap cut at every byte of its header and of two packet records", async () => {
  await using dir = await makeTempDir();
  const list = packets();
  const full = encodePcap({ packets: list });
  const ends: number[] = [];
  for (let i = 0, at = 24; i < list.length; i++) {
    ends.push(at += 16 + list[i]!.bytes.length);
  }
  const boundaries = [24, ...ends];
  const last = ends[1]!; // through the second record: header and data of a whole record
  const jobs = Array.from({ length: last + 1 }, (_, cut) => async () => {
    const path = `${dir.path}/cut${cut}.pcap`;
    await Deno.writeFile(path, full.slice(0, cut));
    const o = await readInProcess(path);
    checkOutcome(o, path, cut, expectedAt(cut, 24, boundaries, ends));
    await Deno.remove(path);
  });
  await pool(jobs, 8);
});

/** Offsets where each block of a pcapng file ends. */
function blockEnds(bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += dv.getUint32(at + 4, true)) {
    out.push(at + dv.getUint32(at + 4, true));
  }
  return out;
}

Deno.test("a pcapng with unknown blocks cut at every byte of its headers and records", async () => {
  await using dir = await makeTempDir();
  const list = packets();
  // Blocks: SHB, IDB, unknown, EPB 0, unknown, EPB 1, EPB 2.
  const full = encodePcapng({ packets: list, unknownBlocks: [0, 1] });
  const blocks = blockEnds(full);
  assert.equal(blocks.length, 7);
  const head = blocks[1]!;
  const ends = [blocks[3]!, blocks[5]!, blocks[6]!];
  const whole = await readInProcess(
    await write(`${dir.path}/whole.pcapng`, full),
  );
  assert.deepEqual(
    [whole.end?.kind, whole.packets],
    ["eof", 3],
    "unknown blocks are skipped",
  );
  const jobs = Array.from({ length: blocks[5]! + 1 }, (_, cut) => async () => {
    const path = await write(
      `${dir.path}/cut${cut}.pcapng`,
      full.slice(0, cut),
    );
    const o = await readInProcess(path);
    checkOutcome(o, path, cut, expectedAt(cut, head, blocks, ends));
    await Deno.remove(path);
  });
  await pool(jobs, 8);
});

async function write(path: string, bytes: Uint8Array): Promise<string> {
  await Deno.writeFile(path, bytes);
  return path;
}

/** A pcap whose first record claims `caplen` (and as many bytes follow). */
function pcapWithCaplen(caplen: number, snaplen: number): Uint8Array {
  return encodePcap({
    snaplen,
    packets: [
      packets()[0]!,
      { tsUs: T0_US + 1e6, bytes: new Uint8Array(caplen).fill(0x45) },
      packets()[2]!,
    ],
  });
}

/** main.ts --no-ui --read on `bytes`: exit code, the error line (or ""), the records. */
async function runOn(dir: string, name: string, bytes: Uint8Array) {
  const path = await write(`${dir}/${name}`, bytes);
  const logDir = `${dir}/log_${name}`;
  const result = await runMain(["--read", path, "--log-dir", logDir]);
  const hasError = /^anomaly: (?!(info|warning|debug): )/m.test(result.stderr);
  const line = hasError ? errorLine(result.stderr) : "";
  let pkts: number | null = null;
  try {
    const { final } = statsRecords(`${logDir}/network_activity.jsonl`); // every line parsed
    pkts = final.stats.decoder.pkts;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return { path, code: result.code, line, pkts, logDir };
}

Deno.test("main.ts on broken files: exit code, one clear line, records of what was readable", async () => {
  await using dir = await makeTempDir();
  const good = encodePcap({ packets: packets() });
  const rec0 = 24 + 16 + packets()[0]!.bytes.length;
  const text = new TextEncoder().encode(
    "this is not a packet record, just text\n".repeat(4),
  );
  const withGarbage = (at: number) => {
    const out = new Uint8Array(at + text.length);
    out.set(good.subarray(0, at));
    out.set(text, at);
    return out;
  };
  const wrongMagic = good.slice();
  wrongMagic.set([0xde, 0xad, 0xbe, 0xef]);
  const ng = encodePcapng({ packets: packets(), unknownBlocks: [0, 2, 3] });
  const ngCut = encodePcapng({ packets: packets(), unknownBlocks: [0, 2] });
  const cases: {
    name: string;
    bytes: Uint8Array;
    code: number;
    /** Packets in the final stats record; null when no records are written (open failed). */
    pkts: number | null;
    says?: RegExp;
  }[] = [
    {
      name: "empty.pcap",
      bytes: new Uint8Array(0),
      code: 1,
      pkts: null,
      says: /is empty/,
    },
    {
      name: "cut-in-file-header.pcap",
      bytes: good.slice(0, 10),
      code: 1,
      pkts: null,
      says: /is truncated inside its file header/,
    },
    {
      name: "cut-in-record-header.pcap",
      bytes: good.slice(0, rec0 + 7),
      code: 1,
      pkts: 1,
      says: /is truncated: 1 packets read before the break/,
    },
    {
      name: "cut-in-record-data.pcap",
      bytes: good.slice(0, rec0 + 16 + 30),
      code: 1,
      pkts: 1,
      says: /is truncated: 1 packets read before the break/,
    },
    {
      name: "garbage-after-header.pcap",
      bytes: withGarbage(24),
      code: 1,
      pkts: 0,
      says: /is corrupt after 0 packets \(libpcap: invalid packet capture length \d+.*repair/,
    },
    {
      name: "garbage-after-one-packet.pcap",
      bytes: withGarbage(rec0),
      code: 1,
      pkts: 1,
      says: /is corrupt after 1 packets/,
    },
    {
      name: "wrong-magic.pcap",
      bytes: wrongMagic,
      code: 1,
      pkts: null,
      says: /is not a pcap or pcapng capture file.*tcpdump -w/,
    },
    // libpcap reads a snaplen of 0 as the largest one: the file is read whole.
    {
      name: "snaplen-0.pcap",
      bytes: encodePcap({ packets: packets(), snaplen: 0 }),
      code: 0,
      pkts: 3,
    },
    // A record longer than the header's snaplen (but within 262144) is read, cut to the snaplen.
    {
      name: "caplen-above-snaplen.pcap",
      bytes: pcapWithCaplen(300, 100),
      code: 0,
      pkts: 3,
    },
    {
      name: "caplen-above-262144.pcap",
      bytes: pcapWithCaplen(262145, 262144),
      code: 1,
      pkts: 1,
      says: /is corrupt after 1 packets \(libpcap: invalid packet capture length 262145/,
    },
    { name: "unknown-blocks.pcapng", bytes: ng, code: 0, pkts: 3 },
    {
      name: "truncated.pcapng",
      bytes: ngCut.slice(0, ngCut.length - 5), // inside the last packet's block
      code: 1,
      pkts: 2,
      says: /is truncated: 2 packets read before the break/,
    },
  ];
  const results = await Promise.all(
    cases.map((c) => runOn(dir.path, c.name, c.bytes)),
  );
  cases.forEach((c, i) => {
    const r = results[i]!;
    assert.equal(r.code, c.code, `${c.name}: exit code (${r.line})`);
    assert.equal(
      r.pkts,
      c.pkts,
      `${c.name}: packets in the final stats record`,
    );
    if (c.says === undefined) {
      assert.equal(r.line, "", `${c.name}: no error line`);
      return;
    }
    assert.ok(
      r.line.startsWith(`anomaly: "${r.path}" `),
      `${c.name} names the file: ${r.line}`,
    );
    assert.match(r.line, c.says, c.name);
    if (c.pkts !== null) {
      assert.ok(
        r.line.includes(` in ${r.logDir}/network_activity.jsonl`),
        r.line,
      );
      assert.ok(readRecords(`${r.logDir}/network_activity.jsonl`).length >= 1);
    }
  });
});
