/**
 * @module tcpdump
 * tcpdump as the reference: it records what the tests send, and counts packets in a capture
 * with a BPF filter so that tests can compare Anomaly's numbers with an independent tool's.
 */

import { BackgroundProcess, spawnInNamespace } from "./process.ts";

export interface TcpdumpOptions {
  /** BPF filter applied while recording; empty records everything. */
  readonly filter?: string;
  /** Bytes kept per packet (default: whole frames). */
  readonly snaplen?: number;
  /** Exit by itself after this many packets (tcpdump -c). */
  readonly count?: number;
  /** Kernel ring size in KiB (tcpdump -B); bigger rings drop less at high rates. */
  readonly bufferKiB?: number;
  /**
   * Hand every packet to tcpdump at once (default true). Without it packets wait in the kernel
   * ring for up to a second, and those still waiting when tcpdump is stopped are lost. Turn it
   * off only for high-rate recording that ends by `count`.
   */
  readonly immediate?: boolean;
  /** Upper bound on the recording's duration (default 600 s). */
  readonly timeoutS?: number;
}

/** tcpdump's closing statistics. */
export interface TcpdumpStats {
  readonly captured: number;
  readonly receivedByFilter: number;
  readonly droppedByKernel: number;
}

export interface PcapSummary {
  readonly packets: number;
  /** Sum of the packets' lengths on the wire. */
  readonly wireBytes: number;
  /** Sum of the bytes stored (at most snaplen per packet). */
  readonly capturedBytes: number;
  readonly firstSeconds: number;
  readonly lastSeconds: number;
  readonly linkType: number;
}

/** A running tcpdump writing a pcap file. */
export class TcpdumpRecording implements AsyncDisposable {
  readonly pcapPath: string;
  #process: BackgroundProcess;

  constructor(process: BackgroundProcess, pcapPath: string) {
    this.#process = process;
    this.pcapPath = pcapPath;
  }

  /**
   * Stops tcpdump with SIGINT (it then flushes its file and prints its statistics) and waits
   * until it has exited.
   */
  async stop(): Promise<TcpdumpStats> {
    await this.#process.stop("SIGINT");
    return this.#statsOrThrow();
  }

  /** Waits for a recording started with `count` to exit by itself. */
  async finished(): Promise<TcpdumpStats> {
    await this.#process.finished;
    return this.#statsOrThrow();
  }

  get hasExited(): boolean {
    return this.#process.hasExited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#process.stop("SIGINT");
  }

  #statsOrThrow(): TcpdumpStats {
    const output = this.#process.recentOutput;
    const number = (label: string) => {
      const match = new RegExp(`(\\d+) packets? ${label}`).exec(output);
      if (!match) throw new Error(`tcpdump printed no "${label}" count:\n${output}`);
      return Number(match[1]);
    };
    return {
      captured: number("captured"),
      receivedByFilter: number("received by filter"),
      droppedByKernel: number("dropped by kernel"),
    };
  }
}

/**
 * Starts tcpdump on `iface` inside `ns` and resolves once it is listening, so that traffic sent
 * afterwards is recorded.
 */
export async function startTcpdump(
  ns: string,
  iface: string,
  pcapPath: string,
  options: TcpdumpOptions = {},
): Promise<TcpdumpRecording> {
  const argv = [
    "tcpdump",
    "-i",
    iface,
    "-w",
    pcapPath,
    // Stay root: tcpdump otherwise drops to its own user, which may not write to pcapPath.
    "-Z",
    "root",
    "-nn",
    "-s",
    String(options.snaplen ?? 262144),
  ];
  if (options.immediate ?? true) argv.push("--immediate-mode");
  if (options.count !== undefined) argv.push("-c", String(options.count));
  if (options.bufferKiB !== undefined) argv.push("-B", String(options.bufferKiB));
  if (options.filter) argv.push(options.filter);
  const process = spawnInNamespace(ns, argv, { timeoutS: options.timeoutS });
  try {
    await process.waitForLine(/listening on/, 10_000);
  } catch (error) {
    await process.stop();
    throw error;
  }
  return new TcpdumpRecording(process, pcapPath);
}

/**
 * Summarizes the packets of a capture (pcap or pcapng) that match a BPF filter (empty: all of
 * them), as tcpdump reads them. tcpdump writes the matching packets as pcap and we walk the
 * records, which is exact where counting its text lines is not.
 */
export async function summarizeWithFilter(pcapPath: string, filter = ""): Promise<PcapSummary> {
  const child = new Deno.Command("tcpdump", {
    args: ["-r", pcapPath, "-w", "-", "-Z", "root", ...(filter ? [filter] : [])],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [summary, status, errors] = await Promise.all([
    summarizePcapStream(child.stdout),
    child.status,
    new Response(child.stderr).text(),
  ]);
  if (!status.success) {
    throw new Error(`tcpdump -r ${pcapPath}${filter ? ` "${filter}"` : ""} failed: ${errors}`);
  }
  return summary;
}

/** Counts the packets of a capture that match a BPF filter. */
export async function countWithFilter(pcapPath: string, filter: string): Promise<number> {
  return (await summarizeWithFilter(pcapPath, filter)).packets;
}

/** Reads a pcap file's packet count, byte totals and time span. */
export async function summarizePcap(pcapPath: string): Promise<PcapSummary> {
  using file = await Deno.open(pcapPath);
  return await summarizePcapStream(file.readable);
}

const PCAP_GLOBAL_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

/** Walks the records of a pcap stream (either byte order, microsecond or nanosecond times). */
export async function summarizePcapStream(
  stream: ReadableStream<Uint8Array>,
): Promise<PcapSummary> {
  let pending: Uint8Array = new Uint8Array(0);
  let format: PcapFormat | null = null;
  let packets = 0, wireBytes = 0, capturedBytes = 0, firstSeconds = 0, lastSeconds = 0;
  for await (const chunk of stream) {
    const buffer = concatenate(pending, chunk);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let offset = 0;
    if (format === null) {
      if (buffer.length < PCAP_GLOBAL_HEADER) {
        pending = buffer;
        continue;
      }
      format = readGlobalHeader(view);
      offset = PCAP_GLOBAL_HEADER;
    }
    const little = format.littleEndian;
    while (offset + PCAP_RECORD_HEADER <= buffer.length) {
      const stored = view.getUint32(offset + 8, little);
      if (offset + PCAP_RECORD_HEADER + stored > buffer.length) break;
      const seconds = view.getUint32(offset, little) +
        view.getUint32(offset + 4, little) / format.fractionsPerSecond;
      if (packets === 0) firstSeconds = seconds;
      lastSeconds = seconds;
      packets++;
      capturedBytes += stored;
      wireBytes += view.getUint32(offset + 12, little);
      offset += PCAP_RECORD_HEADER + stored;
    }
    pending = buffer.slice(offset);
  }
  if (format === null) throw new Error("not a pcap stream: shorter than its global header");
  if (pending.length > 0) throw new Error(`pcap stream ends inside a record (${pending.length} B)`);
  return {
    packets,
    wireBytes,
    capturedBytes,
    firstSeconds,
    lastSeconds,
    linkType: format.linkType,
  };
}

interface PcapFormat {
  littleEndian: boolean;
  fractionsPerSecond: number;
  linkType: number;
}

function readGlobalHeader(view: DataView): PcapFormat {
  const magicLittle = view.getUint32(0, true);
  const magicBig = view.getUint32(0, false);
  const magics: Record<number, number> = { 0xa1b2c3d4: 1e6, 0xa1b23c4d: 1e9 };
  const littleEndian = magics[magicLittle] !== undefined;
  const fractionsPerSecond = magics[littleEndian ? magicLittle : magicBig];
  if (fractionsPerSecond === undefined) {
    throw new Error(`not a pcap file (magic 0x${magicBig.toString(16)}; pcapng is not read)`);
  }
  return { littleEndian, fractionsPerSecond, linkType: view.getUint32(20, littleEndian) };
}

function concatenate(head: Uint8Array, tail: Uint8Array): Uint8Array {
  if (head.length === 0) return tail;
  const joined = new Uint8Array(head.length + tail.length);
  joined.set(head);
  joined.set(tail, head.length);
  return joined;
}
