import assert from "node:assert/strict";
import {
  DECODE_EVENTS,
  EVENT_COUNT,
  eventId,
  eventInfo,
  eventName,
} from "../../../core/decode/events.ts";

Deno.test("DECODE_EVENTS has unique dotted names with a doc each", () => {
  const names = DECODE_EVENTS.map((e) => e.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(EVENT_COUNT, names.length);
  for (const e of DECODE_EVENTS) {
    assert.match(e.name, /^[a-z0-9]+\.[a-z0-9_]+$/);
    assert.ok(e.doc.length > 10, e.name);
  }
});

Deno.test("eventId() and eventName() map names to index + 1 and back", () => {
  DECODE_EVENTS.forEach((e, i) => {
    assert.equal(eventId(e.name), i + 1);
    assert.equal(eventName(i + 1), e.name);
    assert.equal(eventInfo(i + 1), e);
  });
  assert.equal(eventName(0), "");
  assert.equal(eventName(EVENT_COUNT + 1), "");
  assert.equal(eventInfo(0), undefined);
  assert.throws(() => eventId("ipv4.nope"), /Unknown decode event "ipv4.nope"/);
});

Deno.test("DECODE_EVENTS kinds: *.truncated are truncations, invalid follows the kind", () => {
  for (const e of DECODE_EVENTS) {
    assert.equal(e.kind === "truncation", e.name.endsWith("truncated"), e.name);
    assert.equal(e.invalid, e.kind === "invalid" || e.kind === "truncation", e.name);
  }
  const unsupported = DECODE_EVENTS.filter((e) => e.kind === "unsupported").map((e) => e.name);
  for (const name of ["link.unsupported", "ethernet.unknown_ethertype", "ipv4.unknown_protocol"]) {
    assert.ok(unsupported.includes(name), name);
  }
  assert.equal(DECODE_EVENTS[eventId("ipv4.options_present") - 1]!.kind, "note");
});
