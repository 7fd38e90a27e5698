/**
 * The seeded 10 000-frame version of `deno task fuzz` (tools/fuzz_lib.ts): no exception escapes
 * the decoder, one sane record per frame, nothing read outside the frame; then the same hostile
 * records go through the whole Engine (summary and every detector, with default and with
 * hair-trigger settings, with sane and with broken packet times) and nothing downstream throws.
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { PacketDecoder } from "../../../core/decode/decoder.ts";
import { DECODE_EVENTS } from "../../../core/decode/events.ts";
import { Engine } from "../../../core/run/engine.ts";
import { fuzz } from "../../../tools/fuzz_lib.ts";
import { checkRecord } from "../../../tools/fuzz/check_record.ts";
import { findFields } from "../../../tools/fuzz/fields.ts";
import { FUZZ_LINK_TYPES } from "../../../tools/fuzz/link_types.ts";
import { makeSeeds } from "../../../tools/fuzz/seeds.ts";
import { decodeFrame, extHeader, icmp, ipv6, RAW, tcp } from "../../support/frames.ts";

const FRAMES = 10_000;

Deno.test("fuzz seeds: every link type and protocol, each valid and with its length fields", () => {
  const seeds = makeSeeds();
  const links = new Set(seeds.map((s) => s.linkType));
  for (const t of FUZZ_LINK_TYPES) {
    if (PacketDecoder.supports(t)) {
      assert.ok(links.has(t), `a seed of link type ${t}`);
    }
  }
  const flags = new Set<string>();
  for (const s of seeds) {
    const r = decodeFrame(s.linkType, s.bytes);
    assert.ok(
      !r.flags.includes("INVALID") && !r.flags.includes("TRUNCATED"),
      `${s.name}: valid`,
    );
    assert.ok(s.fields.length >= 2, `${s.name}: length fields found`);
    assert.deepEqual(findFields(s.linkType, s.bytes), s.fields);
    r.flags.forEach((f) => flags.add(f));
  }
  for (
    const f of [
      "VLAN",
      "IPV4",
      "IPV6",
      "ARP",
      "TCP",
      "UDP",
      "ICMP4",
      "ICMP6",
      "FRAGMENT",
    ]
  ) {
    assert.ok(flags.has(f), `some seed decodes with ${f}`);
  }
  for (const f of ["LATER_FRAGMENT", "ICMP_ERROR", "UNSUPPORTED"]) {
    assert.ok(flags.has(f), `some seed decodes with ${f}`);
  }
});

Deno.test(`fuzz: ${FRAMES} seeded hostile frames, no escape, one sane record each`, () => {
  let records = 0;
  const result = fuzz({
    frames: FRAMES,
    seed: 20261124,
    onBatch: (batch) => {
      for (let i = 0; i < batch.count; i++) records++;
    },
  });
  assert.deepEqual(result.problems, []);
  assert.equal(result.escapes, 0);
  assert.equal(result.violations, 0);
  assert.equal(result.frames, FRAMES);
  assert.equal(records, FRAMES, "every frame gave one record");
  const outcomes = Object.values(result.outcomes).reduce((a, b) => a + b, 0);
  assert.equal(outcomes, FRAMES);
  // The mutations reach deep: most events of the catalogue show up in 10 000 frames.
  const seen = Object.keys(result.events).length;
  assert.ok(seen >= DECODE_EVENTS.length * 0.8, `${seen} distinct events`);
  for (
    const name of [
      "vlan.too_many_layers",
      "ipv6.exthdr_too_many",
      "ipv4.truncated",
    ]
  ) {
    assert.ok(result.events[name]! > 0, name);
  }
  for (
    const source of [
      "random bytes",
      "ipv6 extension chains",
      "vlan stacks",
      "mutated seeds",
    ]
  ) {
    assert.ok(result.sources[source]! > 0, source);
  }
});

Deno.test("regressions the fuzzer found stay fixed", () => {
  // A wire length of 0xffffffff (pcap's len is a uint32) wrapped to -1 in the record, and a
  // jumbogram (payload length 0) running to that wire end gave a negative TCP payload length.
  const jumbo = ipv6({ nextHeader: 0, payloadLength: 0, payload: [...extHeader(6), ...tcp()] });
  const r = decodeFrame(RAW, jumbo, { wireLen: 0xffffffff });
  assert.equal(r.wireLen, 0x7fffffff);
  assert.ok(r.payloadLen >= 0 && r.payloadLen <= 0x7fffffff, `payload ${r.payloadLen}`);
  // An ICMPv6 error whose quoted chain is cut left the quoted address set without F_ICMP_ERROR.
  const quoted = ipv6({ nextHeader: 0, payload: extHeader(17, 3) }).slice(0, 48);
  const e = decodeFrame(RAW, ipv6({ nextHeader: 58, payload: icmp(1, 4, quoted) }));
  assert.equal(e.event, "icmpv6.quoted_truncated");
  assert.ok(!e.flags.includes("ICMP_ERROR"));
  assert.deepEqual(e.words.slice(28, 32), [0, 0, 0, 0]);
});

Deno.test("fuzz: the same seed gives the same run", () => {
  const a = fuzz({ frames: 2000, seed: 99 });
  const b = fuzz({ frames: 2000, seed: 99 });
  assert.deepEqual([a.events, a.notes, a.outcomes], [
    b.events,
    b.notes,
    b.outcomes,
  ]);
});

Deno.test("checkRecord() catches insane words", () => {
  const good = fuzz({ frames: 1, seed: 1 });
  assert.equal(good.violations, 0);
  const f = new Int32Array(32).fill(-1);
  f[0] = 60;
  f[1] = 60;
  f[2] = 0;
  f[6] = 0;
  f[17] = 0;
  f[26] = 0;
  f.fill(0, 9, 17);
  f.fill(0, 28, 32);
  assert.equal(checkRecord(f, 0, 60, 60), null);
  const broken: [number, number, RegExp][] = [
    [2, 1 << 20, /unknown flag bits/],
    [4, 70000, /port word/],
    [17, DECODE_EVENTS.length + 1, /outside the catalogue/],
    [17, 1, /with outcome flags/],
    [18, 5000, /VLAN id/],
  ];
  for (const [word, value, message] of broken) {
    const g = f.slice();
    g[word] = value;
    assert.match(checkRecord(g, 0, 60, 60) ?? "", message);
  }
});

/** Settings that make every detector fire and every table evict. */
const HAIR_TRIGGER = {
  "detect.high_packet_rate.packets_per_second": 1,
  "detect.high_packet_rate.max_tracked": 16,
  "detect.unique_connections.threshold": 1,
  "detect.unique_connections.max_tracked": 16,
  "detect.unusual_port.hold_s": 0,
  "detect.unusual_port.max_tracked": 16,
  "detect.port_scan.threshold": 1,
  "detect.port_scan.max_tracked": 16,
  "detect.host_sweep.threshold": 1,
  "detect.host_sweep.max_tracked": 16,
  "detect.flood.syn_per_second": 1,
  "detect.flood.udp_per_second": 1,
  "detect.flood.icmp_per_second": 1,
  "detect.flood.max_tracked": 16,
  "detect.reflection.packets_per_second": 1,
  "detect.reflection.max_tracked": 16,
  "detect.connections.max_tracked": 16,
  "detect.connections.attempt_timeout_s": 1,
  "summary.max_hosts": 16,
  "summary.exact_distinct_cap": 0,
  "summary.top_n": 1,
  "alerts.max_open": 4,
  "alerts.quiet_s": 1,
  "alerts.update_interval_s": 1,
  "stats.interval_s": 1,
};

for (
  const [name, overrides] of [["default", {}], [
    "hair-trigger",
    HAIR_TRIGGER,
  ]] as const
) {
  for (const hostileTimes of [false, true]) {
    const times = hostileTimes ? "broken" : "increasing";
    Deno.test(`fuzz: ${FRAMES} hostile records through the Engine (${name} config, ${times} times)`, () => {
      const records: string[] = [];
      const engine = new Engine({
        config: applyOverrides(defaultConfig(), overrides),
        writer: null,
        source: { name: "fuzz", live: false, link_type: "mixed" },
        listeners: [(record) => records.push(JSON.stringify(record))],
      });
      const result = fuzz({
        frames: FRAMES,
        seed: 424242,
        hostileTimes,
        onBatch: (batch) => engine.ingest(batch), // an exception fails the test
      });
      assert.equal(
        result.escapes + result.violations,
        0,
        result.problems.join("\n"),
      );
      const final = engine.finish() as {
        stats: { decoder: { pkts: number; invalid: number } };
      };
      assert.equal(final.stats.decoder.pkts, FRAMES);
      assert.equal(final.stats.decoder.invalid, result.outcomes.invalid);
      for (const line of records) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        assert.ok(
          typeof parsed.event_type === "string" &&
            typeof parsed.timestamp === "string",
        );
      }
      if (name === "hair-trigger") {
        assert.ok(
          records.some((r) => r.includes('"event_type":"alert"')),
          "alerts were raised",
        );
      }
    });
  }
}
