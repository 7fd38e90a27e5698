/**
 * Broken capture files through main.ts itself (the worker included), for the exit code, the
 * one-line message and the records file: garbage after the header, a wrong magic, a snaplen of
 * 0, records longer than the snaplen and than 262144 bytes, cuts inside headers and records.
 * Every cut offset read in-process: truncated_files_test.ts.
 */
import assert from "node:assert/strict";
import { encodePcap, encodePcapng, makeTempDir } from "../support/pcap_writer.ts";
import { readRecords, statsRecords } from "../support/records.ts";
import { errorLine, runMain, T0_US, threePackets, writeCapture } from "./fixtures.ts";

/** A pcap whose first record claims `caplen` (and as many bytes follow). */
function pcapWithCaplen(caplen: number, snaplen: number): Uint8Array {
  return encodePcap({
    snaplen,
    packets: [
      threePackets()[0]!,
      { tsUs: T0_US + 1e6, bytes: new Uint8Array(caplen).fill(0x45) },
      threePackets()[2]!,
    ],
  });
}

/** main.ts --no-ui --read on `bytes`: exit code, the error line (or ""), the records. */
async function runOn(dir: string, name: string, bytes: Uint8Array) {
  const path = await writeCapture(`${dir}/${name}`, bytes);
  const logDir = `${dir}/log_${name}`;
  const result = await runMain(["--read", path, "--log-dir", logDir]);
  const hasError = /^anomaly: (?!(info|warning|debug): )/m.test(result.stderr);
  const line = hasError ? errorLine(result.stderr) : "";
  let pkts: number | null = null;
  try {
    const { final } = statsRecords(`${logDir}/network_activity.jsonl`); // every line parsed
    pkts = final.stats.decoder.pkts;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return { path, code: result.code, line, pkts, logDir };
}

Deno.test("main.ts on broken files: exit code, one clear line, records of what was readable", async () => {
  await using dir = await makeTempDir();
  const good = encodePcap({ packets: threePackets() });
  const rec0 = 24 + 16 + threePackets()[0]!.bytes.length;
  const text = new TextEncoder().encode(
    "this is not a packet record, just text\n".repeat(4),
  );
  const withGarbage = (at: number) => {
    const out = new Uint8Array(at + text.length);
    out.set(good.subarray(0, at));
    out.set(text, at);
    return out;
  };
  const wrongMagic = good.slice();
  wrongMagic.set([0xde, 0xad, 0xbe, 0xef]);
  const ng = encodePcapng({ packets: threePackets(), unknownBlocks: [0, 2, 3] });
  const ngCut = encodePcapng({ packets: threePackets(), unknownBlocks: [0, 2] });
  const cases: {
    name: string;
    bytes: Uint8Array;
    code: number;
    /** Packets in the final stats record; null when no records are written (open failed). */
    pkts: number | null;
    says?: RegExp;
  }[] = [
    {
      name: "empty.pcap",
      bytes: new Uint8Array(0),
      code: 1,
      pkts: null,
      says: /is empty/,
    },
    {
      name: "cut-in-file-header.pcap",
      bytes: good.slice(0, 10),
      code: 1,
      pkts: null,
      says: /is truncated inside its file header/,
    },
    {
      name: "cut-in-record-header.pcap",
      bytes: good.slice(0, rec0 + 7),
      code: 1,
      pkts: 1,
      says: /is truncated: 1 packets read before the break/,
    },
    {
      name: "cut-in-record-data.pcap",
      bytes: good.slice(0, rec0 + 16 + 30),
      code: 1,
      pkts: 1,
      says: /is truncated: 1 packets read before the break/,
    },
    {
      name: "garbage-after-header.pcap",
      bytes: withGarbage(24),
      code: 1,
      pkts: 0,
      says: /is corrupt after 0 packets \(libpcap: invalid packet capture length \d+.*repair/,
    },
    {
      name: "garbage-after-one-packet.pcap",
      bytes: withGarbage(rec0),
      code: 1,
      pkts: 1,
      says: /is corrupt after 1 packets/,
    },
    {
      name: "wrong-magic.pcap",
      bytes: wrongMagic,
      code: 1,
      pkts: null,
      says: /is not a pcap or pcapng capture file.*tcpdump -w/,
    },
    // libpcap reads a snaplen of 0 as the largest one: the file is read whole.
    {
      name: "snaplen-0.pcap",
      bytes: encodePcap({ packets: threePackets(), snaplen: 0 }),
      code: 0,
      pkts: 3,
    },
    // A record longer than the header's snaplen (but within 262144) is read, cut to the snaplen.
    {
      name: "caplen-above-snaplen.pcap",
      bytes: pcapWithCaplen(300, 100),
      code: 0,
      pkts: 3,
    },
    {
      name: "caplen-above-262144.pcap",
      bytes: pcapWithCaplen(262145, 262144),
      code: 1,
      pkts: 1,
      says: /is corrupt after 1 packets \(libpcap: invalid packet capture length 262145/,
    },
    { name: "unknown-blocks.pcapng", bytes: ng, code: 0, pkts: 3 },
    {
      name: "truncated.pcapng",
      bytes: ngCut.slice(0, ngCut.length - 5), // inside the last packet's block
      code: 1,
      pkts: 2,
      says: /is truncated: 2 packets read before the break/,
    },
  ];
  const results = await Promise.all(
    cases.map((c) => runOn(dir.path, c.name, c.bytes)),
  );
  cases.forEach((c, i) => {
    const r = results[i]!;
    assert.equal(r.code, c.code, `${c.name}: exit code (${r.line})`);
    assert.equal(
      r.pkts,
      c.pkts,
      `${c.name}: packets in the final stats record`,
    );
    if (c.says === undefined) {
      assert.equal(r.line, "", `${c.name}: no error line`);
      return;
    }
    assert.ok(
      r.line.startsWith(`anomaly: "${r.path}" `),
      `${c.name} names the file: ${r.line}`,
    );
    assert.match(r.line, c.says, c.name);
    if (c.pkts !== null) {
      assert.ok(
        r.line.includes(` in ${r.logDir}/network_activity.jsonl`),
        r.line,
      );
      assert.ok(readRecords(`${r.logDir}/network_activity.jsonl`).length >= 1);
    }
  });
});
