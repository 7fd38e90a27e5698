/**
 * Broken capture files: truncated at every byte offset of the file header and of packet records
 * (pcap and pcapng, with unknown blocks), each read in-process (libpcap's handle and the capture
 * worker's loop feeding a Session, as main.ts runs them). main.ts itself on a representative
 * subset: broken_files_test.ts.
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../core/config/config.ts";
import { type Frame, PacketDecoder } from "../../core/decode/decoder.ts";
import { PacketBatch } from "../../core/packet/packet_batch.ts";
import { type CaptureEnd, type PacketSource, Session } from "../../core/run/session.ts";
import { CaptureError } from "../../ffi/errors.ts";
import { PcapHandle, READ_EOF, READ_PACKET } from "../../ffi/pcap_handle.ts";
import { encodePcap, encodePcapng, makeTempDir } from "../support/pcap_writer.ts";
import { threePackets, writeCapture } from "./fixtures.ts";

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
  const list = threePackets();
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
  const list = threePackets();
  // Blocks: SHB, IDB, unknown, EPB 0, unknown, EPB 1, EPB 2.
  const full = encodePcapng({ packets: list, unknownBlocks: [0, 1] });
  const blocks = blockEnds(full);
  assert.equal(blocks.length, 7);
  const head = blocks[1]!;
  const ends = [blocks[3]!, blocks[5]!, blocks[6]!];
  const whole = await readInProcess(
    await writeCapture(`${dir.path}/whole.pcapng`, full),
  );
  assert.deepEqual(
    [whole.end?.kind, whole.packets],
    ["eof", 3],
    "unknown blocks are skipped",
  );
  const jobs = Array.from({ length: blocks[5]! + 1 }, (_, cut) => async () => {
    const path = await writeCapture(
      `${dir.path}/cut${cut}.pcapng`,
      full.slice(0, cut),
    );
    const o = await readInProcess(path);
    checkOutcome(o, path, cut, expectedAt(cut, head, blocks, ends));
    await Deno.remove(path);
  });
  await pool(jobs, 8);
});
