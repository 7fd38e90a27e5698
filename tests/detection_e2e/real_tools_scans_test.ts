/**
 * Scans by a real nmap between network namespaces, recorded with tcpdump in A and read back with
 * `main.ts --read` at default settings: a SYN, a connect and a UDP port scan of B raise port_scan
 * A -> B, and a ping scan of the /27 routed behind B raises host_sweep from A. Beside them only
 * the detectors a scan trips by its nature may fire (high_packet_rate: nmap sends its probes in
 * well under a second; unique_connections: 200 ports are 200 distinct (host, port, protocol));
 * unusual_port must stay silent, since its hold lets the recognised scan silence it.
 */
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import { type AlertExpectation, DETECTION_TOOLS, scanWithNmap, sysctl } from "./support.ts";

const unavailable = await canUseNamespaces(DETECTION_TOOLS);
if (unavailable !== null) console.log(`skip: detection tests with real scans (${unavailable})`);

Deno.test({
  name: "nmap scans raise port_scan and host_sweep with the scanner and its target",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create({ routed: true });
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;
    // Closed UDP ports answer with ICMP port unreachable, which Linux rate-limits by default.
    await sysctl(net, net.b.ns, "net.ipv4.icmp_ratelimit=0");

    /** Records `argv` run in A, checks nmap's own report, then Anomaly's alerts. */
    const scan = (name: string, argv: string[], report: RegExp, expected: AlertExpectation) =>
      scanWithNmap(net, { directory, name, argv, report, expected });

    /** port_scan A -> B naming `proto`; never B -> A, nor the other protocol. */
    const scanOfB = (proto: "TCP" | "UDP"): AlertExpectation => ({
      required: [{ detector: "port_scan", src_ip: a, dest_ip: b, message: new RegExp(proto) }],
      allowed: ["high_packet_rate", "unique_connections"],
      forbidden: [
        { detector: "port_scan", src_ip: b },
        { detector: "port_scan", message: new RegExp(proto === "TCP" ? "UDP" : "TCP") },
      ],
    });

    await t.step("nmap -sS -p 1-200: port_scan A -> B", async () => {
      const argv = ["-sS", "-T4", "-p", "1-200", "--host-timeout", "20s", b];
      await scan("nmap-sS", argv, /200 closed tcp ports/, scanOfB("TCP"));
    });

    await t.step("nmap -sT -p 1-200: port_scan A -> B", async () => {
      const argv = ["-sT", "-T4", "-p", "1-200", "--host-timeout", "20s", b];
      await scan("nmap-sT", argv, /200 closed tcp ports/, scanOfB("TCP"));
    });

    await t.step("nmap -sU --top-ports 50: port_scan A -> B", async () => {
      const argv = ["-sU", "-T4", "--top-ports", "50", "--host-timeout", "15s", b];
      await scan("nmap-sU", argv, /closed udp ports/, scanOfB("UDP"));
    });

    await t.step("nmap -sn over the /27 routed behind B: host_sweep from A", async () => {
      const routed = net.routed!;
      const argv = ["-sn", "-T4", "--host-timeout", "10s", routed.subnetV4];
      await scan("nmap-sn", argv, new RegExp(`\\(${routed.liveIpv4.length} hosts up\\)`), {
        required: [{ detector: "host_sweep", src_ip: a }],
        allowed: ["high_packet_rate", "unique_connections"],
      });
    });
  },
});
