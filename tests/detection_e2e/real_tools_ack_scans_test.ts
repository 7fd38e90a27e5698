/**
 * ACK and IP protocol scans by a real nmap between network namespaces, recorded with tcpdump in
 * A and read back with `main.ts --read` at default settings: an ACK scan (-sA) and a Window scan
 * (-sW) of B raise port_scan A -> B from B's bare RSTs, an IP protocol scan (-sO) raises a
 * port_scan A -> B saying IP protocols, and an ACK ping sweep (-sn -PA80) of the /27 routed behind
 * B raises host_sweep from A on TCP port 80. Beside them only high_packet_rate may fire (nmap
 * sends its probes in well under a second); ACK probes are no connection attempts, so
 * unique_connections and unusual_port stay silent.
 */
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { type AlertExpectation, DETECTION_TOOLS, scanWithNmap, sysctl } from "./support.ts";

const unavailable = await canUseNamespaces(DETECTION_TOOLS);
if (unavailable !== null) console.log(`skip: detection tests with real ACK scans (${unavailable})`);

Deno.test({
  name: "nmap ACK, Window and IP protocol scans and ACK ping sweeps raise port_scan and host_sweep",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create({ routed: true });
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;
    // Protocol unreachables are ICMP errors, which Linux rate-limits by default.
    await sysctl(net, net.b.ns, "net.ipv4.icmp_ratelimit=0");

    /** Records `argv` run in A, checks nmap's own report, then Anomaly's alerts. */
    const scan = (name: string, argv: string[], report: RegExp, expected: AlertExpectation) =>
      scanWithNmap(net, { directory, name, argv, report, expected });

    /** port_scan A -> B whose sentence matches `message`; never one from B. */
    const scanOfB = (message: RegExp): AlertExpectation => ({
      required: [{ detector: "port_scan", src_ip: a, dest_ip: b, message }],
      allowed: ["high_packet_rate"],
      forbidden: [{ detector: "port_scan", src_ip: b }],
    });

    await t.step("nmap -sA -p 1-100: port_scan A -> B", async () => {
      const argv = ["-sA", "-T4", "-p", "1-100", "--host-timeout", "20s", b];
      await scan("nmap-sA", argv, /100 unfiltered tcp ports/, scanOfB(/probed \d+ TCP ports/));
    });

    await t.step("nmap -sW -p 1-100: port_scan A -> B", async () => {
      const argv = ["-sW", "-T4", "-p", "1-100", "--host-timeout", "20s", b];
      await scan("nmap-sW", argv, /100 closed tcp ports/, scanOfB(/probed \d+ TCP ports/));
    });

    await t.step("nmap -sO -p 0-40: port_scan A -> B saying IP protocols", async () => {
      const argv = ["-sO", "-T4", "-p", "0-40", "--host-timeout", "20s", b];
      await scan("nmap-sO", argv, /closed n\/a protocols/, scanOfB(/tried \d+ IP protocols/));
    });

    await t.step("nmap -sn -PA80 over the /27 routed behind B: host_sweep from A", async () => {
      const routed = net.routed!;
      const argv = ["-sn", "-PA80", "-T4", "--host-timeout", "10s", routed.subnetV4];
      await scan("nmap-sn-PA", argv, new RegExp(`\\(${routed.liveIpv4.length} hosts up\\)`), {
        required: [{ detector: "host_sweep", src_ip: a, dest_port: 80, proto: "TCP" }],
        allowed: ["high_packet_rate"],
      });
    });
  },
});
