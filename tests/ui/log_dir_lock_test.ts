/**
 * The UI takes its log directory's lock while it captures: Start while a headless run holds the
 * directory answers 409 naming it, and once that run is gone Start works. The holder here is
 * this process's own RecordWriter: the real flock, on a file description of its own.
 */
import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config/config.ts";
import { LOCK_FILE } from "../../core/records/log_directory.ts";
import { RecordWriter } from "../../core/records/record_writer.ts";
import type { CaptureEnd, PacketSource } from "../../core/run/session.ts";
import { Controller } from "../../ui/controller.ts";
import { createApp } from "../../ui/server.ts";

/** A source with no packets that runs until stopped. */
class IdleSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live = false;
  readonly source = "idle0";
  #stopped = Promise.withResolvers<void>();
  async run(): Promise<CaptureEnd> {
    await this.#stopped.promise;
    return { kind: "stopped" };
  }
  stop(): Promise<void> {
    this.#stopped.resolve();
    return Promise.resolve();
  }
}

Deno.test("UI Start while another run holds the log directory answers 409 naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-lock-" });
  try {
    const controller = new Controller({
      config: defaultConfig(),
      openSource: () => Promise.resolve(new IdleSource()),
      logDirectory: dir,
      defaultInterface: () => "idle0",
    });
    const app = createApp(controller);
    const start = () =>
      app.request("/api/start", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    const headless = RecordWriter.open(dir, { maxBytes: 1 << 20, maxFiles: 1 });
    const refused = await start();
    assert.equal(refused.status, 409);
    const body = JSON.stringify(await refused.json());
    assert.match(body, new RegExp(`is in use by anomaly pid ${Deno.pid} \\(headless\\) since `));
    assert.match(body, /stop it or use --log-dir/);
    headless.close();

    const started = await start();
    assert.equal(started.status, 200, await started.text());
    const holder = JSON.parse(await Deno.readTextFile(`${dir}/${LOCK_FILE}`));
    assert.equal(holder.mode, "ui");
    await controller.close();
    RecordWriter.open(dir, { maxBytes: 1 << 20, maxFiles: 1 }).close(); // released at Stop
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
