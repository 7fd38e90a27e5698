import assert from "node:assert/strict";
import { applyOverrides, ConfigError, defaultConfig } from "../../../core/config/config.ts";
import { networkThreshold } from "../../../core/detect/network_thresholds.ts";
import { hostKey } from "../../../core/packet/host_key.ts";
import { parseAddress } from "../../../core/packet/ip_address.ts";
import { DetectionRun, only, spread, T0, tcpFrame, udpFrame } from "../../support/detection_run.ts";

const BUSY = { networks: ["10.0.5.0/24", "2001:db8:5::/48"] };

function config(overrides: unknown[]) {
  return applyOverrides(defaultConfig(), { detect: { network_thresholds: overrides } });
}

function key(text: string) {
  const address = parseAddress(text)!;
  return hostKey(Int32Array.from(address.words), 0, address.version === 6);
}

Deno.test("networkThreshold() gives a host in a listed network its own value, first match first", () => {
  const c = config([
    { ...BUSY, "detect.port_scan.threshold": 200 },
    { networks: ["10.0.0.0/8"], detect: { port_scan: { threshold: 50 } } },
  ]);
  const t = networkThreshold(c, "detect.port_scan.threshold");
  assert.equal(t.of(key("10.0.5.7")), 200);
  assert.equal(t.of(key("2001:db8:5::9")), 200);
  assert.equal(t.of(key("10.9.0.1")), 50, "nested spelling of the key");
  assert.equal(t.of(key("192.0.2.1")), 15, "elsewhere the default");
  assert.equal(networkThreshold(c, "detect.host_sweep.threshold").varies, false);
});

Deno.test("detect.network_thresholds refuses what it cannot apply, naming the entry", () => {
  const refused: [unknown, RegExp][] = [
    [{ networks: [], "detect.port_scan.threshold": 5 }, /"networks" must list/],
    [{ networks: ["10.0.0.0/33"], "detect.port_scan.threshold": 5 }, /networks/],
    [{ networks: ["10.0.0.0/8"] }, /sets no threshold/],
    [{ networks: ["10.0.0.0/8"], "detect.port_scan.window_s": 5 }, /only these thresholds/],
    [{ networks: ["10.0.0.0/8"], "detect.nope.threshold": 5 }, /Bad key "detect.nope.threshold"/],
    [{ networks: ["10.0.0.0/8"], "detect.port_scan.threshold": 0 }, /whole number from 1/],
    ["10.0.0.0/8", /entry 1/],
  ];
  for (const [entry, message] of refused) {
    assert.throws(() => config([entry]), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("high_packet_rate uses the source's network threshold", () => {
  const run = new DetectionRun({
    ...only("high_packet_rate"),
    "detect.network_thresholds": [{
      ...BUSY,
      "detect.high_packet_rate.packets_per_second": 1000,
    }],
  });
  const burst = (source: string) =>
    spread(500, T0, 500_000, (i) => udpFrame(source, "10.0.0.9", 40000 + (i % 8), 53));
  run.feed([...burst("10.0.5.7"), ...burst("10.0.6.7")].sort((a, b) => a.tsUs - b.tsUs));
  assert.deepEqual(run.finish().starts("high_packet_rate").map((a) => a.src_ip), ["10.0.6.7"]);
});

Deno.test("flood uses the destination's network threshold", () => {
  const config = {
    detect: {
      network_thresholds: [{ networks: ["10.0.5.80"], "detect.flood.syn_per_second": 5000 }],
    },
  };
  const syns = (victim: string) =>
    spread(2000, T0, 800_000, (i) => tcpFrame(`10.1.${i >> 8}.${i & 255}`, victim, 40000, 80));
  const busy = new DetectionRun(config).feed(syns("10.0.5.80")).finish();
  assert.deepEqual(busy.starts("flood"), []);
  const other = new DetectionRun(config).feed(syns("10.0.5.81")).finish();
  assert.equal(other.starts("flood")[0]?.dest_ip, "10.0.5.81");
});

Deno.test("detect.network_thresholds prints as it is read back (--print-config, then --config)", () => {
  const c = config([{ networks: ["10.0.0.0/8"], detect: { flood: { syn_per_second: 9 } } }]);
  const printed = c.get("detect.network_thresholds");
  assert.deepEqual(printed, [{ networks: ["10.0.0.0/8"], "detect.flood.syn_per_second": 9 }]);
  assert.deepEqual(config(printed as unknown[]).get("detect.network_thresholds"), printed);
});

Deno.test("port_scan uses the scanning source's network threshold", () => {
  const run = new DetectionRun({
    ...only("port_scan"),
    "detect.network_thresholds": [{ networks: ["10.0.5.0/24"], "detect.port_scan.threshold": 40 }],
  });
  const probes = (source: string) =>
    spread(30, T0, 300_000, (i) => tcpFrame(source, "10.0.0.9", 40000, 1000 + i));
  run.feed([...probes("10.0.5.7"), ...probes("10.0.6.7")].sort((a, b) => a.tsUs - b.tsUs));
  assert.deepEqual(run.finish().starts("port_scan").map((a) => a.src_ip), ["10.0.6.7"]);
});
