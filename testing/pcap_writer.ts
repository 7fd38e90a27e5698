/**
 * @module pcap_writer
 * Writes pcap and pcapng capture files from frames, for test fixtures.
 *
 * ```ts
 * await using dir = await makeTempDir();
 * const path = `${dir.path}/two.pcap`;
 * await writePcap(path, { linkType: 1, packets: [{ tsUs: 1_700_000_000_000_000, bytes: frame }] });
 * ```
 *
 * - pcap: little-endian, magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (`nanoseconds: true`), v2.4.
 * - pcapng: one section (SHB), one interface (IDB with if_tsresol), one EPB per packet; `unknownBlocks`
 *   inserts blocks of an unassigned type that readers must skip.
 * - A packet's caplen is `bytes.length`; its wire length is `wireLen ?? bytes.length`.
 */

/** One packet of a fixture. */
export interface FixturePacket {
  /** Time in microseconds since the Unix epoch. */
  tsUs: number;
  /** Time in nanoseconds since the Unix epoch; overrides `tsUs` in nanosecond files. */
  tsNs?: bigint;
  /** The captured bytes (caplen = length). */
  bytes: Uint8Array;
  /** Length on the wire, when the capture cut the packet (default: `bytes.length`). */
  wireLen?: number;
}

export interface PcapOptions {
  /** DLT_* link type. Default 1 (Ethernet). */
  linkType?: number;
  /** Snaplen written in the header. Default 262144. */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d). Default false. */
  nanoseconds?: boolean;
  packets: FixturePacket[];
}

export interface PcapngOptions {
  /** DLT_* link type of the interface. Default 1 (Ethernet). */
  linkType?: number;
  /** Snaplen of the interface. Default 262144. */
  snaplen?: number;
  /** Nanosecond timestamps (if_tsresol = 9). Default false (µs). */
  nanoseconds?: boolean;
  /** Insert an unknown block before packet i, for every i listed (packets.length = at the end). */
  unknownBlocks?: number[];
  packets: FixturePacket[];
}

/** The bytes of a pcap file. */
export function encodePcap(options: PcapOptions): Uint8Array<ArrayBuffer> {
  const { linkType = 1, snaplen = 262144, nanoseconds = false, packets } = options;
  const size = 24 + packets.reduce((n, p) => n + 16 + p.bytes.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true); // thiszone
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linkType, true);
  let at = 24;
  for (const p of packets) {
    const [sec, frac] = splitTime(p, nanoseconds);
    dv.setUint32(at, sec, true);
    dv.setUint32(at + 4, frac, true);
    dv.setUint32(at + 8, p.bytes.length, true);
    dv.setUint32(at + 12, p.wireLen ?? p.bytes.length, true);
    out.set(p.bytes, at + 16);
    at += 16 + p.bytes.length;
  }
  return out;
}

/** Writes a pcap file. */
export async function writePcap(path: string, options: PcapOptions): Promise<void> {
  await Deno.writeFile(path, encodePcap(options));
}

/** The bytes of a pcapng file. */
export function encodePcapng(options: PcapngOptions): Uint8Array<ArrayBuffer> {
  const {
    linkType = 1,
    snaplen = 262144,
    nanoseconds = false,
    unknownBlocks = [],
    packets,
  } = options;
  const blocks: Uint8Array[] = [];
  // Section Header Block: BOM, version 1.0, section length -1 (unknown), no options.
  blocks.push(block(0x0a0d0d0a, 16, (dv) => {
    dv.setUint32(8, 0x1a2b3c4d, true);
    dv.setUint16(12, 1, true);
    dv.setUint16(14, 0, true);
    dv.setBigInt64(16, -1n, true);
  }));
  // Interface Description Block with if_tsresol (code 9, length 1) and opt_endofopt.
  blocks.push(block(0x00000001, 8 + 8 + 4, (dv) => {
    dv.setUint16(8, linkType, true);
    dv.setUint16(10, 0, true);
    dv.setUint32(12, snaplen, true);
    dv.setUint16(16, 9, true);
    dv.setUint16(18, 1, true);
    dv.setUint8(20, nanoseconds ? 9 : 6);
    dv.setUint32(24, 0, true); // opt_endofopt (code 0, length 0)
  }));
  const unknownAt = new Set(unknownBlocks);
  packets.forEach((p, i) => {
    if (unknownAt.has(i)) blocks.push(unknownBlock(i));
    const units = nanoseconds
      ? p.tsNs ?? BigInt(Math.round(p.tsUs)) * 1000n
      : BigInt(Math.round(p.tsUs));
    const padded = (p.bytes.length + 3) & ~3;
    blocks.push(block(0x00000006, 20 + padded, (dv, bytes) => {
      dv.setUint32(8, 0, true); // interface id
      dv.setUint32(12, Number(units >> 32n), true);
      dv.setUint32(16, Number(units & 0xffffffffn), true);
      dv.setUint32(20, p.bytes.length, true);
      dv.setUint32(24, p.wireLen ?? p.bytes.length, true);
      bytes.set(p.bytes, 28);
    }));
  });
  if (unknownAt.has(packets.length)) blocks.push(unknownBlock(packets.length));
  return concat(blocks);
}

/** Writes a pcapng file. */
export async function writePcapng(path: string, options: PcapngOptions): Promise<void> {
  await Deno.writeFile(path, encodePcapng(options));
}

/** A temporary directory removed (with its contents) by `await using`. */
export async function makeTempDir(
  prefix = "anomaly_test_",
): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

function splitTime(p: FixturePacket, nanoseconds: boolean): [number, number] {
  if (nanoseconds) {
    const ns = p.tsNs ?? BigInt(Math.round(p.tsUs)) * 1000n;
    return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }
  const sec = Math.floor(p.tsUs / 1e6);
  return [sec, Math.round(p.tsUs - sec * 1e6)];
}

/** A block: type, total length, body (filled by `fill` at offset 8), total length again. */
function block(
  type: number,
  bodyLength: number,
  fill: (dv: DataView, bytes: Uint8Array) => void,
): Uint8Array {
  const total = 12 + bodyLength;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  fill(dv, bytes);
  dv.setUint32(total - 4, total, true);
  return bytes;
}

/** A block of an unassigned type (0x0BADB10C) with 8 bytes of body, which readers skip. */
function unknownBlock(seed: number): Uint8Array {
  return block(0x0badb10c, 8, (dv) => {
    dv.setUint32(8, 0xdeadbeef, true);
    dv.setUint32(12, seed, true);
  });
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
