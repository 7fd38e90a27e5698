/**
 * Writing records fails mid-capture (the log directory replaced by a file): the capture goes on,
 * the status and the event stream carry the warning once, records lost are counted in the next
 * stats record and in `saved`, and writing resumes once the directory is back. No root needed:
 * the packets come from a fake live source the test feeds.
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../core/config/config.ts";
import { PacketDecoder } from "../../core/decode/decoder.ts";
import { PacketBatch } from "../../core/packet/packet_batch.ts";
import { RECORDS_FILE } from "../../core/records/record_writer.ts";
import type { CaptureEnd, PacketSource } from "../../core/run/session.ts";
import { Controller } from "../../ui/controller.ts";
import type { ControllerEvent } from "../../ui/controller_api.ts";
import { createApp } from "../../ui/server.ts";
import { EN10MB, ethernet, ipv4, udp } from "../support/frames.ts";
import { readRecords } from "../support/records.ts";

const T0 = 1_700_000_000 * 1e6;

/**
 * A source whose packets the test hands over with `feed()`. Not live, so that no wall-clock tick
 * moves packet time: the stats records come exactly where the test puts them.
 */
class FedSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live = false;
  readonly source = "fed0";
  #sink: { onBatch(batch: PacketBatch): void } | null = null;
  #stopped = Promise.withResolvers<void>();
  #decoder = new PacketDecoder(EN10MB);

  async run(sink: { onBatch(batch: PacketBatch): void }): Promise<CaptureEnd> {
    this.#sink = sink;
    await this.#stopped.promise;
    return { kind: "stopped" };
  }

  stop(): Promise<void> {
    this.#stopped.resolve();
    return Promise.resolve();
  }

  /** One UDP packet at packet time `tsUs`. */
  feed(tsUs: number): void {
    const frame = ethernet(
      0x0800,
      ipv4({ proto: 17, src: "10.0.0.1", dst: "10.0.0.2", payload: udp({ dport: 53 }) }),
    );
    const batch = new PacketBatch(1);
    this.#decoder.decode(
      { bytes: frame, start: 0, capLen: frame.length, wireLen: frame.length, timestampUs: tsUs },
      batch,
    );
    this.#sink!.onBatch(batch);
  }
}

Deno.test("a failing log directory warns once in the status and events, counts losses, and resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-write-fault-" });
  const logDir = `${dir}/log`;
  try {
    const source = new FedSource();
    const controller = new Controller({
      config: applyOverrides(defaultConfig(), { "stats.interval_s": 1 }),
      openSource: () => Promise.resolve(source),
      logDirectory: logDir,
      defaultInterface: () => "fed0",
    });
    const app = createApp(controller);
    const events: ControllerEvent[] = [];
    const unsubscribe = controller.subscribe((event) => events.push(event));
    const warnings = () =>
      events.filter((e) => e.type === "state").map((e) => (e.data as { warning: string }).warning)
        .filter((w, i, all) => w !== null && w !== all[i - 1]);

    await controller.start();
    await new Promise((resolve) => setTimeout(resolve, 0)); // run() has the sink
    source.feed(T0);
    source.feed(T0 + 1.5e6); // first stats record, written
    assert.equal(controller.status().warning, null);

    Deno.renameSync(logDir, `${dir}/moved`);
    Deno.writeTextFileSync(logDir, "a file in the way");
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the writer checks every second
    source.feed(T0 + 2.5e6); // lost
    source.feed(T0 + 3.5e6); // lost
    let status = await (await app.request("/api/status")).json();
    assert.equal(status.state, "capturing", "the capture goes on");
    assert.match(
      status.warning,
      new RegExp(
        `^Cannot write records to ${logDir}/${RECORDS_FILE}: a file is in the way; ` +
          "capture goes on",
      ),
    );
    assert.equal(status.recordsLost, 2);
    assert.equal(warnings().length, 1, "the problem is announced once");

    Deno.removeSync(logDir);
    source.feed(T0 + 4.5e6); // written again, with the count of lost records
    status = await (await app.request("/api/status")).json();
    assert.match(
      status.warning,
      /resumed: 2 records were lost while it failed \(a file is in the way\)/,
    );
    assert.equal(warnings().length, 2, "the recovery is announced once");

    const ended = await controller.stop();
    unsubscribe();
    assert.equal(ended.state, "stopped");
    assert.equal(ended.saved?.writeFailures, 2);
    assert.equal(ended.saved?.records, 3, "1 before, 1 after, and the final stats record");

    assert.equal(readRecords(`${dir}/moved/${RECORDS_FILE}`).length, 1);
    const after = readRecords(`${logDir}/${RECORDS_FILE}`) as {
      summary: { records_lost: number; final: boolean };
    }[];
    assert.deepEqual(after.map((r) => r.summary.records_lost), [2, 2]);
    assert.equal(after.at(-1)!.summary.final, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
