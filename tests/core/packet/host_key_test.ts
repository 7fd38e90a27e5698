import assert from "node:assert/strict";
import { hostKey, keyText } from "../../../core/packet/host_key.ts";
import { endpointKey, pairKey } from "../../../core/detect/tracking/tuple_key.ts";
import { PROTO_TCP, PROTO_UDP } from "../../../core/detect/packet_context.ts";

/** The four words of an IPv6 address as the decoder stores them (network order, big-endian). */
function words(text: string): Int32Array {
  const groups = text.split(":").map((g) => parseInt(g, 16));
  const out = new Int32Array(4);
  for (let i = 0; i < 4; i++) out[i] = (groups[2 * i]! << 16) | groups[2 * i + 1]!;
  return out;
}

Deno.test("hostKey: an IPv4 key is the word; an IPv6 key is one cached text per address", () => {
  assert.equal(hostKey(Int32Array.of(0x0a000001), 0, false), 0x0a000001);
  const a = words("fd00:0:0:0:0:0:0:1");
  const first = hostKey(a, 0, true);
  assert.equal(keyText(first), "fd00::1");
  assert.equal(hostKey(words("fd00:0:0:0:0:0:0:1"), 0, true), first);
  // Thousands of other addresses pass through the cache; each still gets its own right text.
  for (let i = 0; i < 20_000; i++) {
    const key = hostKey(words(`2001:db8:0:0:0:0:1:${i.toString(16)}`), 0, true);
    assert.equal(typeof key, "string");
    assert.equal(keyText(key), `2001:db8::1:${i.toString(16)}`);
  }
  assert.equal(keyText(hostKey(a, 0, true)), "fd00::1");
});

Deno.test("endpointKey and pairKey: numbers for IPv4, distinct for distinct tuples", () => {
  const seen = new Set<unknown>();
  for (const address of [0, 1, -1, 0x0a000001, 0x7fffffff, -0x80000000]) {
    for (const port of [0, 1, 80, 65535]) {
      for (const proto of [PROTO_TCP, PROTO_UDP]) {
        const key = endpointKey(address, port, proto);
        assert.equal(typeof key, "number");
        assert.ok(Number.isSafeInteger(key));
        seen.add(key);
      }
    }
  }
  assert.equal(seen.size, 6 * 4 * 2);
  assert.notEqual(pairKey(1, 2), pairKey(2, 1));
  assert.ok(Number.isSafeInteger(pairKey(-1, 0x7fffffff) as number));
});

Deno.test("endpointKey and pairKey: numbers for IPv6 too, above every IPv4 endpoint key", () => {
  const a = hostKey(words("2001:db8:0:0:0:0:0:1"), 0, true);
  const b = hostKey(words("2001:db8:0:0:0:0:0:2"), 0, true);
  const keys = [
    pairKey(a, b),
    pairKey(b, a),
    endpointKey(a, 53, PROTO_UDP),
    endpointKey(a, 53, PROTO_TCP),
    endpointKey(a, 54, PROTO_UDP),
    endpointKey(b, 53, PROTO_UDP),
  ];
  for (const key of keys) {
    assert.equal(typeof key, "number");
    assert.ok(Number.isSafeInteger(key) && (key as number) >= 2 ** 52);
  }
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(endpointKey(a, 53, PROTO_UDP), endpointKey(a, 53, PROTO_UDP));
});
