import assert from "node:assert/strict";
import { canUseNamespaces, runCommand, TestNetwork } from "./netns.ts";
import { countWithFilter, summarizePcap } from "./tcpdump.ts";
import { checkExpectations, PINGS, recordScenario } from "./traffic.ts";

const skipReason = await canUseNamespaces();
if (skipReason !== null) console.log(`skip: real-traffic tests (${skipReason})`);
const ignore = skipReason !== null;

Deno.test({
  name: "recordScenario(mixed) captures what the tools sent, and the network is removed after",
  ignore,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "anomaly-netns-test-" });
    let namespaces: readonly string[] = [];
    try {
      const pcapPath = `${directory}/mixed.pcap`;
      {
        await using net = await TestNetwork.create({ routed: true });
        namespaces = net.namespaces;
        assert.deepEqual(await existingNamespaces(namespaces), namespaces);
        const recorded = await recordScenario(net, "mixed", pcapPath);

        const unmet = (await checkExpectations(pcapPath, recorded.expectations))
          .filter((check) => !check.met)
          .map(({ expectation, counted }) => `${expectation.what}: ${counted}`);
        assert.deepEqual(unmet, []);
        assert.equal(recorded.facts["nmap-sn.hostsUp"], net.routed?.liveIpv4.length);

        const summary = await summarizePcap(pcapPath);
        assert.equal(summary.packets, recorded.tcpdump.captured);
        assert.equal(summary.linkType, 1, "Ethernet frames");
        for (const protocol of ["arp", "icmp", "icmp6", "tcp", "udp"]) {
          assert.ok(await countWithFilter(pcapPath, protocol) > 0, `${protocol} packets`);
        }
        const pingsBetweenAAndB = `icmp and host ${net.a.ipv4} and host ${net.b.ipv4}`;
        assert.equal(await countWithFilter(pcapPath, pingsBetweenAAndB), 2 * PINGS);
      }
      assert.deepEqual(await existingNamespaces(namespaces), []);
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test({
  name: "TestNetwork stops its servers and deletes its namespaces when the test body throws",
  ignore,
  async fn() {
    let namespaces: readonly string[] = [];
    await assert.rejects(async () => {
      await using net = await TestNetwork.create();
      namespaces = net.namespaces;
      await net.startServer(net.b.ns, "http", 8080);
      await net.startServer(net.b.ns, "udp-echo", 9999);
      throw new Error("the test failed");
    }, /the test failed/);
    assert.equal(namespaces.length, 2);
    assert.deepEqual(await existingNamespaces(namespaces), []);
  },
});

Deno.test({
  name: "TestNetwork.exec refuses namespaces it did not create",
  ignore,
  async fn() {
    await using net = await TestNetwork.create();
    await assert.rejects(() => net.exec("some-other-ns", ["true"]), /not part of this TestNetwork/);
  },
});

Deno.test({
  name: "countWithFilter counts what tcpdump prints, one line per packet",
  ignore,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "anomaly-netns-test-" });
    try {
      await using net = await TestNetwork.create();
      const { pcapPath } = await recordScenario(net, "http", `${directory}/http.pcap`);
      for (const filter of ["tcp", "tcp port 8080 and tcp[tcpflags] & tcp-fin != 0", "arp"]) {
        const { stdout } = await runCommand(["tcpdump", "-r", pcapPath, "-nn", filter]);
        const lines = stdout.split("\n").filter((line) => line !== "").length;
        assert.equal(await countWithFilter(pcapPath, filter), lines, filter);
      }
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

async function existingNamespaces(names: readonly string[]): Promise<string[]> {
  const { stdout } = await runCommand(["ip", "netns", "list"]);
  const existing = new Set(stdout.split("\n").map((line) => line.split(" ")[0]));
  return names.filter((name) => existing.has(name));
}
