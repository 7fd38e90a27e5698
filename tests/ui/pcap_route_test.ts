import assert from "node:assert/strict";
import { join } from "node:path";
import { AlertHistory } from "../../core/store/alert_history.ts";
import { createApp } from "../../ui/server.ts";
import { PCAP_CONTENT_TYPE } from "../../ui/pcap_route.ts";
import { encodePcap, makeTempDir } from "../support/pcap_writer.ts";
import { tcpFrame } from "../support/detection_run.ts";
import { errorOf, heldController } from "./support.ts";

/** A log directory whose pcap/ holds the pcap of alert `id`; returns its bytes. */
async function withPcap(dir: string, id: string): Promise<Uint8Array> {
  await Deno.mkdir(join(dir, "pcap"), { recursive: true });
  const bytes = encodePcap({
    packets: [0, 1, 2].map((i) => ({
      tsUs: 1_700_000_000_000_000 + i,
      bytes: tcpFrame("10.0.0.5", "10.0.0.9", 40000, 20 + i),
    })),
  });
  await Deno.writeFile(join(dir, "pcap", `${id}.pcap`), bytes);
  return bytes;
}

Deno.test("GET /api/alerts/{id}/pcap downloads the alert's pcap as written", async () => {
  await using dir = await makeTempDir();
  const bytes = await withPcap(dir.path, "r1-0001");
  const app = createApp(heldController(), { history: new AlertHistory(dir.path) });
  const response = await app.request("/api/alerts/r1-0001/pcap");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), PCAP_CONTENT_TYPE);
  assert.equal(response.headers.get("Content-Disposition"), 'attachment; filename="r1-0001.pcap"');
  assert.equal(response.headers.get("Content-Length"), String(bytes.length));
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
});

Deno.test("GET /api/alerts/{id}/pcap: 400 for a bad id, 404 for none, a link, or no log directory", async () => {
  await using dir = await makeTempDir();
  await withPcap(dir.path, "r1-0001");
  const app = createApp(heldController(), { history: new AlertHistory(dir.path) });
  for (const bad of ["R1-0001", "r1_0001", "..%2Fsecret", "x".repeat(65)]) {
    const response = await app.request(`/api/alerts/${bad}/pcap`);
    assert.equal(response.status, 400, bad);
    assert.match(await errorOf(response), /Bad alert id/);
  }
  const missing = await app.request("/api/alerts/r1-0002/pcap");
  assert.equal(missing.status, 404);
  assert.match(await errorOf(missing), /No pcap for alert "r1-0002".*pcap\.max_total_bytes/);

  // A symbolic link in the folder (to a file outside it) is not served.
  await Deno.writeTextFile(join(dir.path, "secret"), "not for the UI");
  await Deno.symlink(join(dir.path, "secret"), join(dir.path, "pcap", "r1-0003.pcap"));
  assert.equal((await app.request("/api/alerts/r1-0003/pcap")).status, 404);

  const none = createApp(heldController(), { history: new AlertHistory(null) });
  assert.equal((await none.request("/api/alerts/r1-0001/pcap")).status, 404);
});
