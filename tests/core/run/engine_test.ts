import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { Engine, recordOrigin } from "../../../core/run/engine.ts";
import { batchOf } from "../../support/detection_run.ts";
import { ethernet, icmp, ipv4, ipv6, tcp, udp } from "../../support/frames.ts";
import { loadEveValidator } from "../../support/eve_schema.ts";

const T0 = 1_700_000_000_000_000;

function tcpFrame(src: string, dst: string, dport: number): Uint8Array {
  return ethernet(0x0800, ipv4({ proto: 6, src, dst, payload: tcp({ dport, flags: 0x02 }) }));
}

function engineWith(overrides: unknown = {}) {
  const records: Record<string, unknown>[] = [];
  const engine = new Engine({
    config: applyOverrides(defaultConfig(), overrides),
    writer: null,
    source: { name: "test", live: false, link_type: "EN10MB" },
    listeners: [(r) => records.push(r)],
  });
  return { engine, records };
}

Deno.test("Engine writes a stats record every interval of packet time, then a final one", () => {
  const { engine, records } = engineWith();
  const frame = tcpFrame("10.0.0.1", "10.0.0.2", 80);
  const packets = [0, 10, 59.9, 60, 61, 125, 150].map((s) => ({ tsUs: T0 + s * 1e6, frame }));
  engine.ingest(batchOf(packets));
  assert.equal(records.length, 2);
  const stats = (r: Record<string, unknown>) => r.stats as { decoder: { pkts: number } };
  const summary = (r: Record<string, unknown>) =>
    r.summary as { interval: { packets: number }; final: boolean };
  assert.equal(records[0]!.timestamp, "2023-11-14T22:14:20.000000+0000");
  assert.equal(stats(records[0]!).decoder.pkts, 3);
  assert.equal(summary(records[0]!).interval.packets, 3);
  assert.equal(records[1]!.timestamp, "2023-11-14T22:15:20.000000+0000");
  assert.equal(summary(records[1]!).interval.packets, 2);
  engine.finish();
  assert.equal(records.length, 3);
  assert.equal(summary(records[2]!).final, true);
  assert.equal(summary(records[2]!).interval.packets, 2);
  assert.equal(stats(records[2]!).decoder.pkts, 7);
});

Deno.test("Engine skips empty intervals after a gap instead of writing one per interval", () => {
  const { engine, records } = engineWith({ stats: { interval_s: 10 } });
  const frame = tcpFrame("10.0.0.1", "10.0.0.2", 80);
  engine.ingest(batchOf([{ tsUs: T0, frame }, { tsUs: T0 + 3600e6, frame }]));
  assert.equal(records.length, 1);
});

Deno.test("Engine's stats records count protocols and validate against the EVE schema", () => {
  const { engine, records } = engineWith();
  const frames = [
    tcpFrame("10.0.0.1", "10.0.0.2", 443),
    tcpFrame("10.0.0.1", "10.0.0.3", 443),
    ethernet(
      0x0800,
      ipv4({ proto: 17, src: "10.0.0.3", dst: "10.0.0.1", payload: udp({ dport: 53 }) }),
    ),
    ethernet(0x0800, ipv4({ proto: 1, src: "10.0.0.3", dst: "10.0.0.1", payload: icmp(8, 0) })),
    ethernet(0x86dd, ipv6({ nextHeader: 58, payload: icmp(128, 0) })),
    ethernet(0x0800, ipv4({ proto: 6, version: 5, payload: tcp() })),
  ];
  engine.ingest(batchOf(frames.map((frame, i) => ({ tsUs: T0 + i, frame }))));
  const record = engine.finish();
  const decoder = (record.stats as { decoder: Record<string, number> }).decoder;
  assert.deepEqual(
    [
      decoder.pkts,
      decoder.ipv4,
      decoder.ipv6,
      decoder.tcp,
      decoder.udp,
      decoder.icmpv4,
      decoder.icmpv6,
      decoder.invalid,
    ],
    [6, 5, 1, 2, 1, 1, 1, 1],
  );
  assert.equal(decoder.bytes, frames.reduce((n, f) => n + f.length, 0));
  const summary = record.summary as {
    top_sources_by_packets: { ip: string; packets: number }[];
    top_dest_ports: { proto: string; port: number; packets: number }[];
    unique_src_ips: number;
    decode_events: Record<string, number>;
  };
  assert.deepEqual(summary.top_sources_by_packets[0], { ip: "10.0.0.1", packets: 2, bytes: 108 });
  assert.deepEqual(summary.top_dest_ports[0], { proto: "TCP", port: 443, packets: 2 });
  assert.equal(summary.unique_src_ips, 3);
  assert.deepEqual(summary.decode_events, { "ipv4.wrong_version": 1 });
  assert.equal(records.length, 1);
  assert.equal(loadEveValidator()(record), null);
});

Deno.test("recordOrigin(): host is sensor.name or the hostname; in_iface live, capture_file read", () => {
  const config = (name: string) => applyOverrides(defaultConfig(), { sensor: { name } });
  const file = { name: "/tmp/a.pcap", live: false, link_type: "EN10MB" };
  const live = { name: "eth1", live: true, link_type: "EN10MB" };
  assert.deepEqual(recordOrigin(config(""), file), {
    host: Deno.hostname(),
    capture_file: "/tmp/a.pcap",
  });
  assert.deepEqual(recordOrigin(config("dmz-1"), live), { host: "dmz-1", in_iface: "eth1" });
  assert.throws(() => config("a\nb"), /sensor\.name.*no control characters/);
  assert.throws(() => config("x".repeat(254)), /at most 253 characters/);
});

Deno.test("Engine writes the origin on every record: in_iface first, capture_file and host last", () => {
  const { engine, records } = engineWith({ sensor: { name: "s1" } });
  engine.ingest(batchOf([{ tsUs: T0, frame: tcpFrame("10.0.0.1", "10.0.0.2", 6667) }]));
  engine.finish();
  assert.ok(records.some((r) => r.event_type === "alert"));
  for (const record of records) {
    const keys = Object.keys(record);
    assert.deepEqual(keys.slice(-2), ["capture_file", "host"]);
    assert.equal(record.host, "s1");
    assert.equal(record.capture_file, "test");
  }
});
