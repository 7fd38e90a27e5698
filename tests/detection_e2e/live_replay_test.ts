/**
 * The same capture gives the same alerts whether read with --read or replayed live at real
 * speed. A mix of real tools (nmap -sS, an hping3 SYN flood, DNS lookups, HTTP requests and
 * pings) is recorded with tcpdump in one TestNetwork and read with `main.ts --read`. Then, in a
 * second, fresh TestNetwork, tcpreplay sends the file at its original speed out of A while
 * main.ts captures live on B's end of the link and is stopped with SIGINT. The second network's
 * addresses and MACs differ from the recorded ones, so B's kernel drops the replayed frames
 * (not addressed to it) and answers none of them: the live capture sees the file and nothing
 * else. Both runs must write the same (detector, src_ip, dest_ip, state) alert records, each as
 * often; timestamps and alert ids differ by nature.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import {
  type AlertRecord,
  analyseFile,
  describeAlerts,
  DETECTION_TOOLS,
  dnsLookups,
  httpGet,
  readRun,
  RECORDS_FILE,
  recordWhile,
  sleep,
  startDnsServer,
  startLiveAnomaly,
  sysctl,
} from "./support.ts";

const unavailable = await canUseNamespaces(DETECTION_TOOLS);
if (unavailable !== null) console.log(`skip: live replay detection test (${unavailable})`);

/** An alert record without what differs by nature between two runs. */
function identity(a: AlertRecord): string {
  return `${a.detection.detector} ${a.detection.state} ${a.src_ip ?? "-"} -> ${a.dest_ip ?? "-"}`;
}

Deno.test({
  name: "a capture replayed live at its original speed raises the same alerts as --read",
  ignore: unavailable !== null,
  fn: async () => {
    const directory = await Deno.makeTempDir({ prefix: "anomaly-live-replay-" });
    try {
      const pcap = `${directory}/mix.pcap`;
      let packets: number;
      {
        await using net = await TestNetwork.create();
        const b = net.b.ipv4;
        await using _web = await net.startServer(net.b.ns, "http", 80);
        const dns = await startDnsServer(net, net.b.ns);
        ({ packets } = await recordWhile(net.a, pcap, async () => {
          await dnsLookups(net, net.a.ns, b, 3);
          await httpGet(net, net.a.ns, `http://${b}/`);
          await net.exec(net.a.ns, [
            "nmap",
            "-n",
            "-sS",
            "-T4",
            "-p",
            "1-200",
            "--max-retries",
            "1",
            "--host-timeout",
            "20s",
            b,
          ], { timeoutS: 30 });
          await sleep(300);
          const flood = ["hping3", "-q", "-S", "-p", "80", "-c", "3000", "-i", "u100", b];
          await net.exec(net.a.ns, flood, { timeoutS: 15 });
          await httpGet(net, net.a.ns, `http://${b}/`);
          await net.exec(net.a.ns, ["ping", "-q", "-c", "5", "-i", "0.2", b], { timeoutS: 10 });
        }));
        await dns.stop();
      }

      const read = await analyseFile(pcap, `${directory}/log-read`);
      const expected = read.alerts.map(identity).sort();
      for (const detector of ["port_scan", "flood"]) {
        assert.ok(
          read.alerts.some((a) => a.detection.detector === detector),
          `--read raised no ${detector}:\n${describeAlerts(read)}`,
        );
      }

      await using replay = await TestNetwork.create();
      // Without IPv6 the replay link is silent: no neighbour discovery or MLD of its own.
      for (const ns of replay.namespaces) {
        await sysctl(replay, ns, "net.ipv6.conf.all.disable_ipv6=1");
      }
      await sleep(200);
      const logDir = `${directory}/log-live`;
      await Deno.mkdir(logDir);
      const main = await startLiveAnomaly(replay, replay.b, logDir);
      const sent = await replay.exec(replay.a.ns, ["tcpreplay", "-i", replay.a.iface, pcap], {
        timeoutS: 60,
      });
      assert.match(sent.stdout, new RegExp(`Actual: ${packets} packets`), sent.stdout);
      assert.match(sent.stdout, /Failed packets:\s+0\b/, sent.stdout);
      await sleep(1000); // the last packets reach the capture worker and the engine
      const status = await main.stop("SIGINT", 15_000);
      assert.equal(status.code, 0, `main.ts after SIGINT:\n${main.recentOutput}`);

      const live = readRun(`live capture of ${pcap}`, `${logDir}/${RECORDS_FILE}`);
      const capture = live.final.stats.capture;
      assert.ok(capture !== undefined, "the live run's final record has stats.capture");
      assert.equal(capture.kernel_drops, 0, "the kernel dropped packets of the live capture");
      assert.equal(
        live.final.stats.decoder.pkts,
        read.final.stats.decoder.pkts,
        "the live capture saw exactly the replayed packets",
      );
      assert.deepEqual(
        live.alerts.map(identity).sort(),
        expected,
        `--read:\n${describeAlerts(read)}\nlive:\n${describeAlerts(live)}`,
      );
    } finally {
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    }
  },
});
