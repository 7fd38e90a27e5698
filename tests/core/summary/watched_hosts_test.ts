import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { Engine } from "../../../core/run/engine.ts";
import { addressKey } from "../../../core/summary/watch_alert_hosts.ts";
import { batchOf, type Timed } from "../../support/detection_run.ts";
import { ethernet, icmp, ipv4, ipv6, tcp, udp } from "../../support/frames.ts";

const T0 = 1_700_000_000_000_000;

function engineWith(overrides: Record<string, unknown> = {}): Engine {
  const config = applyOverrides(defaultConfig(), {
    summary: overrides,
  });
  return new Engine({
    config,
    writer: null,
    source: { name: "test", live: false, link_type: "EN10MB" },
  });
}

function v4(src: string, dst: string, proto: 6 | 17 | 1, payload: Uint8Array): Uint8Array {
  return ethernet(0x0800, ipv4({ proto, src, dst, payload }));
}

/** A web client 10.0.0.5 (30 handshakes to 10.0.0.9:443), a DNS query, then 500 spoofed probes. */
function clientTraffic(): Timed[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    frames.push(v4("10.0.0.5", "10.0.0.9", 6, tcp({ sport: 40000 + i, dport: 443 })));
    frames.push(
      v4("10.0.0.9", "10.0.0.5", 6, tcp({ sport: 443, dport: 40000 + i, flags: 0x12 })),
    );
  }
  for (let i = 0; i < 10; i++) {
    frames.push(v4("10.0.0.5", "10.0.0.53", 17, udp({ sport: 5000 + i, dport: 53 })));
  }
  frames.push(v4("10.0.0.5", "10.0.0.1", 1, icmp(8, 0)));
  for (let i = 0; i < 500; i++) {
    const spoofed = `172.16.${i >> 8}.${i & 255}`;
    frames.push(v4(spoofed, "10.0.0.5", 17, udp({ sport: 1024 + i, dport: 9 })));
  }
  frames.push(v4("10.0.0.1", "10.0.0.2", 17, udp({ sport: 123, dport: 123 })));
  return frames.map((frame, i) => ({ tsUs: T0 + i * 100, frame }));
}

Deno.test("A host's protocols come from the summary; a watched host gets top peers and service ports", () => {
  const engine = engineWith();
  const key = addressKey("10.0.0.5")!;
  assert.ok(engine.summary.watched.watch(key, T0, "ui"));
  engine.ingest(batchOf(clientTraffic()));

  assert.deepEqual(engine.summary.hostTraffic(key)?.protocols, {
    tcp: 60,
    udp: 510,
    icmp: 1,
    other: 0,
  });
  const detail = engine.summary.watched.detail(key)!;
  assert.equal(detail.packets, 571);
  assert.deepEqual(detail.watched_by, ["ui"]);
  // 20 counters for 503 peers: the heavy peer (above 571 / 20) keeps its exact count; the rest
  // are spoofed one-packet peers whose counts are inherited, and their error says so.
  assert.deepEqual([detail.peers[0]!.ip, detail.peers[0]!.packets, detail.peers[0]!.error], [
    "10.0.0.9",
    60,
    0,
  ]);
  for (const peer of detail.peers.slice(1)) {
    assert.ok(peer.packets - peer.error <= 1, `${peer.ip} ${peer.packets} - ${peer.error}`);
  }
  assert.equal(detail.peers[0]!.bytes, 60 * 54);
  assert.equal(detail.peers.length, 10);
  assert.deepEqual(detail.ports, [
    { proto: "UDP", port: 9, packets: 500, error: 0 },
    { proto: "TCP", port: 443, packets: 60, error: 0 },
    { proto: "UDP", port: 53, packets: 10, error: 0 },
  ]);
  assert.equal(engine.summary.watched.detail(addressKey("10.0.0.9")!), null, "not watched");
});

Deno.test("Watched hosts are bounded: the one watched longest ago makes room; 0 turns it off", () => {
  const engine = engineWith({ watched_hosts: 2 });
  const [a, b, c] = ["10.0.0.5", "10.0.0.9", "2001:db8::5"].map((ip) => addressKey(ip)!);
  const watched = engine.summary.watched;
  watched.watch(a!, T0, "ui");
  watched.watch(b!, T0, "alert");
  watched.watch(a!, T0 + 1, "ui"); // re-opened: b is now the oldest
  watched.watch(c!, T0 + 2, "ui");
  assert.equal(watched.size, 2);
  assert.equal(watched.detail(b!), null);
  assert.equal(watched.detail(a!)?.since_us, T0, "a refreshed watch keeps its counters");
  const v6 = ethernet(
    0x86dd,
    ipv6({ nextHeader: 17, src: "2001:db8::7", dst: "2001:db8::5", payload: udp({ dport: 53 }) }),
  );
  engine.ingest(batchOf([{ tsUs: T0 + 10, frame: v6 }, { tsUs: T0 + 11, frame: v6 }]));
  assert.deepEqual(watched.detail(c!)?.peers.map((p) => [p.ip, p.packets]), [["2001:db8::7", 2]]);

  const off = engineWith({ watched_hosts: 0 });
  assert.equal(off.summary.watched.watch(a!, T0, "ui"), false);
  assert.equal(off.summary.watched.detail(a!), null);
});
