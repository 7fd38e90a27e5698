/**
 * Floods by a real hping3 from namespace A toward B, each bounded by a packet count and by
 * `timeout`, recorded with tcpdump in A and read back with `main.ts --read` at default settings:
 * SYN, UDP and ICMP echo floods, from A's own address and with --rand-source, each raise flood
 * with dest_ip = B and its kind in detection.message. Before Anomaly is asked, tcpdump's count of
 * the flood's peak second shows the capture clearly exceeds the default threshold. Beside flood
 * only high_packet_rate may fire (A, or B answering, sends far more than 100 packets a second);
 * with spoofed sources no source sends more than a packet or two.
 */
import assert from "node:assert/strict";
import { canUseNamespaces, TestNetwork } from "../support/netns.ts";
import {
  analyseFile,
  checkAlerts,
  DETECTION_TOOLS,
  peakPerSecond,
  recordWhile,
} from "./support.ts";

const unavailable = await canUseNamespaces(DETECTION_TOOLS);
if (unavailable !== null) console.log(`skip: detection tests with real floods (${unavailable})`);

interface FloodKind {
  kind: "SYN" | "UDP" | "ICMP";
  /** hping3's mode and destination port. */
  mode: string[];
  count: number;
  /** Microseconds between packets (hping3 -i uN). */
  intervalUs: number;
  /** The flood's packets as tcpdump selects them, toward B. */
  filter: (b: string) => string;
  /** Default of detect.flood.<kind>_per_second. */
  threshold: number;
}

const FLOODS: FloodKind[] = [
  {
    kind: "SYN",
    mode: ["-S", "-p", "80"],
    count: 3000,
    intervalUs: 100,
    filter: (b) => `dst host ${b} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn`,
    threshold: 1000,
  },
  {
    kind: "UDP",
    mode: ["--udp", "-p", "53"],
    count: 6000,
    intervalUs: 50,
    filter: (b) => `dst host ${b} and udp`,
    threshold: 2000,
  },
  {
    kind: "ICMP",
    mode: ["--icmp"],
    count: 2000,
    intervalUs: 100,
    filter: (b) => `dst host ${b} and icmp[icmptype] == icmp-echo`,
    threshold: 500,
  },
];

/** The peak must exceed the threshold by this factor, so the verdict never hangs on timing. */
const MARGIN = 1.5;

Deno.test({
  name: "hping3 floods raise flood toward B with their kind, from A or from spoofed sources",
  ignore: unavailable !== null,
  fn: async (t) => {
    await using net = await TestNetwork.create();
    const directory = await net.makeTemporaryDirectory();
    const a = net.a.ipv4, b = net.b.ipv4;

    for (const flood of FLOODS) {
      for (const spoofed of [false, true]) {
        const name = `${flood.kind}${spoofed ? " --rand-source" : ""}`;
        await t.step(`hping3 ${name} flood: flood -> B, "${flood.kind} flood"`, async () => {
          const pcap = `${directory}/${flood.kind}${spoofed ? "-spoofed" : ""}.pcap`;
          const argv = [
            "hping3",
            "-q",
            ...flood.mode,
            "-c",
            String(flood.count),
            "-i",
            `u${flood.intervalUs}`,
            ...(spoofed ? ["--rand-source"] : []),
            b,
          ];
          // hping3 exits 1 when nothing answered (always so with spoofed sources).
          const { result } = await recordWhile(
            net.a,
            pcap,
            () => net.exec(net.a.ns, argv, { timeoutS: 15, allowFailure: true }),
          );
          const output = result.stdout + result.stderr;
          assert.match(output, new RegExp(`${flood.count} packets transmitted`), output);
          const peak = await peakPerSecond(pcap, flood.filter(b));
          assert.ok(
            peak >= MARGIN * flood.threshold,
            `the capture's peak is ${peak} ${flood.kind} packets/s toward B; the test needs ` +
              `${MARGIN * flood.threshold} (${MARGIN} x the default ${flood.threshold}/s)`,
          );

          const run = await analyseFile(pcap, `${directory}/log-${flood.kind}-${spoofed}`);
          const others = FLOODS.filter((f) => f !== flood).map((f) => f.kind);
          checkAlerts(run, {
            required: [{
              detector: "flood",
              dest_ip: b,
              message: new RegExp(`\\b${flood.kind} (echo )?flood`, "i"),
            }],
            allowed: ["high_packet_rate"],
            forbidden: [
              // A flood of one kind is not reported as another, nor against the sender.
              ...others.map((kind) => ({
                detector: "flood" as const,
                message: new RegExp(`\\b${kind} (echo )?flood`, "i"),
              })),
              { detector: "flood", dest_ip: a },
              // Spoofed sources each send a packet or two: no source is a high-rate sender.
              ...(spoofed ? [{ detector: "high_packet_rate" as const }] : []),
            ],
          });
        });
      }
    }
  },
});
