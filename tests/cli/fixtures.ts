/**
 * @module fixtures
 * Small frame builders and capture fixtures for the end-to-end CLI tests (checksums left 0: the
 * decoder does not check them), and helpers to run main.ts and read what it wrote.
 */
import type { FixturePacket } from "../support/pcap_writer.ts";

/** The repository root, where main.ts lives. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** Packet time of the first packet of every fixture: 2023-11-14T22:13:20Z. */
export const T0_US = 1_700_000_000 * 1e6;

type Bytes = Uint8Array | readonly number[];

function cat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const be16 = (v: number): number[] => [(v >> 8) & 255, v & 255];
const ip4 = (text: string): number[] => text.split(".").map(Number);
const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

/** An Ethernet II frame; `vlan` inserts one 802.1Q tag with that VLAN id. */
export function ethernet(type: number, payload: Bytes, vlan?: number): Uint8Array {
  const tag = vlan === undefined ? [] : [...be16(0x8100), ...be16(vlan)];
  return cat(MAC_B, MAC_A, tag, be16(type), payload);
}

/** An IPv4 header (no options) + payload; `version` other than 4 makes it malformed. */
export function ipv4(
  proto: number,
  payload: Bytes,
  o: { src?: string; dst?: string; version?: number } = {},
): Uint8Array {
  return cat(
    [((o.version ?? 4) << 4) | 5, 0],
    be16(20 + payload.length),
    be16(0x1234),
    [0x40, 0, 64, proto, 0, 0],
    ip4(o.src ?? "10.0.0.1"),
    ip4(o.dst ?? "10.0.0.2"),
    payload,
  );
}

/** An IPv6 header (2001:db8::1 -> 2001:db8::2) + payload. */
export function ipv6(nextHeader: number, payload: Bytes): Uint8Array {
  const addr = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), last];
  return cat([0x60, 0, 0, 0], be16(payload.length), [nextHeader, 64], addr(1), addr(2), payload);
}

/** A TCP SYN header + payload. */
export function tcp(sport: number, dport: number, payload: Bytes = []): Uint8Array {
  return cat(be16(sport), be16(dport), [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02], be16(65535), [
    0,
    0,
    0,
    0,
  ], payload);
}

/** A UDP header + payload. */
export function udp(sport: number, dport: number, payload: Bytes = []): Uint8Array {
  return cat(be16(sport), be16(dport), be16(8 + payload.length), [0, 0], payload);
}

/** An ICMP echo request. */
export function icmpEcho(seq: number): Uint8Array {
  return cat([8, 0, 0, 0, 0, 1], be16(seq), new Array(16).fill(0x61));
}

/** An Ethernet/IPv4 ARP request. */
export function arpRequest(senderIp: string, targetIp: string): Uint8Array {
  return cat(
    be16(1),
    be16(0x0800),
    [6, 4],
    be16(1),
    MAC_A,
    ip4(senderIp),
    [0, 0, 0, 0, 0, 0],
    ip4(targetIp),
  );
}

/** The expected `stats.decoder` counters of a fixture. */
export interface DecoderCounts {
  pkts: number;
  bytes: number;
  invalid: number;
  ipv4: number;
  ipv6: number;
  vlan: number;
  arp: number;
  tcp: number;
  udp: number;
  icmpv4: number;
  icmpv6: number;
}

/**
 * The mixed fixture: 5 IPv4 TCP, 3 IPv4 UDP, 2 ICMP echo, 2 IPv6 TCP, 1 ARP, 1 VLAN-tagged IPv4
 * UDP, 1 TCP cut by the snaplen (caplen < wire length), 1 IPv4 with version 5. One packet a
 * second, with the counters and decode events it must produce.
 */
export function mixedFixture(): {
  packets: FixturePacket[];
  expected: DecoderCounts;
  events: Record<string, number>;
  truncated: number;
} {
  const frames: { bytes: Uint8Array; wireLen?: number }[] = [];
  for (let i = 0; i < 5; i++) {
    frames.push({ bytes: ethernet(0x0800, ipv4(6, tcp(40000 + i, 443, [1, 2, 3, 4]))) });
  }
  for (let i = 0; i < 3; i++) {
    frames.push({ bytes: ethernet(0x0800, ipv4(17, udp(5353, 53, [9, 9, 9]))) });
  }
  for (let i = 0; i < 2; i++) frames.push({ bytes: ethernet(0x0800, ipv4(1, icmpEcho(i))) });
  for (let i = 0; i < 2; i++) frames.push({ bytes: ethernet(0x86dd, ipv6(6, tcp(50000, 22))) });
  frames.push({ bytes: ethernet(0x0806, arpRequest("10.0.0.1", "10.0.0.2")) });
  frames.push({ bytes: ethernet(0x0800, ipv4(17, udp(1234, 514, [7, 7])), 42) });
  // Cut by the snaplen 10 bytes into the TCP header: truncated, not invalid.
  const whole = ethernet(0x0800, ipv4(6, tcp(40100, 80, new Array(100).fill(0x42))));
  frames.push({ bytes: whole.slice(0, 14 + 20 + 10), wireLen: whole.length });
  frames.push({ bytes: ethernet(0x0800, ipv4(6, tcp(40200, 80), { version: 5 })) });

  const packets = frames.map((f, i) => ({ tsUs: T0_US + i * 1e6, ...f }));
  const expected: DecoderCounts = {
    pkts: 16,
    bytes: packets.reduce((n, p) => n + (p.wireLen ?? p.bytes.length), 0),
    invalid: 1,
    ipv4: 5 + 3 + 2 + 1 + 1 + 1,
    ipv6: 2,
    vlan: 1,
    arp: 1,
    tcp: 5 + 2 + 1,
    udp: 3 + 1,
    icmpv4: 2,
    icmpv6: 0,
  };
  return {
    packets,
    expected,
    events: { "ipv4.wrong_version": 1, "tcp.truncated": 1 },
    truncated: 1,
  };
}

/** `count` IPv4 UDP packets, one every `stepS` seconds of packet time from T0. */
export function udpPackets(count: number, stepS = 1): FixturePacket[] {
  return Array.from({ length: count }, (_, i) => ({
    tsUs: T0_US + i * stepS * 1e6,
    bytes: ethernet(0x0800, ipv4(17, udp(40000 + i, 53, [i & 255]))),
  }));
}

/** The result of one run of main.ts. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The argv that runs main.ts with every permission. */
export function mainArgs(args: readonly string[]): string[] {
  return ["run", "--allow-all", `${ROOT}main.ts`, ...args];
}

/** Runs main.ts to its end (killed after `timeoutMs`). */
export async function runMain(args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: mainArgs(args),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Every line of a JSON Lines file parsed; fails on a line that is not a JSON object. */
export function readRecords(path: string): Record<string, unknown>[] {
  const text = Deno.readTextFileSync(path);
  if (text !== "" && !text.endsWith("\n")) throw new Error(`${path} ends in a torn line`);
  return text.split("\n").filter((line) => line !== "").map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path} line ${i + 1} is not JSON (${error}): ${line.slice(0, 200)}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${path} line ${i + 1} is not a JSON object: ${line.slice(0, 200)}`);
    }
    return value as Record<string, unknown>;
  });
}

/** The stats records of a records file, and the final one (which must be last). */
export function statsRecords(path: string): {
  all: Record<string, unknown>[];
  periodic: StatsRecord[];
  final: StatsRecord;
} {
  const all = readRecords(path);
  const stats = all.filter((r) => r.event_type === "stats") as unknown as StatsRecord[];
  const finals = stats.filter((r) => r.summary.final);
  if (finals.length !== 1 || stats.at(-1) !== finals[0]) {
    throw new Error(`expected one final stats record, last; got ${finals.length} in ${path}`);
  }
  return { all, periodic: stats.filter((r) => !r.summary.final), final: finals[0]! };
}

/** The parts of a stats record the tests read. */
export interface StatsRecord {
  timestamp: string;
  event_type: "stats";
  stats: {
    decoder: DecoderCounts;
    capture?: { kernel_packets: number; kernel_drops: number; kernel_ifdrops: number };
  };
  summary: {
    final: boolean;
    interval: { start: string; end: string; packets: number; bytes: number };
    truncated: number;
    invalid: number;
    decode_events: Record<string, number>;
  };
}

/** A diagnostics line (LogTape, "anomaly: info: ..."), as opposed to the final error line. */
const DIAGNOSTIC = /^anomaly: (trace|debug|info|warning|error|fatal): /;

/**
 * Asserts that stderr holds exactly one error line ("anomaly: " then the message; diagnostics
 * such as "anomaly: info: Capturing from ..." aside) and no stack trace; returns that line.
 */
export function errorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.startsWith("anomaly: ") && !DIAGNOSTIC.test(l));
  if (lines.length !== 1) {
    throw new Error(`expected one "anomaly: " line on stderr, got ${lines.length}:\n${stderr}`);
  }
  if (/^\s+at\s|\bError:|\.ts:\d+/m.test(stderr.replace(lines[0]!, ""))) {
    throw new Error(`stderr carries more than the message (a stack trace?):\n${stderr}`);
  }
  return lines[0]!;
}
