/**
 * The end of a session: the outputs are flushed (within outputs.flush_s) between the alerts'
 * end records and the final stats record, so that the final record's `summary.outputs` counts
 * every record before it as sent, not as still queued. Run as users do (main.ts --no-ui --read)
 * against a slow webhook receiver the test serves.
 */
import assert from "node:assert/strict";
import { encodePcap } from "../../../testing/pcap_writer.ts";
import { ethernet, ipv4, tcp } from "../../../testing/frames.ts";
import { SECOND_US, T0_US } from "../../support/base.ts";
import { readWithMain } from "../../support/main_read.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";

const SYN = 0x02, RST_ACK = 0x14;

/** One scanner probing 120 closed ports (RST answers) over 2 minutes: alerts and stats. */
function scanCapture(): Uint8Array {
  const packets = [];
  for (let port = 1; port <= 120; port++) {
    const tsUs = T0_US + port * SECOND_US;
    const probe = tcp({ sport: 40000, dport: port, flags: SYN });
    const answer = tcp({ sport: port, dport: 40000, flags: RST_ACK });
    packets.push(
      {
        tsUs,
        bytes: ethernet(
          0x0800,
          ipv4({ proto: 6, src: "10.0.0.1", dst: "10.0.0.2", payload: probe }),
        ),
      },
      {
        tsUs: tsUs + 100,
        bytes: ethernet(
          0x0800,
          ipv4({ proto: 6, src: "10.0.0.2", dst: "10.0.0.1", payload: answer }),
        ),
      },
    );
  }
  return encodePcap({ packets });
}

Deno.test("the final stats record counts the outputs after the end-of-capture flush", async () => {
  await using dir = await makeTempDir("anomaly-session-flush-");
  const bodies: string[] = [];
  // 30 ms per POST: at the end of the file most records still wait in the queue.
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const body = await request.text();
      await new Promise((resolve) => setTimeout(resolve, 30));
      bodies.push(body);
      return new Response(null, { status: 204 });
    },
  );
  const pcap = `${dir.path}/scan.pcap`;
  await Deno.writeFile(pcap, scanCapture());
  const { recordsPath } = await readWithMain(pcap, `${dir.path}/log`, {
    stats: { interval_s: 10 },
    outputs: {
      flush_s: 30,
      webhook: {
        enabled: true,
        url: `http://127.0.0.1:${server.addr.port}/`,
        types: ["alert", "stats"],
      },
    },
  }, 60_000);
  const lines = (await Deno.readTextFile(recordsPath)).split("\n").filter((l) => l !== "");
  const final = JSON.parse(lines.at(-1)!);
  assert.equal(final.event_type, "stats");
  assert.equal(final.summary.final, true);
  const before = lines.slice(0, -1).filter((l) =>
    ["alert", "stats"].includes(JSON.parse(l).event_type)
  );
  assert.ok(before.some((l) => JSON.parse(l).event_type === "alert"), "the scan gave alerts");
  assert.ok(before.length >= 10, `${before.length} records before the final one`);
  assert.deepEqual(
    final.summary.outputs.webhook,
    { sent: before.length, dropped: 0, failed: 0, queued: 0 },
    "every record before the final one sent; the final one is not in its own counts",
  );
  // The final record itself went out in what was left of flush_s, after the others, in order.
  assert.deepEqual(
    bodies,
    lines.filter((l) => ["alert", "stats"].includes(JSON.parse(l).event_type)),
  );
});
