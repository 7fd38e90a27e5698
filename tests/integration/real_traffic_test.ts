/**
 * Real traffic: real tools (ping, ping -6, curl to a local HTTP server, UDP echoes, nmap -sS and
 * nmap -sn over a routed subnet) talk between network namespaces made for this test, tcpdump
 * records it, and Anomaly's counts on that file must equal what tcpdump's filters count on the
 * same file: untagged, re-tagged with an 802.1Q VLAN, and rewritten as pcapng.
 *
 * Where BPF and Suricata's counting rule (the one stats.decoder follows) may differ, and why they
 * must agree on this capture:
 * - IPv4: BPF's `tcp`/`udp`/`icmp` test the protocol field of every IPv4 packet, fragments
 *   included, while Suricata decodes the transport header of first fragments only. The tools send
 *   small datagrams with DF, so the test first checks that the capture holds no fragment.
 * - IPv6: BPF's `tcp`/`udp`/`icmp6` read the fixed header's next-header (or one fragment header);
 *   Suricata walks the extension header chain. The only extension header in this traffic is the
 *   Hop-by-Hop header (Router Alert) before MLDv2 reports, which the kernel sends when an interface
 *   joins multicast groups; whether some fall inside the recording depends on timing. So the test
 *   checks that every IPv6 packet is either TCP/UDP/ICMPv6 right after the fixed header or
 *   Hop-by-Hop then ICMPv6, and expects icmpv6 = `icmp6` + those Hop-by-Hop ones, which must
 *   also equal BPF's own chain walk, `ip6 protochain 58`.
 * - ICMP errors quoting TCP or UDP (nmap -sn's probes to absent hosts) count as ICMP only in both:
 *   BPF reads the outer protocol field alone.
 * - Checksum offloads are off on the test links, so every frame is as it was sent: invalid is 0.
 */

import assert from "node:assert/strict";
import { canUseNamespaces, REQUIRED_TOOLS, runCommand, TestNetwork } from "../support/netns.ts";
import { writePcapng } from "../support/pcap_writer.ts";
import { countWithFilter, summarizeWithFilter } from "../support/tcpdump.ts";
import type { DecoderCounts, StatsRecord } from "../support/records.ts";
import { HTTP_PORT, recordScenario, UDP_ECHO_PORT } from "../support/traffic.ts";
import { DEFAULT_HOME_NETWORKS } from "../../core/packet/direction.ts";
import {
  analyse,
  directionFilters,
  largestCounts,
  readPcapPackets,
  readTextPackets,
  servicePortCounts,
  servicePortFilter,
  tally,
} from "./real_traffic_support.ts";

const VLAN_ID = 42;
/** IPv6 packets whose transport header follows the fixed header directly. */
const IPV6_DIRECT = "(ip6[6] == 6 or ip6[6] == 17 or ip6[6] == 58)";
/** IPv6 packets with a Hop-by-Hop header, then ICMPv6 (MLDv2 reports). */
const IPV6_HBH_ICMP6 = "(ip6 and ip6[6] == 0 and ip6[40] == 58)";

/**
 * stats.decoder as tcpdump counts it on `file`. With `tagged`, every filter is put behind `vlan`,
 * which makes BPF read the headers 4 bytes further on.
 */
async function tcpdumpDecoder(file: string, tagged: boolean): Promise<DecoderCounts> {
  const count = (filter: string) => countWithFilter(file, tagged ? `vlan and ${filter}` : filter);
  assert.equal(await count("(ip and ip[6:2] & 0x3fff != 0)"), 0, "IPv4 fragments in the capture");
  assert.equal(
    await count(`(ip6 and not ${IPV6_DIRECT} and not ${IPV6_HBH_ICMP6})`),
    0,
    "IPv6 packets with extension headers other than Hop-by-Hop before ICMPv6",
  );
  const icmpv6 = await count("icmp6") + await count(IPV6_HBH_ICMP6);
  assert.equal(icmpv6, await count("(ip6 protochain 58)"), "icmp6 + Hop-by-Hop ICMPv6");
  const totals = await summarizeWithFilter(file);
  return {
    pkts: totals.packets,
    bytes: totals.wireBytes,
    invalid: 0,
    ipv4: await count("ip"),
    ipv6: await count("ip6"),
    vlan: await countWithFilter(file, "vlan"),
    arp: await count("arp"),
    tcp: await count("tcp"),
    udp: await count("udp"),
    icmpv4: await count("icmp"),
    icmpv6,
  };
}

/** The address filter tcpdump needs for an IPv4 or IPv6 address. */
function hostFilter(side: "src" | "dst", address: string): string {
  return `${address.includes(":") ? "ip6" : "ip"} ${side} host ${address}`;
}

const skipReason = await canUseNamespaces([...REQUIRED_TOOLS, "tcprewrite"]);
if (skipReason !== null) console.log(`skip: real-traffic integration test (${skipReason})`);

Deno.test("real traffic: Anomaly's counts equal tcpdump's on the same capture", {
  ignore: skipReason !== null,
}, async (t) => {
  const directory = await Deno.makeTempDir({ prefix: "anomaly-real-traffic-" });
  try {
    const pcap = `${directory}/mixed.pcap`;
    let a: { ipv4: string; ipv6: string };
    {
      // The network only lives while the tools run; it is deleted before the analysis.
      await using net = await TestNetwork.create({ routed: true });
      a = { ipv4: net.a.ipv4, ipv6: net.a.ipv6 };
      await recordScenario(net, "mixed", pcap);
    }
    const expected = await tcpdumpDecoder(pcap, false);
    for (const protocol of ["ipv4", "ipv6", "arp", "tcp", "udp", "icmpv4", "icmpv6"] as const) {
      assert.ok(expected[protocol] > 0, `the capture holds ${protocol} packets`);
    }
    const record = await analyse(pcap, `${directory}/log-pcap`);

    await t.step("stats.decoder equals tcpdump's counts", () => {
      assert.deepEqual(record.stats.decoder, expected);
    });

    await t.step("with an 802.1Q tag added to every frame", async () => {
      const tagged = `${directory}/vlan.pcap`;
      await runCommand([
        "tcprewrite",
        "--enet-vlan=add",
        `--enet-vlan-tag=${VLAN_ID}`,
        "--enet-vlan-cfi=0",
        "--enet-vlan-pri=0",
        "--enet-vlan-proto=802.1Q",
        "-i",
        pcap,
        "-o",
        tagged,
      ]);
      await assertOnlyTagAdded(pcap, tagged);
      const expectedTagged = await tcpdumpDecoder(tagged, true);
      assert.equal(await countWithFilter(tagged, `vlan ${VLAN_ID}`), expected.pkts);
      // The `vlan and ...` filters count on the tagged file what the plain ones count untagged.
      assert.deepEqual(expectedTagged, {
        ...expected,
        vlan: expected.pkts,
        bytes: expected.bytes + 4 * expected.pkts,
      });
      const taggedRecord = await analyse(tagged, `${directory}/log-vlan`);
      assert.deepEqual(taggedRecord.stats.decoder, expectedTagged);
    });

    await t.step("the same capture as pcapng", async () => {
      const pcapng = `${directory}/mixed.pcapng`;
      const packets = await readPcapPackets(pcap);
      await writePcapng(pcapng, { linkType: 1, packets });
      assert.deepEqual(await tcpdumpDecoder(pcapng, false), expected);
      const pcapngRecord = await analyse(pcapng, `${directory}/log-pcapng`);
      assert.deepEqual(pcapngRecord.stats.decoder, expected);
      assert.deepEqual(pcapngRecord.summary, { ...record.summary, source: pcapngSource(pcapng) });
    });

    await t.step("summary totals, distinct addresses, top talkers and ports", async () => {
      await checkSummary(pcap, record, expected);
    });

    await t.step("direction with the default home networks", async () => {
      // Every address here is private (10/8, fd00::/8), link-local or multicast (NDP, MLD), all
      // of them home networks by default, so everything is "other".
      const filters = directionFilters(DEFAULT_HOME_NETWORKS);
      assert.equal(await countWithFilter(pcap, filters.outgoing), 0);
      assert.equal(await countWithFilter(pcap, filters.incoming), 0);
      assert.deepEqual(directionPackets(record), {
        incoming: 0,
        outgoing: 0,
        other: expected.pkts,
      });
    });

    await t.step("direction with home_networks set to A's addresses only", async () => {
      const home = [`${a.ipv4}/32`, `${a.ipv6}/128`];
      const homeRecord = await analyse(pcap, `${directory}/log-home`, { home_networks: home });
      const incoming = await countWithFilter(
        pcap,
        `${hostFilter("dst", a.ipv4)} or ${hostFilter("dst", a.ipv6)}`,
      );
      const outgoing = await countWithFilter(
        pcap,
        `${hostFilter("src", a.ipv4)} or ${hostFilter("src", a.ipv6)}`,
      );
      assert.ok(incoming > 0 && outgoing > 0, `incoming ${incoming}, outgoing ${outgoing}`);
      const filters = directionFilters(home);
      assert.equal(await countWithFilter(pcap, filters.incoming), incoming);
      assert.equal(await countWithFilter(pcap, filters.outgoing), outgoing);
      assert.deepEqual(directionPackets(homeRecord), {
        incoming,
        outgoing,
        other: expected.pkts - incoming - outgoing,
      });
      assert.deepEqual(homeRecord.stats.decoder, expected);
    });
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

function directionPackets(record: StatsRecord) {
  const d = record.summary.direction;
  return { incoming: d.incoming.packets, outgoing: d.outgoing.packets, other: d.other.packets };
}

function pcapngSource(file: string) {
  return { name: file, live: false, link_type: "EN10MB" };
}

/** The summary against tcpdump's one-line-per-packet text output and its filters. */
async function checkSummary(pcap: string, record: StatsRecord, expected: DecoderCounts) {
  const summary = record.summary;
  const packets = await readTextPackets(pcap);
  assert.equal(packets.length, expected.pkts, "tcpdump prints one line per packet");
  assert.equal(summary.packets, expected.pkts);
  assert.equal(summary.bytes, expected.bytes);
  assert.deepEqual([summary.invalid, summary.truncated, summary.unsupported], [0, 0, 0]);

  const sources = tally(packets.map((p) => p.src));
  const destinations = tally(packets.map((p) => p.dst));
  assert.equal(summary.unique_ips_exact, true);
  assert.equal(summary.unique_src_ips, sources.size);
  assert.equal(summary.unique_dst_ips, destinations.size);

  const tops = [
    { side: "src", listed: summary.top_sources_by_packets, counts: sources },
    { side: "dst", listed: summary.top_destinations_by_packets, counts: destinations },
  ] as const;
  for (const { side, listed, counts } of tops) {
    // Each listed host has tcpdump's count, and the list holds the largest counts (ties in any
    // order), so its first entry is a host tcpdump ranks first too.
    for (const host of listed) {
      assert.equal(host.packets, counts.get(host.ip), `${side} ${host.ip}`);
    }
    assert.deepEqual(
      listed.map((h) => h.packets),
      largestCounts(counts, Math.min(10, counts.size)),
    );
    assert.equal(await countWithFilter(pcap, hostFilter(side, listed[0].ip)), listed[0].packets);
  }

  // Top destination ports count the service side (core/summary/service_port.ts): tcpdump's
  // lines for SYNs, for other TCP segments and for UDP, then one BPF filter for the first port.
  const ports = await servicePortCounts(pcap);
  assert.ok(
    ports.get(`TCP:${HTTP_PORT}`)! > 0 && ports.get(`UDP:${UDP_ECHO_PORT}`)! > 0,
    "HTTP and UDP echo counted",
  );
  const listedPorts = summary.top_dest_ports;
  for (const entry of listedPorts) {
    assert.equal(entry.packets, ports.get(`${entry.proto}:${entry.port}`), JSON.stringify(entry));
  }
  assert.deepEqual(
    listedPorts.map((p) => p.packets),
    largestCounts(ports, Math.min(10, ports.size)),
  );
  const first = listedPorts[0];
  assert.equal(
    await countWithFilter(pcap, servicePortFilter(first.proto, first.port)),
    first.packets,
  );
  // A reply's ephemeral port is never listed: every listed port is one some SYN or lower-port
  // packet went to, and no port the HTTP client sent from (its SYNs' source ports) appears.
  const clientPorts = new Set(
    (await readTextPackets(pcap, `tcp dst port ${HTTP_PORT}`)).map((p) => `TCP:${p.ports?.src}`),
  );
  assert.deepEqual(listedPorts.filter((p) => clientPorts.has(`${p.proto}:${p.port}`)), []);
}

/**
 * Checks that tcprewrite only inserted the tag: same times and lengths + 4, same bytes after the
 * MAC addresses. (tcprewrite rewrites the MAC addresses of some IPv6 frames when it adds a tag;
 * no count depends on them.)
 */
async function assertOnlyTagAdded(plainFile: string, taggedFile: string) {
  const plain = await readPcapPackets(plainFile);
  const tagged = await readPcapPackets(taggedFile);
  assert.equal(tagged.length, plain.length);
  const tag = [0x81, 0x00, VLAN_ID >> 8, VLAN_ID & 0xff];
  const changed = plain.flatMap((packet, index) => {
    const expected = [...tag, ...packet.bytes.subarray(12)];
    const got = tagged[index];
    const same = got.tsUs === packet.tsUs && got.wireLen === packet.wireLen! + 4 &&
      got.bytes.length === packet.bytes.length + 4 &&
      expected.every((byte, at) => got.bytes[12 + at] === byte);
    return same ? [] : [index];
  });
  assert.deepEqual(changed, [], "frames tcprewrite changed beyond adding the tag");
}
