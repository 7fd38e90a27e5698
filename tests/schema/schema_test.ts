import assert from "node:assert/strict";
import { DETECTOR_NAMES, detectorInfo } from "../../core/detect/catalog.ts";
import { DetectionRun, T0, tcpFrame } from "../support/detection_run.ts";
import { loadEveValidator, SCHEMA_URL } from "../support/eve_schema.ts";

const validate = loadEveValidator();

interface Schema {
  definitions: {
    detector: { enum: string[] };
    alert_record: {
      allOf: {
        if: { properties: { detection: { properties: { detector: { const: string } } } } };
        then: { properties: { alert: { properties: { signature_id: { const: number } } } } };
      }[];
    };
  };
}

/** A live run with kernel counters: a capture_drops alert (start, end) and stats with `capture`. */
function liveRecords(): Record<string, unknown>[] {
  const run = new DetectionRun({}, true);
  run.feed([{ tsUs: T0, frame: tcpFrame("10.0.0.1", "10.0.0.2", 40_000, 443) }]);
  run.engine.updateKernelCounters({ received: 0, dropped: 0, ifDropped: 0 });
  run.tick(60);
  run.engine.updateKernelCounters({ received: 1000, dropped: 60, ifDropped: 2 });
  run.finish();
  return run.records;
}

/** The first record matching `pick`, deep-copied for a test to spoil. */
function copyOf(
  records: Record<string, unknown>[],
  pick: (r: Record<string, unknown>) => boolean,
  // deno-lint-ignore no-explicit-any
): any {
  const record = records.find(pick);
  assert.ok(record !== undefined);
  return structuredClone(record);
}

Deno.test("the schema names every detector, each with its catalogue signature id", () => {
  const schema = JSON.parse(Deno.readTextFileSync(SCHEMA_URL)) as Schema;
  assert.deepEqual(schema.definitions.detector.enum, [...DETECTOR_NAMES]);
  const ids = schema.definitions.alert_record.allOf.map((rule) => [
    rule.if.properties.detection.properties.detector.const,
    rule.then.properties.alert.properties.signature_id.const,
  ]);
  assert.deepEqual(ids, DETECTOR_NAMES.map((name) => [name, detectorInfo(name).signatureId]));
});

Deno.test("a live run's alert and stats records (kernel counters included) are valid", () => {
  const records = liveRecords();
  const states = records.flatMap((r) =>
    r.event_type === "alert" ? [(r.detection as { state: string }).state] : []
  );
  assert.deepEqual(states, ["start", "end"]);
  const stats = records.filter((r) => r.event_type === "stats");
  assert.ok(stats.length >= 2);
  assert.ok(stats.every((r) => (r.stats as { capture?: unknown }).capture !== undefined));
  for (const record of records) assert.equal(validate(record), null, JSON.stringify(record));
});

Deno.test("the schema refuses records that differ from what we write", () => {
  const records = liveRecords();
  const isState = (state: string) => (r: Record<string, unknown>) =>
    r.event_type === "alert" && (r.detection as { state: string }).state === state;
  const start = () => copyOf(records, isState("start"));
  const end = () => copyOf(records, isState("end"));
  const stats = () => copyOf(records, (r) => r.event_type === "stats");
  const spoiled: [string, Record<string, unknown>, string][] = [];
  const add = <T>(name: string, record: T, spoil: (r: T) => void, expect: string) => {
    spoil(record);
    spoiled.push([name, record as Record<string, unknown>, expect]);
  };
  add("a typo'd detection field", start(), (r) => {
    r.detection.obsreved = 1;
  }, "must NOT have additional properties");
  add("duration_s on a start", start(), (r) => {
    r.detection.duration_s = 1;
  }, "must NOT be valid");
  add("no duration_s on an end", end(), (r) => {
    delete r.detection.duration_s;
  }, "must have required property 'duration_s'");
  add("another detector's signature id", start(), (r) => {
    r.alert.signature_id = 1_000_004;
  }, "must be equal to constant");
  add("an unknown detector", start(), (r) => {
    r.detection.detector = "portscan";
  }, "must be equal to one of the allowed values");
  add("a timestamp without microseconds", start(), (r) => {
    r.timestamp = "2023-11-14T22:13:20Z";
  }, "must match pattern");
  add("a proto name EVE does not use", start(), (r) => {
    r.proto = "tcp";
  }, "must match pattern");
  add("a typo'd summary field", stats(), (r) => {
    r.summary.pakets = 1;
  }, "must NOT have additional properties");
  add("a missing decoder counter", stats(), (r) => {
    delete r.stats.decoder.pkts;
  }, "must have required property 'pkts'");
  add("a counter as text", stats(), (r) => {
    r.summary.packets = "1";
  }, "must be integer");
  add("an event type we never write", stats(), (r) => {
    r.event_type = "flow";
  }, "must be equal to one of the allowed values");
  for (const [name, record, expect] of spoiled) {
    const problem = validate(record);
    assert.ok(problem?.includes(expect), `${name}: expected "${expect}", got ${problem}`);
  }
});
