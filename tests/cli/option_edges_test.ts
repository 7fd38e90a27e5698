/**
 * Options and config values at their edges, end to end through main.ts: refused ones exit 2
 * with one line naming the option or key and what is allowed; accepted edge values run.
 */
import assert from "node:assert/strict";
import { makeTempDir, writePcap } from "../support/pcap_writer.ts";
import { statsRecords } from "../support/records.ts";
import { errorLine, runMain, udpPackets } from "./fixtures.ts";

Deno.test("main.ts refuses options and config values at their edges, exit 2, one line", async () => {
  await using dir = await makeTempDir();
  const config = (name: string, value: unknown) => {
    const path = `${dir.path}/${name}.json`;
    Deno.writeTextFileSync(path, JSON.stringify(value));
    return path;
  };
  const cases: [string[], RegExp][] = [
    [
      ["--duration", "0x10"],
      /Bad --duration "0x10": expected a number of seconds/,
    ],
    [
      ["--listen", "127.0.0.1:70000"],
      /Bad --listen "127\.0\.0\.1:70000".*0 to 65535/,
    ],
    [
      ["--listen", "127.0.0.1"],
      /Bad --listen "127\.0\.0\.1": expected HOST:PORT/,
    ],
    [["--log-dir", ""], /--log-dir needs a value/],
    [
      ["--packets-per-second", "0"],
      /Bad --packets-per-second "0".*from 1 to 100000000/,
    ],
    [["--common-ports", "70000"], /Bad --common-ports "70000".*0 to 65535/],
    [["--common-ports", "80,,443"], /Bad --common-ports "80,,443".*separated by commas/],
    [["--common-ports", "80,"], /Bad --common-ports "80,"/],
    [["--common-ports=-1"], /Bad --common-ports "-1"/],
    [["--packets-per-second", "1e3"], /Bad --packets-per-second "1e3": expected a whole number/],
    [["--packets-per-second", "+5"], /Bad --packets-per-second "\+5"/],
    [["--packets-per-second", "5.0"], /Bad --packets-per-second "5\.0"/],
    [["--unique-connections", "100000001"], /Bad --unique-connections "100000001".*to 100000000/],
    [["--unique-connections", "0x10"], /Bad --unique-connections "0x10"/],
    [
      ["--config", config("a", {}), "--config", config("b", {})],
      /--config is given twice \(".*a\.json" and ".*b\.json"\): give it once/,
    ],
    [
      ["--packets-per-second", "5", "--packets-per-second=7"],
      /--packets-per-second is given twice \("5" and "7"\)/,
    ],
    [
      ["--token", "s3cret-one", "--token", "s3cret-two"],
      /^anomaly: --token is given twice: give it once$/,
    ],
    [
      ["--config", config("buffer", { capture: { buffer_mib: 4096 } })],
      /Bad value 4096 for "capture\.buffer_mib": expected a whole number from 1 to 2047/,
    ],
    [
      ["--config", config("string", { "summary.top_n": "10" })],
      /Bad value "10" for "summary\.top_n": expected a whole number from 1 to 1000/,
    ],
    [
      ["--config", config("cidr", { home_networks: ["010.0.0.0/8"] })],
      /Bad value \["010\.0\.0\.0\/8"\] for "home_networks": expected a list of addresses/,
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runMain(args)));
  cases.forEach(([args, message], i) => {
    const r = results[i]!;
    const line = errorLine(r.stderr);
    assert.equal(r.code, 2, `${args.join(" ")}: ${line}`);
    assert.match(line, message);
    assert.equal(r.stdout, "");
  });
});

Deno.test('--filter "" reads every packet (it means no filter); edge config values run', async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/five.pcap`;
  await writePcap(path, { packets: udpPackets(5) });
  const edges = `${dir.path}/edges.json`;
  await Deno.writeTextFile(
    edges,
    JSON.stringify({
      home_networks: [],
      "detect.unusual_port.tcp_ports": [],
      "summary.exact_distinct_cap": 0,
      "log.max_files": 0,
      "detect.capture_drops.percent": 0.5,
      "alerts.suppress_s": 604800,
    }),
  );
  const runs = await Promise.all([
    runMain(["-r", path, "-f", "", "--log-dir", `${dir.path}/a`]),
    runMain([
      "-r",
      path,
      "-f",
      "",
      "--config",
      edges,
      "--log-dir",
      `${dir.path}/b`,
    ]),
  ]);
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, r.stderr);
    const { final } = statsRecords(
      `${dir.path}/${"ab"[i]}/network_activity.jsonl`,
    );
    assert.equal(final.stats.decoder.pkts, 5);
  }
});

Deno.test("--print-config read back with --config gives the same config", async () => {
  await using dir = await makeTempDir();
  const first = `${dir.path}/first.json`;
  await Deno.writeTextFile(
    first,
    JSON.stringify({
      home_networks: ["10.1.2.3/8"],
      detect: {
        network_thresholds: [{
          networks: ["192.0.2.0/24"],
          detect: { port_scan: { threshold: 7 } },
        }],
      },
      "detect.unusual_port.tcp_ports": [443, 22, 22],
    }),
  );
  const printed = await runMain(["--config", first, "--print-config", "--packets-per-second", "9"]);
  assert.equal(printed.code, 0, printed.stderr);
  const second = `${dir.path}/second.json`;
  await Deno.writeTextFile(second, printed.stdout);
  const again = await runMain(["--config", second, "--print-config"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, printed.stdout);
  const values = JSON.parse(again.stdout);
  assert.equal(values.detect.high_packet_rate.packets_per_second, 9);
  assert.deepEqual(values.detect.unusual_port.tcp_ports, [22, 443]);
});
