import assert from "node:assert/strict";
import { exchangeKey, pairedKey, pairKey } from "../../../../core/detect/tracking/tuple_key.ts";

const A = 0x0ae75f01, B = 0x0ae75f02; // 10.231.95.1, 10.231.95.2
const TCP = 6, UDP = 17;

Deno.test("exchangeKey: a full-range port scan (one source port, 65,535 destination ports) gives 65,535 keys", () => {
  // nmap -p- keeps both addresses and its source port and varies only the destination port:
  // each probe must stay its own exchange, or a refused probe's failure is lost.
  for (const proto of [TCP, UDP]) {
    const keys = new Set<number>();
    for (let port = 1; port <= 65535; port++) keys.add(exchangeKey(A, 49488, B, port, proto));
    assert.equal(keys.size, 65535);
  }
});

Deno.test("exchangeKey: many source ports to one service give distinct keys", () => {
  const keys = new Set<number>();
  for (let port = 1024; port < 65536; port++) keys.add(exchangeKey(A, port, B, 443, TCP));
  assert.equal(keys.size, 65536 - 1024);
});

Deno.test("exchangeKey: keys are numbers below 2^53, the same from either side when paired", () => {
  const key = exchangeKey(A, 40000, B, 80, TCP);
  assert.ok(Number.isSafeInteger(key) && key >= 0);
  assert.equal(pairedKey(A, 40000, B, 80, TCP), pairedKey(B, 80, A, 40000, TCP));
  assert.notEqual(exchangeKey(A, 40000, B, 80, TCP), exchangeKey(A, 40000, B, 80, UDP));
});

Deno.test("pairKey: unique for every source of one destination (a /16 of sources)", () => {
  const keys = new Set<number>();
  for (let i = 0; i < 65536; i++) keys.add(pairKey((0x0a000000 | i) >>> 0, B) as number);
  assert.equal(keys.size, 65536);
});
