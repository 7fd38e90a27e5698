/**
 * ARP by real tools between network namespaces, recorded with tcpdump in A and read back with
 * `main.ts --read` at default settings: ordinary resolution (arping, ping) raises nothing; an
 * `nmap -sn` of the A-B link's subnet, which asks ARP for every address, raises host_sweep
 * naming A; dsniff's `arpspoof -r` from A, telling B that B's second address is at A's MAC and
 * that second address that B is, raises arp_spoofing naming A's MAC, and only A's: the "restore"
 * replies arpspoof sends when stopped name B's real MAC as the ARP sender but come from A's
 * Ethernet address, so they count for A (no alert names B's MAC).
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import {
  analyseFile,
  checkAlerts,
  describeAlerts,
  DETECTION_TOOLS,
  recordWhile,
} from "./support.ts";

const unavailable = await canUseNamespaces([...DETECTION_TOOLS, "arping", "arpspoof"]);
if (unavailable !== null) console.log(`skip: detection tests with real ARP tools (${unavailable})`);

Deno.test({
  name: "real ARP: resolution is quiet, nmap -sn raises host_sweep, arpspoof raises arp_spoofing",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;
    const prefix = a.replace(/\.\d+$/, "");
    const link = await net.exec(net.a.ns, ["ip", "-o", "link", "show", "dev", net.a.iface]);
    const macA = /link\/ether ([0-9a-f:]{17})/.exec(link.stdout)?.[1];
    assert.ok(macA !== undefined, `A's MAC in:\n${link.stdout}`);

    await t.step("arping and ping between A and B: nothing", async () => {
      const pcap = `${directory}/arping.pcap`;
      await recordWhile(net.a, pcap, async () => {
        await net.exec(net.a.ns, ["arping", "-c", "3", "-i", net.a.iface, b], { timeoutS: 10 });
        await net.exec(net.b.ns, ["arping", "-c", "3", "-i", net.b.iface, a], { timeoutS: 10 });
        await net.exec(net.a.ns, ["ping", "-c", "2", "-i", "0.2", b], { timeoutS: 10 });
      });
      const run = await analyseFile(pcap, `${directory}/log-arping`);
      assert.equal(run.alerts.length, 0, `alert records:\n${describeAlerts(run)}`);
      assert.ok((run.final.stats.decoder.arp ?? 0) >= 6, "the ARP exchanges were recorded");
    });

    await t.step("nmap -sn over 64 addresses of the link: host_sweep from A, ARP", async () => {
      const pcap = `${directory}/nmap-sn.pcap`;
      const { result } = await recordWhile(net.a, pcap, () =>
        net.exec(
          net.a.ns,
          ["nmap", "-n", "-sn", "-T4", "--max-retries", "1", `${prefix}.0/26`],
          { timeoutS: 30 },
        ));
      assert.match(result.stdout, /\(2 hosts up\)/, `nmap's report:\n${result.stdout}`);
      const run = await analyseFile(pcap, `${directory}/log-nmap-sn`);
      checkAlerts(run, {
        required: [{ detector: "host_sweep", src_ip: a, message: /unanswered ARP requests/ }],
        forbidden: [{ detector: "host_sweep", src_ip: b }],
      });
    });

    await t.step("arpspoof -r for 8 s: arp_spoofing naming A's MAC", async () => {
      const second = `${prefix}.77`;
      await net.exec(net.b.ns, ["ip", "addr", "add", `${second}/24`, "dev", net.b.iface]);
      const pcap = `${directory}/arpspoof.pcap`;
      await recordWhile(net.a, pcap, async () => {
        // Both addresses are resolved first (arpspoof asks for them), as a victim's cache holds.
        await net.exec(net.a.ns, ["ping", "-c", "1", second], { timeoutS: 5 });
        const argv = ["arpspoof", "-i", net.a.iface, "-t", b, "-r", second];
        // arpspoof runs until stopped: the timeout ends it (it then restores the real MACs).
        await net.spawn(net.a.ns, argv, { timeoutS: 8 }).finished;
      });
      const run = await analyseFile(pcap, `${directory}/log-arpspoof`);
      checkAlerts(run, {
        required: [{ detector: "arp_spoofing", message: new RegExp(`^${macA} `) }],
        forbidden: [{ detector: "arp_spoofing", message: new RegExp(`^(?!${macA} )`) }],
      });
      const records = run.alerts.filter((a) => a.detection.detector === "arp_spoofing");
      assert.equal(records.length, 2, `one alert, start and end:\n${describeAlerts(run)}`);
      // The end record counts the restore replies (B's MAC, sent from A's) into A's alert.
      const end = records.find((a) => a.detection.state === "end");
      assert.match(
        end?.detection.message ?? "",
        /; \d+ of its replies named another MAC as the ARP sender/,
        `the restore replies in A's alert:\n${describeAlerts(run)}`,
      );
    });
  },
});
