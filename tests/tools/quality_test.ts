/**
 * The evaluation task on captures this test writes: counts per detector and capture, captures
 * outside the user's three rules, a restart of a key, expectations met and wrong names, broken
 * files reported without stopping the run, and the CLI's exit codes.
 */
import assert from "node:assert/strict";
import { CONFIG_KEYS } from "../../core/config/config.ts";
import { DETECTOR_NAMES } from "../../core/detect/catalog.ts";
import { evaluate } from "../../tools/quality.ts";
import { buildReport } from "../../tools/quality/report.ts";
import { ACK, SECOND, T0, tcpFrame, udpFrame } from "../support/detection_run.ts";
import {
  encodePcap,
  type FixturePacket,
  makeTempDir,
  writePcap,
  writePcapng,
} from "../support/pcap_writer.ts";
import { REPO_ROOT as ROOT } from "../support/base.ts";

const KEPT = ["high_packet_rate", "unusual_port"];

/** 150 SYNs from 10.1.0.5 to 10.1.0.9:80 within half a second from `atUs`. */
function burst(atUs: number): FixturePacket[] {
  return Array.from({ length: 150 }, (_, i) => ({
    tsUs: atUs + i * 3000,
    bytes: tcpFrame("10.1.0.5", "10.1.0.9", 20000 + i, 80),
  }));
}

/** Writes the captures, the expectations and a config keeping two detectors; returns paths. */
async function fixtures(dir: string): Promise<{ expect: string; config: string }> {
  await Deno.mkdir(`${dir}/a/deep`, { recursive: true });
  await Deno.mkdir(`${dir}/b`);
  // A rate alert that ends (quiet 60 s) and starts again 200 s later; a TCP and a UDP
  // unusual_port, the UDP one between hosts the expectations do not name.
  await writePcap(`${dir}/a/deep/attack.pcap`, {
    packets: [
      ...burst(T0),
      { tsUs: T0 + 1 * SECOND, bytes: tcpFrame("10.1.0.5", "10.1.0.9", 30000, 31337) },
      { tsUs: T0 + 2 * SECOND, bytes: udpFrame("10.9.9.9", "10.8.8.8", 30001, 999) },
      { tsUs: T0 + 2 * SECOND + 500, bytes: udpFrame("10.8.8.8", "10.9.9.9", 999, 30001) },
      ...burst(T0 + 200 * SECOND),
      { tsUs: T0 + 300 * SECOND, bytes: tcpFrame("10.1.0.5", "10.1.0.9", 20000, 80, ACK) },
    ],
  });
  await writePcapng(`${dir}/b/benign.pcapng`, {
    packets: [{ tsUs: T0, bytes: tcpFrame("10.2.0.1", "10.2.0.2", 40000, 443) }],
  });
  const whole = encodePcap({ packets: burst(T0).slice(0, 3) });
  await Deno.writeFile(`${dir}/b/broken.pcap`, whole.slice(0, whole.length - 5));
  await Deno.writeTextFile(`${dir}/junk.cap`, "not a capture\n");
  await Deno.writeTextFile(`${dir}/notes.txt`, "not listed\n");
  const expect = `${dir}/expect.json`;
  await Deno.writeTextFile(
    expect,
    JSON.stringify({
      "attack.pcap": {
        what: "a rate burst, twice",
        attacker: "10.1.0.5",
        victim: "10.1.0.0/24",
        expect: [
          { detector: "high_packet_rate", src_ip: "10.1.0.5" },
          { detector: "port_scan", src_ip: "10.1.0.5", dest_ip: "10.1.0.9" },
        ],
      },
      "gone.pcap": { attacker: "spoofed", victim: "none (random)", expect: [] },
    }),
  );
  const detectors = DETECTOR_NAMES.filter((n) => !KEPT.includes(n))
    .map((n) => `detect.${n}.enabled`)
    .filter((key) => CONFIG_KEYS.some((k) => k.key === key));
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      "alerts.suppress_s": 100,
      "alerts.quiet_s": 60,
      ...Object.fromEntries(detectors.map((key) => [key, false])),
    }),
  );
  return { expect, config };
}

Deno.test("evaluate() counts alerts, restarts and expectations over a directory", async () => {
  await using tmp = await makeTempDir();
  const { expect, config } = await fixtures(tmp.path);
  const report = await evaluate({ dir: tmp.path, expect, config });
  assert.deepEqual(report.captures.map((c) => [c.file, c.status]), [
    ["a/deep/attack.pcap", "ok"],
    ["b/benign.pcapng", "ok"],
    ["b/broken.pcap", "truncated"],
    ["junk.cap", "open_failed"],
  ]);
  const attack = report.captures[0]!;
  assert.equal(attack.packets, 304);
  assert.deepEqual(attack.byDetector, { high_packet_rate: 2, unusual_port: 2 });
  assert.equal(attack.outside, 1); // the UDP unusual_port
  const t = report.totals;
  assert.deepEqual(t.problems, { truncated: 1, open_failed: 1 });
  assert.equal(t.withAlert, 1);
  assert.equal(t.withOutside, 1);
  assert.equal(t.withOutsidePercent, 25);
  assert.deepEqual(t.startsByDetector, { high_packet_rate: 2, unusual_port: 2 });
  assert.equal(t.restarts, 1);
  assert.deepEqual(t.restartsByDetector, { high_packet_rate: 1 });
  assert.equal(t.suppressS, 100);
  assert.equal(t.restartsWithinSuppress, 0);
  assert.ok(attack.restarts[0]!.gapS >= 100, `gap ${attack.restarts[0]!.gapS}`);
  const x = attack.expect!;
  assert.equal(x.met, 1);
  assert.equal(x.total, 2);
  assert.deepEqual(x.unmet.map((u) => u.detector), ["port_scan"]);
  assert.deepEqual(x.wrongNames.map((a) => [a.srcIp, a.destIp, a.proto]), [
    ["10.9.9.9", "10.8.8.8", "UDP"],
  ]);
  const e = report.expectations!;
  assert.deepEqual([e.incidents, e.met, e.total, e.wrongNames], [1, 1, 2, 1]);
  assert.deepEqual(e.missing, ["gone.pcap"]);
  assert.equal(e.alertsPerIncident.max, 4);
});

Deno.test("buildReport() counts a restart inside alerts.suppress_s", () => {
  const report = buildReport({
    dir: "d",
    files: ["x.pcap"],
    results: [{
      path: "d/x.pcap",
      status: "ok",
      packets: 1,
      starts: [],
      restarts: [{ detector: "port_scan", key: "k", gapS: 10 }],
    }],
    suppressS: 100,
    expect: null,
    seconds: 0,
  });
  assert.equal(report.totals.restartsWithinSuppress, 1);
  assert.equal(report.expectations, null);
});

Deno.test("quality.ts prints the report, exits 0, and exits 2 for a bad directory", async () => {
  await using tmp = await makeTempDir();
  const { expect, config } = await fixtures(tmp.path);
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", `${ROOT}tools/quality.ts`, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const text = await run(tmp.path, "--expect", expect, "--config", config, "--verbose");
  assert.equal(text.code, 0);
  const out = new TextDecoder().decode(text.stdout);
  assert.match(out, /expectations met +1\/2 in 1 incidents/);
  assert.match(out, /unmet: port_scan 10\.1\.0\.5 -> 10\.1\.0\.9/);
  assert.match(out, /unusual_port 10\.9\.9\.9 -> 10\.8\.8\.8:999\/UDP/);
  assert.match(out, /restarts of a key +1 \(high_packet_rate 1\)/);
  const json = await run(tmp.path, "--json", "--limit", "1", "--config", config);
  assert.equal(json.code, 0);
  assert.equal(JSON.parse(new TextDecoder().decode(json.stdout)).totals.captures, 1);
  for (const args of [[`${tmp.path}/none`], [tmp.path, "--expect", `${tmp.path}/notes.txt`]]) {
    const bad = await run(...args);
    assert.equal(bad.code, 2);
    const err = new TextDecoder().decode(bad.stderr).trim();
    assert.equal(err.split("\n").length, 1, err);
    assert.match(err, /^quality: /);
  }
});
