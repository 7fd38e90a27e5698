/**
 * The outputs' queue against a real redis-server that goes away and comes back: lines offered
 * meanwhile wait (never blocking the caller) and go once it is back, in order; beyond the queue
 * they are counted dropped; close() gives up within its flush time.
 */
import assert from "node:assert/strict";
import { OutputQueue } from "../../../core/outputs/output_queue.ts";
import { RedisDelivery } from "../../../core/outputs/redis_output.ts";
import { makeTempDir } from "../../../testing/pcap_writer.ts";
import { freeTcpPort, startRedis, waitFor } from "../../support/output_servers.ts";

function redisQueue(port: number, capacity: number) {
  const delivery = new RedisDelivery(
    { hostname: "127.0.0.1", port, username: "", password: "", db: 0 },
    { key: "q", mode: "list", streamMaxLen: 1000 },
  );
  return new OutputQueue(delivery, { label: "redis test", capacity, retryMaxMs: 100 });
}

Deno.test("OutputQueue reconnects to a restarted redis-server and sends what waited, in order", async () => {
  await using dir = await makeTempDir();
  const port = freeTcpPort();
  const queue = redisQueue(port, 5);
  {
    await using redis = await startRedis(dir.path, port);
    for (const n of [1, 2, 3]) queue.offer(`line ${n}`);
    await waitFor("3 sent", () => Promise.resolve(queue.counts().sent === 3));
    assert.equal((await redis.cli("LLEN", "q")).trim(), "3");
  }
  // The server is gone: offers return at once; one line is being retried, 5 wait, the rest are
  // dropped.
  const started = performance.now();
  for (let n = 4; n <= 10; n++) queue.offer(`line ${n}`);
  assert.ok(performance.now() - started < 50);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(queue.counts(), { sent: 3, dropped: 1, failed: 0, queued: 6 });
  await using redis = await startRedis(dir.path, port);
  await waitFor("the queue to drain", () => Promise.resolve(queue.counts().sent === 9));
  const stored = (await redis.cli("--raw", "LRANGE", "q", "0", "-1")).trim().split("\n");
  // The first server's list was not persisted: the second holds the lines that waited.
  assert.deepEqual(stored, ["line 4", "line 5", "line 6", "line 7", "line 8", "line 9"]);
  assert.deepEqual(await queue.close(1000), { sent: 9, dropped: 1, failed: 0, queued: 0 });
});

Deno.test("OutputQueue.close() gives up on a server that never comes, within its flush time", async () => {
  const queue = redisQueue(freeTcpPort(), 100);
  for (let n = 0; n < 20; n++) queue.offer(`line ${n}`);
  const started = performance.now();
  const counts = await queue.close(300);
  const ms = performance.now() - started;
  assert.ok(ms >= 290 && ms < 1000, `close took ${ms} ms`);
  assert.deepEqual(counts, { sent: 0, dropped: 20, failed: 0, queued: 0 });
  queue.offer("after the end");
  assert.equal(queue.counts().dropped, 21);
});
