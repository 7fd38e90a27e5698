/**
 * 100 concurrent start/stop requests leave one consistent state and never two captures.
 */
import assert from "node:assert/strict";
import { createApp } from "../../ui/server.ts";
import {
  fileController,
  heldController,
  settled,
  SourceCounter,
  writeAlertFixture,
} from "./support.ts";

async function burst(counter: SourceCounter, openDelayMs: number) {
  // A slow open makes the requests pile up behind a start in progress.
  const app = createApp(heldController(counter, { openSource: counter.opener(openDelayMs) }));
  const paths = Array.from({ length: 100 }, (_, i) => {
    // A mix: runs of starts and stops in a scrambled order.
    return (i * 37) % 5 < 3 ? "/api/start" : "/api/stop";
  });
  const responses = await Promise.all(paths.map((path) =>
    app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    })
  ));
  const outcomes = await Promise.all(responses.map(async (r, i) => ({
    path: paths[i]!,
    status: r.status,
    body: await r.json(),
  })));
  const status = await (await app.request("/api/status")).json();
  return { app, outcomes, status };
}

for (const delayMs of [0, 5]) {
  Deno.test(`100 concurrent start/stop requests (open takes ${delayMs} ms): one state, never two captures`, async () => {
    const counter = new SourceCounter();
    const { app, outcomes, status } = await burst(counter, delayMs);
    for (const o of outcomes) {
      assert.ok(
        o.status === 200 || o.status === 409,
        `${o.path}: ${o.status} ${JSON.stringify(o.body)}`,
      );
      if (o.status === 409) assert.equal(typeof o.body.error, "string");
    }
    const starts = outcomes.filter((o) => o.path === "/api/start" && o.status === 200).length;
    const stops = outcomes.filter((o) => o.path === "/api/stop" && o.status === 200).length;
    assert.ok(starts > 1, "several captures were started one after another");
    assert.equal(counter.opened, starts, "one source per successful start");
    assert.equal(counter.maxRunning, 1, "never two captures at once");
    assert.equal(starts - stops, counter.running);
    assert.equal(status.state, counter.running === 1 ? "capturing" : "stopped");
    // Successful answers alternate: each start is followed by a stop before the next start.
    const successes = outcomes.filter((o) => o.status === 200).map((o) => o.body.state);
    for (let i = 1; i < successes.length; i++) assert.notEqual(successes[i], successes[i - 1]);
    if (status.state === "capturing") {
      const stop = await app.request("/api/stop", { method: "POST" });
      assert.equal(stop.status, 200);
    }
    assert.equal(counter.running, 0);
  });
}

Deno.test("concurrent starts of a file read are serialised, and Stop after its end answers 409", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anomaly-ui-" });
  try {
    const path = await writeAlertFixture(dir);
    const controller = fileController(path, null);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => controller.start()),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    await settled(controller);
    assert.ok(ok >= 1);
    assert.equal(controller.sessionsStarted, ok);
    assert.equal(controller.state, "stopped");
    assert.equal(controller.session?.engine.summary.packets, 155);
    await assert.rejects(controller.stop(), (e: Error & { status?: number }) => e.status === 409);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
