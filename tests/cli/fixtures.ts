/**
 * @module fixtures
 * Capture fixtures for the end-to-end CLI tests (built with the shared frame builders), and
 * helpers to run main.ts and read its error line.
 */
import { arp, be16, ethernet, icmp, ipv4, ipv6, tcp, udp, vlanTag } from "../support/frames.ts";
import type { FixturePacket } from "../support/pcap_writer.ts";
import type { DecoderCounts } from "../support/records.ts";
import { REPO_ROOT as ROOT, T0_US } from "../support/base.ts";

/** The repository root (`ROOT`) and the fixtures' first packet time: tests/support/base.ts. */
export { REPO_ROOT as ROOT, T0_US } from "../support/base.ts";

/** The fixtures' IPv4 packets: don't-fragment set; `version` other than 4 makes one malformed. */
function ipv4Df(
  proto: number,
  payload: Uint8Array,
  o: { version?: number } = {},
): Uint8Array {
  return ipv4({ proto, payload, dontFragment: true, ...o });
}

/** The fixtures' TCP SYN (sequence number 1). */
function syn(sport: number, dport: number, payload: readonly number[] = []): Uint8Array {
  return tcp({ sport, dport, seq: 1, payload });
}

/** An ICMP echo request (identifier 1) with 16 bytes of "a". */
function icmpEcho(seq: number): Uint8Array {
  return icmp(8, 0, new Array(16).fill(0x61), [0, 1, ...be16(seq)]);
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
    frames.push({ bytes: ethernet(0x0800, ipv4Df(6, syn(40000 + i, 443, [1, 2, 3, 4]))) });
  }
  for (let i = 0; i < 3; i++) {
    const payload = udp({ sport: 5353, dport: 53, payload: [9, 9, 9] });
    frames.push({ bytes: ethernet(0x0800, ipv4Df(17, payload)) });
  }
  for (let i = 0; i < 2; i++) frames.push({ bytes: ethernet(0x0800, ipv4Df(1, icmpEcho(i))) });
  for (let i = 0; i < 2; i++) {
    frames.push({ bytes: ethernet(0x86dd, ipv6({ nextHeader: 6, payload: syn(50000, 22) })) });
  }
  frames.push({ bytes: ethernet(0x0806, arp("10.0.0.1", "10.0.0.2")) });
  const tagged = ipv4Df(17, udp({ sport: 1234, dport: 514, payload: [7, 7] }));
  frames.push({ bytes: ethernet(0x8100, [...vlanTag(42, 0x0800), ...tagged]) });
  // Cut by the snaplen 10 bytes into the TCP header: truncated, not invalid.
  const whole = ethernet(0x0800, ipv4Df(6, syn(40100, 80, new Array(100).fill(0x42))));
  frames.push({ bytes: whole.slice(0, 14 + 20 + 10), wireLen: whole.length });
  frames.push({ bytes: ethernet(0x0800, ipv4Df(6, syn(40200, 80), { version: 5 })) });

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

/** Three packets of different sizes and protocols (the broken-file tests cut them). */
export function threePackets(): FixturePacket[] {
  return [
    ethernet(0x0800, ipv4({ proto: 17, payload: udp({ payload: [1, 2, 3] }) })),
    ethernet(
      0x86dd,
      ipv6({ nextHeader: 6, payload: tcp({ payload: new Array(9).fill(7) }) }),
    ),
    ethernet(0x0806, arp("10.0.0.1", "10.0.0.2")),
  ].map((bytes, i) => ({ tsUs: T0_US + i * 1e6, bytes }));
}

/** Writes `bytes` to `path`; returns `path`. */
export async function writeCapture(path: string, bytes: Uint8Array): Promise<string> {
  await Deno.writeFile(path, bytes);
  return path;
}

/** `count` IPv4 UDP packets, one every `stepS` seconds of packet time from T0. */
export function udpPackets(count: number, stepS = 1): FixturePacket[] {
  return Array.from({ length: count }, (_, i) => ({
    tsUs: T0_US + i * stepS * 1e6,
    bytes: ethernet(0x0800, ipv4Df(17, udp({ sport: 40000 + i, dport: 53, payload: [i & 255] }))),
  }));
}

/** The result of one run of main.ts. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The argv that runs main.ts headless (`--no-ui`: these tests are the headless CLI's). */
export function mainArgs(args: readonly string[]): string[] {
  return ["run", "--allow-all", `${ROOT}main.ts`, "--no-ui", ...args];
}

/** Runs main.ts to its end (killed after `timeoutMs`). */
export async function runMain(
  args: readonly string[],
  timeoutMs = 30_000,
  wrapper: readonly string[] = [],
): Promise<RunResult> {
  const [program, ...before] = [...wrapper, Deno.execPath()];
  const output = await new Deno.Command(program, {
    args: [...before, ...mainArgs(args)],
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

/** A diagnostics line (LogTape, "anomaly: info: ..."), as opposed to the final error line. */
const DIAGNOSTIC = /^anomaly: (trace|debug|info|warning|error|fatal): /;

/**
 * Runs a command with the capabilities that let root read any file (CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH) dropped, so permission bits hold for it as for any other user.
 */
export const WITHOUT_DAC_OVERRIDE: readonly string[] = [
  "setpriv",
  "--inh-caps=-dac_override,-dac_read_search",
  "--bounding-set=-dac_override,-dac_read_search",
];

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
