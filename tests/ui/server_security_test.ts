/**
 * The UI's guards through `app.request()` (no sockets): the token, DNS rebinding (host names
 * other than loopback), cross-origin refusal, and the listen policy.
 */
import assert from "node:assert/strict";
import { checkListenPolicy, createApp } from "../../ui/server.ts";
import { errorOf, heldController, post, SourceCounter } from "./support.ts";

Deno.test("with a token, every API call, the event stream and the metrics need it", async () => {
  const app = createApp(heldController(), { token: "s3cret-token" });
  const paths = [
    "/api/status",
    "/api/interfaces",
    "/api/alerts",
    "/api/summary",
    "/api/events",
    "/metrics",
  ];
  for (const path of paths) {
    // A fresh app per path: each has its own failure budget (10 failures, then 429).
    const app = createApp(heldController(), { token: "s3cret-token" });
    const none = await app.request(path);
    assert.equal(none.status, 401, path);
    assert.match(none.headers.get("WWW-Authenticate")!, /^Bearer/);
    assert.match(await errorOf(none), /needs its token/);
    const wrong = await app.request(path, { headers: { Authorization: "Bearer s3cret-tokeN" } });
    assert.equal(wrong.status, 401, path);
  }
  const start = await post(app, "/api/start", "{}");
  assert.equal(start.status, 401);
  const ok = await app.request("/api/status", {
    headers: { Authorization: "Bearer s3cret-token" },
  });
  assert.equal(ok.status, 200);
  // The page holds no data: it loads without the token and asks for it.
  assert.equal((await app.request("/")).status, 200);
  // With a token, other host names are answered (the UI may listen beyond loopback).
  const remote = await app.request("http://monitor.example:8080/api/status", {
    headers: { Authorization: "Bearer s3cret-token" },
  });
  assert.equal(remote.status, 200);
});

Deno.test("without a token, host names other than loopback get 403 (DNS rebinding)", async () => {
  const app = createApp(heldController());
  for (
    const url of [
      "http://evil.example/api/status",
      "http://192.0.2.1:8080/",
      "http://10.0.0.1/metrics",
    ]
  ) {
    const response = await app.request(url);
    assert.equal(response.status, 403, url);
    assert.match(await errorOf(response), /only on loopback/);
  }
  for (
    const url of [
      "http://127.0.0.1:8080/api/status",
      "http://localhost/api/status",
      "http://[::1]:9/api/status",
    ]
  ) {
    assert.equal((await app.request(url)).status, 200, url);
  }
});

Deno.test("state-changing requests from another origin are refused with 403", async () => {
  const counter = new SourceCounter();
  const app = createApp(heldController(counter), { allowedOrigins: ["http://localhost:3000"] });
  const refused: Record<string, string>[] = [
    { Origin: "http://evil.example" },
    { Origin: "null" },
    { Origin: "http://localhost:8081" },
    { "Sec-Fetch-Site": "cross-site" },
    { "Sec-Fetch-Site": "same-site" },
  ];
  for (const headers of refused) {
    for (const path of ["/api/start", "/api/stop"]) {
      const response = await post(app, path, "{}", headers);
      assert.equal(response.status, 403, `${path} ${JSON.stringify(headers)}`);
      assert.match(await errorOf(response), /Cross-origin request refused/);
    }
  }
  assert.equal(counter.opened, 0);
  // Reading is fine cross-origin (no CORS headers, so a browser keeps the answer from the page).
  const read = await app.request("/api/status", { headers: { Origin: "http://evil.example" } });
  assert.equal(read.status, 200);
  assert.equal(read.headers.get("Access-Control-Allow-Origin"), null);
  // The page's own origin, an allowed one, and clients that send no Origin (curl) may.
  const same = await post(app, "/api/start", "{}", {
    Origin: "http://localhost",
    "Sec-Fetch-Site": "same-origin",
  });
  assert.equal(same.status, 200);
  const allowed = await post(app, "/api/stop", "{}", { Origin: "http://localhost:3000" });
  assert.equal(allowed.status, 200);
  assert.equal((await post(app, "/api/start", "{}")).status, 200);
  assert.equal((await post(app, "/api/stop")).status, 200);
});

Deno.test("checkListenPolicy() needs a token of 16 characters beyond loopback", () => {
  assert.equal(checkListenPolicy("127.0.0.1", undefined), null);
  assert.equal(checkListenPolicy("::1", undefined), null);
  assert.equal(checkListenPolicy("localhost", undefined), null);
  assert.match(checkListenPolicy("0.0.0.0", undefined)!, /--token or ANOMALY_TOKEN/);
  assert.match(checkListenPolicy("192.0.2.5", undefined)!, /Listening on 192\.0\.2\.5/);
  assert.equal(checkListenPolicy("0.0.0.0", "0123456789abcdef"), null);
  // Off loopback a token needs 16 characters; on loopback any token will do.
  assert.match(checkListenPolicy("0.0.0.0", "t")!, /at least 16 characters/);
  assert.match(checkListenPolicy("192.0.2.5", "0123456789abcde")!, /--token or ANOMALY_TOKEN/);
  assert.equal(checkListenPolicy("127.0.0.1", "t"), null);
});
