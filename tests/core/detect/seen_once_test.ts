/**
 * The gated detectors (first_sightings.ts): a key seen once makes no table entry, a key seen
 * twice makes one with its first observation replayed at its time, and first observations the
 * gate had to drop are counted as evictions.
 */
import assert from "node:assert/strict";
import type { DetectorName } from "../../../core/detect/catalog.ts";
import {
  addr4,
  DetectionRun,
  echoFrame,
  ipFrame,
  only,
  spread,
  T0,
  tcpFrame,
  udpFrame,
} from "../../support/detection_run.ts";
import { icmp } from "../../support/frames.ts";

const KEYS = 30;
const VICTIM = "10.9.0.1";

/** The i-th source: IPv4 and IPv6 alternately. */
function source(i: number): string {
  return i % 2 ? `2001:db8::${i.toString(16)}` : addr4(1, i);
}

/** The i-th host on the source's side (same family as `source(i)`). */
function host(i: number, n: number): string {
  return i % 2 ? `2001:db8:1::${(i * 4 + n).toString(16)}` : addr4(2, i * 4 + n);
}

interface Case {
  detector: DetectorName;
  table: string;
  /** The `n`-th (0 or 1) observation of key `i`. */
  frame: (i: number, n: number) => Uint8Array;
}

const CASES: Case[] = [
  {
    detector: "high_packet_rate",
    table: "high_packet_rate.sources",
    frame: (i, n) => udpFrame(source(i), i % 2 ? "2001:db8::9" : VICTIM, 5000 + n, 53),
  },
  {
    detector: "flood",
    table: "flood.destinations",
    frame: (i, n) => tcpFrame(i % 2 ? "2001:db8::9" : VICTIM, host(i, 0), 40000 + n, 80),
  },
  {
    detector: "unique_connections",
    table: "unique_connections.sources",
    frame: (i, n) => tcpFrame(source(i), host(i, 0), 40000, 1000 + n),
  },
  {
    detector: "port_scan",
    table: "port_scan.pairs",
    frame: (i, n) => tcpFrame(source(i), host(i, 0), 40000, 1000 + n),
  },
  {
    detector: "port_scan",
    table: "port_scan.protocols",
    frame: (i, n) => ipFrame(source(i), host(i, 0), [47, 50][n]!, new Uint8Array(8)),
  },
  {
    detector: "host_sweep",
    table: "host_sweep.ports",
    frame: (i, n) => tcpFrame(source(i), host(i, n), 40000, 445),
  },
  {
    detector: "host_sweep",
    table: "host_sweep.icmp",
    frame: (i, n) => echoFrame(source(i), host(i, n)),
  },
];

/** Each of KEYS keys seen `times` times within 0.5 s, then packet time run past the timeouts. */
function sightings(c: Case, times: number): DetectionRun {
  const run = new DetectionRun(only(c.detector));
  run.feed(spread(KEYS * times, T0, 500_000, (k) => c.frame(k % KEYS, Math.floor(k / KEYS))));
  // Unanswered attempts fail after 5 s (port_scan and host_sweep count failures); the 1-second
  // detectors' entries would expire by then.
  run.tick(c.detector === "high_packet_rate" || c.detector === "flood" ? 1 : 6);
  return run;
}

function table(run: DetectionRun, name: string) {
  return run.engine.detection.trackers().find((t) => t.name === name)!;
}

for (const c of CASES) {
  Deno.test(`${c.table}: a key seen once makes no entry, a key seen twice makes one`, () => {
    const once = table(sightings(c, 1), c.table);
    assert.equal(once.size, 0);
    assert.equal(once.evictions, 0);
    const twice = table(sightings(c, 2), c.table);
    assert.equal(twice.size, KEYS);
    assert.equal(twice.evictions, 0);
  });
}

Deno.test("high_packet_rate: a source's parked first packet counts at its own time", () => {
  const at = (firstS: number, restS: number) => {
    const run = new DetectionRun(only("high_packet_rate"));
    run.send(firstS, udpFrame("10.0.0.5", VICTIM, 5000, 53));
    run.feed(spread(100, T0 + restS * 1e6, 10_000, () => udpFrame("10.0.0.5", VICTIM, 5000, 53)));
    return run.finish().starts("high_packet_rate");
  };
  // 1 + 100 packets: the first one is in the window 0.85 s later, no longer 1.05 s later.
  assert.equal(at(0, 0.85)[0]?.detection.observed, 101);
  assert.equal(at(0, 0.85)[0]?.timestamp, "2023-11-14T22:13:20.859900+0000");
  assert.deepEqual(at(0, 1.05), []);
});

Deno.test("state_saturation: first packets dropped for want of room are evictions", () => {
  const r = new DetectionRun({ detect: { high_packet_rate: { max_tracked: 16 } } });
  // 200 sources sending one SYN each within 0.1 s: the gate (a quarter of the cap, 4 slots)
  // turns over many times in a second, so what it hands back is dropped, not kept in the table.
  r.feed(spread(200, T0, 500_000, (i) => tcpFrame(addr4(1, i), VICTIM, 1000, 443)));
  r.tick(1.1);
  const stats = table(r, "high_packet_rate.sources");
  assert.ok(stats.size < 16, `${stats.size}: a churning gate fills no table with one-shot keys`);
  assert.ok(stats.evictions >= 200 - stats.size - 4, `${stats.evictions} lost`);
  const [a] = r.starts("state_saturation");
  assert.match(a!.detection.message, /high_packet_rate\.sources/);
});

Deno.test("high_packet_rate: first packets handed back by a gate that is not churning are kept", () => {
  const r = new DetectionRun({ detect: { high_packet_rate: { max_tracked: 16 } } });
  // 60 sources, one SYN each, 3 per second: the gate (4 slots, 2 s idle expiry) hands back about
  // one a second, fewer than its slots: not churning, so each goes into the table (and expires).
  r.feed(spread(60, T0, 20_000_000, (i) => tcpFrame(addr4(1, i), VICTIM, 1000, 443)));
  const stats = table(r, "high_packet_rate.sources");
  assert.equal(stats.evictions, 0, "nothing lost");
  assert.ok(stats.size + stats.expired >= 40, `${stats.size} kept, ${stats.expired} expired`);
});

Deno.test("high_packet_rate: a fast source hidden in a spoofed flood is still counted", () => {
  const run = new DetectionRun(only("high_packet_rate"));
  // 20,000 one-shot sources per second, and one real source at 200 packets/s among them.
  const flood = spread(20_000, T0, 1_000_000, (i) => udpFrame(addr4(2, i), VICTIM, 4000, 53));
  const real = spread(200, T0 + 7, 1_000_000, () => udpFrame("10.0.0.5", VICTIM, 5000, 53));
  run.feed([...flood, ...real].sort((a, b) => a.tsUs - b.tsUs));
  const starts = run.finish().starts("high_packet_rate");
  assert.ok(
    starts.some((a) => a.src_ip === "10.0.0.5"),
    JSON.stringify(starts.map((a) => a.src_ip)),
  );
});

Deno.test("host_sweep: a parked echo request joins the source's timestamp requests", () => {
  const run = new DetectionRun(only("host_sweep"));
  run.send(0, echoFrame("10.0.0.5", "10.0.2.100"));
  for (let i = 1; i <= 25; i++) {
    run.send(i * 0.1, ipFrame("10.0.0.5", `10.0.2.${i}`, 1, icmp(13, 0)));
  }
  assert.equal(
    run.finish().starts("host_sweep")[0]?.detection.message,
    "10.0.0.5 swept 26 hosts with ICMP echo and timestamp requests in 2.5 s",
  );
});
