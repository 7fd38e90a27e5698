/**
 * Helpers of the real-traffic tests: run Anomaly the way users do, read its final stats record,
 * and get tcpdump's view of the same capture (its packet totals, and its one-line text output
 * parsed into addresses and ports).
 */

import { readWithMain } from "../support/main_read.ts";
import type { FixturePacket } from "../support/pcap_writer.ts";
import { readLastRecord, type StatsRecord } from "../support/records.ts";

/**
 * Runs main.ts on `file` as users do (see readWithMain) and returns the last line of the records
 * it wrote: the final stats record.
 */
export async function analyse(
  file: string,
  logDir: string,
  config?: Record<string, unknown>,
): Promise<StatsRecord> {
  const { recordsPath } = await readWithMain(file, logDir, config);
  const last = await readLastRecord(recordsPath);
  const record = last.record as unknown as StatsRecord;
  if (record.event_type !== "stats" || record.summary?.final !== true) {
    throw new Error(`the last record of ${file} is not the final stats record: ${last.line}`);
  }
  return record;
}

/** Runs tcpdump with `args` and returns its stdout; throws with its stderr if it fails. */
export async function tcpdump(args: readonly string[]): Promise<string> {
  const output = await new Deno.Command("tcpdump", {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`tcpdump ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** One packet as tcpdump -nn -q prints it: IP addresses and the TCP/UDP ports. */
export interface TextPacket {
  src: string | null;
  dst: string | null;
  /** "TCP:8080" or "UDP:9999" for TCP and UDP packets, else null. */
  dstPort: string | null;
  /** Both ports of a TCP or UDP packet, else null. */
  ports: { transport: "TCP" | "UDP"; src: number; dst: number } | null;
}

/**
 * Reads a capture with `tcpdump -nn -q -t`, one line per packet (those matching `filter` when
 * given), and takes the outer IPv4/IPv6 addresses and the TCP/UDP ports from each line. With -nn,
 * "a.b.c.d.port" and "v6addr.port" carry the port after the last dot (IPv6 addresses here
 * contain no dots).
 */
export async function readTextPackets(file: string, filter?: string): Promise<TextPacket[]> {
  const text = await tcpdump(["-r", file, "-nn", "-q", "-t", ...(filter ? [filter] : [])]);
  if (text === "") return [];
  return text.trimEnd().split("\n").map((line) => {
    const match = /^(IP6?) (\S+) > (\S+): (\S+)/.exec(line);
    if (!match) return { src: null, dst: null, dstPort: null, ports: null };
    const [, family, src, dst, protocol] = match;
    const split = (endpoint: string): [string, string | null] => {
      if (family === "IP") {
        const parts = endpoint.split(".");
        return [parts.slice(0, 4).join("."), parts[4] ?? null];
      }
      const port = /^(.+)\.(\d+)$/.exec(endpoint);
      return port ? [port[1], port[2]] : [endpoint, null];
    };
    const [srcAddress, srcPort] = split(src);
    const [dstAddress, port] = split(dst);
    const transport = protocol === "tcp" ? "TCP" : protocol.startsWith("UDP") ? "UDP" : null;
    const known = transport !== null && port !== null && srcPort !== null;
    return {
      src: srcAddress,
      dst: dstAddress,
      dstPort: known ? `${transport}:${port}` : null,
      ports: known ? { transport, src: Number(srcPort), dst: Number(port) } : null,
    };
  });
}

/**
 * BPF for TCP segments by their SYN and ACK flags. `tcp[13]` reads IPv4 only, so IPv6 reads the
 * flags at 40 + 13 (the real-traffic test checks that TCP follows the fixed header directly).
 */
const TCP_SYN_ONLY = "((ip and tcp[13] & 0x12 == 0x02) or " +
  "(ip6 and ip6[6] == 6 and ip6[53] & 0x12 == 0x02))";
const TCP_WITHOUT_SYN = "((ip and tcp and tcp[13] & 0x02 == 0) or " +
  "(ip6 and ip6[6] == 6 and ip6[53] & 0x02 == 0))";

/**
 * "Top destination ports" as tcpdump sees it (core/summary/service_port.ts): a SYN without ACK
 * counts its destination port; other TCP segments and UDP datagrams count theirs when it is the
 * lower of the two ports; a SYN+ACK counts nowhere. Keys "TCP:80", "UDP:53".
 */
export async function servicePortCounts(file: string): Promise<Map<string, number>> {
  const syns = await readTextPackets(file, TCP_SYN_ONLY);
  const rest = [
    ...await readTextPackets(file, TCP_WITHOUT_SYN),
    ...await readTextPackets(file, "udp"),
  ];
  const lower = rest.filter((p) => p.ports !== null && p.ports.dst <= p.ports.src);
  return tally([...syns, ...lower].map((p) => p.dstPort));
}

/** The BPF filter for the packets servicePortCounts counts on `proto` `port`. */
export function servicePortFilter(proto: string, port: number): string {
  if (proto === "UDP") {
    return `((ip and udp dst port ${port} and udp[2:2] <= udp[0:2]) or ` +
      `(ip6 and ip6[6] == 17 and ip6[42:2] == ${port} and ip6[42:2] <= ip6[40:2]))`;
  }
  return `((ip and tcp dst port ${port} and (tcp[13] & 0x12 == 0x02 or ` +
    `(tcp[13] & 0x02 == 0 and tcp[2:2] <= tcp[0:2]))) or ` +
    `(ip6 and ip6[6] == 6 and ip6[42:2] == ${port} and (ip6[53] & 0x12 == 0x02 or ` +
    `(ip6[53] & 0x02 == 0 and ip6[42:2] <= ip6[40:2]))))`;
}

/** How often each value occurs, nulls left out. */
export function tally(values: readonly (string | null)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** The `n` largest counts, largest first. */
export function largestCounts(counts: Map<string, number>, n: number): number[] {
  return [...counts.values()].sort((a, b) => b - a).slice(0, n);
}

/** The packets of a pcap file (either byte order, µs or ns), for rewriting them as pcapng. */
export async function readPcapPackets(file: string): Promise<FixturePacket[]> {
  const data = await Deno.readFile(file);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magics: Record<number, number> = { 0xa1b2c3d4: 1, 0xa1b23c4d: 1000 };
  const little = magics[view.getUint32(0, true)] !== undefined;
  const divisor = magics[view.getUint32(0, little)];
  if (divisor === undefined) throw new Error(`${file} is not a pcap file`);
  const packets: FixturePacket[] = [];
  for (let at = 24; at < data.length;) {
    const stored = view.getUint32(at + 8, little);
    packets.push({
      tsUs: view.getUint32(at, little) * 1e6 + Math.floor(view.getUint32(at + 4, little) / divisor),
      wireLen: view.getUint32(at + 12, little),
      bytes: data.slice(at + 16, at + 16 + stored),
    });
    at += 16 + stored;
  }
  return packets;
}

/** tcpdump filter for packets whose `side` address is in one of `networks` (IPv4 or IPv6). */
export function inNetworks(side: "src" | "dst", networks: readonly string[]): string {
  const v4 = networks.filter((n) => !n.includes(":")).map((n) => `${side} net ${n}`);
  const v6 = networks.filter((n) => n.includes(":")).map((n) => `${side} net ${n}`);
  const parts = [];
  if (v4.length > 0) parts.push(`(ip and (${v4.join(" or ")}))`);
  if (v6.length > 0) parts.push(`(ip6 and (${v6.join(" or ")}))`);
  return parts.length > 0 ? `(${parts.join(" or ")})` : "(ip and not ip)";
}

/**
 * The README's direction rule for a file as tcpdump filters: home to outside is outgoing, outside
 * to home incoming, everything else (non-IP included) other.
 */
export function directionFilters(home: readonly string[]): { incoming: string; outgoing: string } {
  const srcHome = inNetworks("src", home), dstHome = inNetworks("dst", home);
  return {
    incoming: `(ip or ip6) and not ${srcHome} and ${dstHome}`,
    outgoing: `(ip or ip6) and ${srcHome} and not ${dstHome}`,
  };
}
