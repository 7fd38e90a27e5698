import assert from "node:assert/strict";
import {
  FirstSightings,
  firstSightingSlots,
  SIGHTING_AGAIN,
  SIGHTING_DISPLACED,
  SIGHTING_FIRST,
  withLosses,
} from "../../../../core/detect/tracking/first_sightings.ts";
import { hostKey } from "../../../../core/packet/host_key.ts";
import { KeyedState } from "../../../../core/detect/tracking/keyed_state.ts";

const SECOND = 1_000_000;
const T0 = 1_700_000_000_000_000;

/** An IPv6 host key for 2001:db8::`n`. */
function v6(n: number): string {
  return hostKey(new Int32Array([0x20010db8, 0, 0, n]), 0, true) as string;
}

Deno.test("firstSightingSlots() rounds up to a power of two of at least one bucket", () => {
  assert.equal(firstSightingSlots(1), 4);
  assert.equal(firstSightingSlots(16), 16);
  assert.equal(firstSightingSlots(50_000), 65_536);
});

Deno.test("FirstSightings.forTable() has a quarter of the table's cap in slots, and its expiry", () => {
  const gate = FirstSightings.forTable(new KeyedState("t", 50_000, 2 * SECOND));
  assert.equal(gate.slots, 16_384);
  assert.equal(gate.idleUs, 2 * SECOND);
});

Deno.test("FirstSightings.sight() parks a first observation and hands it back at its original time", () => {
  const gate = new FirstSightings(16, 2 * SECOND);
  assert.equal(gate.sight(0x0a000001, 0, T0, 0x0a000002, 80, 7), SIGHTING_FIRST);
  assert.equal(gate.sight(0x0a000001, 0, T0 + 500_000, 0x0a000003, 81), SIGHTING_AGAIN);
  assert.equal(gate.parkedUs, T0, "the first packet's time, not the second's");
  assert.equal(gate.parkedValue(), 0x0a000002);
  assert.equal(gate.parkedA, 80);
  assert.equal(gate.parkedB, 7);
  // Handing back frees the slot: the next sighting is a first one again.
  assert.equal(gate.sight(0x0a000001, 0, T0 + 600_000, 0), SIGHTING_FIRST);
});

Deno.test("FirstSightings.sight() keeps kinds of one key apart", () => {
  const gate = new FirstSightings(16, 2 * SECOND);
  assert.equal(gate.sight(42, 0, T0, 1), SIGHTING_FIRST);
  assert.equal(gate.sight(42, 2, T0 + 1, 2), SIGHTING_FIRST);
  assert.equal(gate.sight(42, 2, T0 + 2, 3), SIGHTING_AGAIN);
  assert.equal(gate.parkedKind, 2);
  assert.equal(gate.parkedValue(), 2);
  assert.equal(gate.sight(42, 0, T0 + 3, 4), SIGHTING_AGAIN);
  assert.equal(gate.parkedValue(), 1);
});

Deno.test("FirstSightings.sight() holds IPv6 keys and values, and big numeric keys, exactly", () => {
  const gate = new FirstSightings(64, 2 * SECOND);
  assert.equal(gate.sight(v6(1), 0, T0, v6(2)), SIGHTING_FIRST);
  assert.equal(gate.sight(v6(3), 0, T0, v6(4)), SIGHTING_FIRST);
  assert.equal(gate.sight(2 ** 52 + 5, 0, T0, 2 ** 52 + 6), SIGHTING_FIRST);
  assert.equal(gate.sight(2 ** 52 + 5 + 2 ** 32, 0, T0, 1), SIGHTING_FIRST, "a different key");
  assert.equal(gate.sight(v6(1), 0, T0 + 1, 0), SIGHTING_AGAIN);
  assert.equal(gate.parkedValue(), v6(2));
  assert.equal(gate.sight(2 ** 52 + 5, 0, T0 + 1, 0), SIGHTING_AGAIN);
  assert.equal(gate.parkedValue(), 2 ** 52 + 6);
  assert.equal(gate.sight(v6(3), 0, T0 + 1, 0), SIGHTING_AGAIN);
  assert.equal(gate.parkedValue(), v6(4));
});

Deno.test("FirstSightings.sight() forgets an observation older than idleUs", () => {
  const gate = new FirstSightings(16, 2 * SECOND);
  assert.equal(gate.sight(7, 0, T0, 0), SIGHTING_FIRST);
  assert.equal(gate.sight(7, 0, T0 + 2 * SECOND, 0), SIGHTING_FIRST, "expired: parked anew");
  assert.equal(gate.sight(7, 0, T0 + 3 * SECOND, 0), SIGHTING_AGAIN);
  assert.equal(gate.parkedUs, T0 + 2 * SECOND);
});

Deno.test("FirstSightings.sight() hands back the oldest live observation of a full bucket", () => {
  // One bucket of 4 slots: the fifth key displaces the oldest, which is handed back.
  const gate = new FirstSightings(4, 10 * SECOND);
  for (let i = 0; i < 4; i++) {
    assert.equal(gate.sight(100 + i, 0, T0 + i, 1000 + i), SIGHTING_FIRST);
  }
  assert.equal(gate.sight(v6(9), 1, T0 + 10, 5), SIGHTING_DISPLACED);
  assert.equal(gate.parkedKey(), 100);
  assert.equal(gate.parkedUs, T0);
  assert.equal(gate.parkedValue(), 1000);
  assert.equal(gate.sight(v6(9), 0, T0 + 11, 6), SIGHTING_DISPLACED, "kind 0 is another key");
  assert.equal(gate.parkedKey(), 101);
  assert.equal(gate.sight(v6(9), 1, T0 + 12, 0), SIGHTING_AGAIN);
  assert.equal(gate.parkedValue(), 5);
  // Expired observations are replaced without being handed back.
  assert.equal(gate.sight(555, 0, T0 + 20 * SECOND, 0), SIGHTING_FIRST);
});

Deno.test("FirstSightings.lose() counts losses, which withLosses() reports as evictions", () => {
  const gate = new FirstSightings(4, SECOND);
  gate.lose();
  gate.lose();
  assert.equal(gate.losses, 2);
  const stats = withLosses({ name: "t", size: 3, cap: 4, evictions: 5, expired: 0 }, gate);
  assert.equal(stats.evictions, 7);
});
