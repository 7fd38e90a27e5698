/**
 * Everyday traffic by real tools between network namespaces, recorded with tcpdump in A and read
 * back with `main.ts --read` at default settings:
 * - DNS lookups (a tiny python responder in B), HTTP requests with curl to python's http.server
 *   on port 80, and pings at one a second raise no alert record at all;
 * - curl to an http.server on port 4444 raises unusual_port A -> B with dest_port 4444 (and the
 *   curl to port 80 beside it none), once the hold (detect.unusual_port.hold_s, 5 s of packet
 *   time) ran out while pings kept the capture going, and also when the capture stops a second
 *   after the connection: a user reading that file expects the alert, not a hold left pending.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { writePcap } from "../support/pcap_writer.ts";
import { readPcapPackets } from "../integration/real_traffic_support.ts";
import {
  analyseFile,
  checkAlerts,
  describeAlerts,
  DETECTION_TOOLS,
  dnsLookups,
  httpGet,
  recordWhile,
  startDnsServer,
} from "./support.ts";

const unavailable = await canUseNamespaces(DETECTION_TOOLS);
if (unavailable !== null) console.log(`skip: detection tests with benign traffic (${unavailable})`);

const UNUSUAL_PORT = 4444;

Deno.test({
  name: "benign traffic raises nothing; a connection to port 4444 raises unusual_port",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;
    await using _web = await net.startServer(net.b.ns, "http", 80);

    /** Pings B from A once a second, `count` times, in the background. */
    function pings(count: number) {
      const ping = net.spawn(net.a.ns, ["ping", "-q", "-c", String(count), "-i", "1", b], {
        timeoutS: count + 5,
      });
      return async () => {
        const status = await ping.finished;
        assert.equal(status.code, 0, `ping:\n${ping.recentOutput}`);
      };
    }

    await t.step("DNS lookups, HTTP on port 80 and pings: no alert record", async () => {
      const dns = await startDnsServer(net, net.b.ns);
      const pcap = `${directory}/benign.pcap`;
      try {
        await recordWhile(net.a, pcap, async () => {
          const pinged = pings(6);
          await dnsLookups(net, net.a.ns, b, 5);
          for (let i = 0; i < 3; i++) await httpGet(net, net.a.ns, `http://${b}/`);
          await pinged();
        });
      } finally {
        await dns.stop();
      }
      const run = await analyseFile(pcap, `${directory}/log-benign`);
      assert.equal(
        run.alerts.length,
        0,
        `alert records of benign traffic:\n${describeAlerts(run)}`,
      );
      assert.ok(run.final.stats.decoder.udp >= 10, "the DNS queries and answers were recorded");
      assert.ok(run.final.stats.decoder.icmpv4 >= 12, "the pings were recorded");
    });

    const pcap = `${directory}/unusual.pcap`;
    const expected = {
      required: [{
        detector: "unusual_port" as const,
        src_ip: a,
        dest_ip: b,
        dest_port: UNUSUAL_PORT,
        proto: "TCP",
      }],
      forbidden: [{ dest_port: 80 }],
    };

    await t.step("curl to port 4444, then 6 s of pings: unusual_port, port 4444", async () => {
      await using _unusual = await net.startServer(net.b.ns, "http", UNUSUAL_PORT);
      await recordWhile(net.a, pcap, async () => {
        const pinged = pings(7);
        await httpGet(net, net.a.ns, `http://${b}/`);
        await httpGet(net, net.a.ns, `http://${b}:${UNUSUAL_PORT}/`);
        await pinged();
      });
      const run = await analyseFile(pcap, `${directory}/log-unusual`);
      checkAlerts(run, expected);
      assert.equal(run.alerts.length, 2, `one start and one end:\n${describeAlerts(run)}`);
    });

    await t.step(
      "the same capture cut 1 s after the SYN to 4444: unusual_port at the end",
      async () => {
        const packets = await readPcapPackets(pcap);
        const syn = packets.find((p) => isSynTo(p.bytes, UNUSUAL_PORT));
        assert.ok(syn !== undefined, "the capture holds the SYN to port 4444");
        const cut = `${directory}/unusual-cut.pcap`;
        await writePcap(cut, { packets: packets.filter((p) => p.tsUs <= syn.tsUs + 1e6) });
        const run = await analyseFile(cut, `${directory}/log-unusual-cut`);
        checkAlerts(run, expected);
      },
    );
  },
});

/** An Ethernet/IPv4/TCP frame with SYN alone, to `port`. */
function isSynTo(frame: Uint8Array, port: number): boolean {
  if (frame.length < 54 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 6) {
    return false;
  }
  const tcp = 14 + (frame[14]! & 0x0f) * 4;
  return ((frame[tcp + 2]! << 8) | frame[tcp + 3]!) === port && (frame[tcp + 13]! & 0x12) === 0x02;
}
