import assert from "node:assert/strict";
import { join } from "node:path";
import { AlertPcaps, type PcapSettings } from "../../../core/pcap/alert_pcaps.ts";
import { countWithFilter, summarizePcap } from "../../../testing/tcpdump.ts";
import { tcpFrame, type Timed } from "../../support/detection_run.ts";
import { framedBatch } from "../../support/framed_batch.ts";

const T0_S = 1_700_000_000;
const SETTINGS: PcapSettings = {
  beforeS: 2,
  afterS: 3,
  maxPacketsPerAlert: 10_000,
  maxBytesPerAlert: 1 << 24,
  maxTotalBytes: 1 << 26,
  maxOpen: 8,
  ringPackets: 4096,
  ringBytes: 1 << 22,
};

/**
 * 20 s of traffic, 10 packets a second: the attacker 10.0.0.5 and victim 10.0.0.9 both ways,
 * and unrelated pairs (the attacker with another host, two other hosts), in 1 s batches.
 */
function traffic(): Timed[][] {
  const pairs = [["10.0.0.5", "10.0.0.9"], ["10.0.0.9", "10.0.0.5"], ["10.0.0.5", "10.0.0.7"], [
    "10.0.0.7",
    "10.0.0.8",
  ]];
  return Array.from({ length: 20 }, (_, second) =>
    Array.from({ length: 10 }, (_, k) => {
      const [src, dst] = pairs[k % 4]!;
      const tsUs = (T0_S + second) * 1e6 + k * 100_000;
      return { tsUs, frame: tcpFrame(src!, dst!, 40000 + k, 22) };
    }));
}

/** Runs the traffic, an alert of the attacker and victim starting at second 10 (its batch's). */
function alertRun(dir: string, settings: PcapSettings, ids: string[]) {
  const pcaps = AlertPcaps.open(dir, { settings, linkType: 1, snaplen: 512 })!;
  const paths: (string | undefined)[] = [];
  for (const [second, packets] of traffic().entries()) {
    pcaps.add(framedBatch(packets));
    if (second !== 10) continue;
    for (const id of ids) {
      paths.push(pcaps.pathFor({
        id,
        state: "start",
        srcIp: "10.0.0.5",
        destIp: "10.0.0.9",
        atUs: (T0_S + 10) * 1e6,
      }));
    }
  }
  pcaps.finish();
  return { pcaps, paths };
}

Deno.test("AlertPcaps writes the alert's pair only, from before_s before to after_s after its start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-alertpcaps-" });
  try {
    const { pcaps, paths } = alertRun(dir, SETTINGS, ["run1-0001"]);
    assert.deepEqual(paths, ["pcap/run1-0001.pcap"]);
    const file = join(dir, "pcap", "run1-0001.pcap");
    // Packet times 8.0 to 13.0: 5 s of 6 pair packets a second, plus the one at 13.0.
    const summary = await summarizePcap(file);
    assert.equal(summary.linkType, 1);
    assert.equal(summary.firstSeconds, T0_S + 8);
    assert.ok(summary.lastSeconds <= T0_S + 13, `${summary.lastSeconds}`);
    assert.equal(summary.packets, 5 * 6 + 1);
    assert.equal(await countWithFilter(file, "host 10.0.0.5 and host 10.0.0.9"), summary.packets);
    assert.equal(await countWithFilter(file, "not (host 10.0.0.5 and host 10.0.0.9)"), 0);
    const counts = pcaps.counts();
    assert.equal(counts.written, 1);
    assert.equal(counts.packets, summary.packets);
    assert.equal(counts.files, 1);
    assert.equal(counts.bytes, (await Deno.stat(file)).size);
    // Later records name the file while it is on disk.
    const update = { id: "run1-0001", state: "update" as const, atUs: (T0_S + 19) * 1e6 };
    assert.equal(pcaps.pathFor(update), "pcap/run1-0001.pcap");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AlertPcaps bounds: files at once, packets per alert, and the folder's total", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-alertpcaps-" });
  try {
    const few = { ...SETTINGS, maxOpen: 2, maxPacketsPerAlert: 20 };
    const first = alertRun(dir, few, ["a-0001", "a-0002", "a-0003"]);
    assert.deepEqual(first.paths, ["pcap/a-0001.pcap", "pcap/a-0002.pcap", undefined]);
    const counts = first.pcaps.counts();
    assert.equal(counts.skipped, 1);
    assert.equal(counts.truncated, 2);
    assert.equal((await summarizePcap(join(dir, "pcap", "a-0001.pcap"))).packets, 20);
    const fileBytes = (await Deno.stat(join(dir, "pcap", "a-0001.pcap"))).size;

    // A next run whose folder holds two files' worth: a-0001 (the oldest) goes, then a-0002.
    const tight = { ...few, maxTotalBytes: 2 * fileBytes + 100 };
    await new Promise((resolve) => setTimeout(resolve, 20)); // later modification times
    const second = alertRun(dir, tight, ["b-0001", "b-0002"]);
    assert.equal(second.pcaps.counts().evicted, 2);
    assert.ok(second.pcaps.counts().bytes <= tight.maxTotalBytes);
    const left = [...Deno.readDirSync(join(dir, "pcap"))].map((e) => e.name).sort();
    assert.deepEqual(left, ["b-0001.pcap", "b-0002.pcap"]);
    const evicted = { id: "a-0001", state: "end" as const, atUs: (T0_S + 20) * 1e6 };
    assert.equal(second.pcaps.pathFor(evicted), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
