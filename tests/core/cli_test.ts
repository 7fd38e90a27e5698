import assert from "node:assert/strict";
import { parseCli, UsageError } from "../../core/cli.ts";

Deno.test("parseCli() reads the documented options", () => {
  const o = parseCli(["-r", "x.pcap", "-f", "tcp", "--log-dir", "/tmp/l", "--no-ui"]);
  assert.equal(o.read, "x.pcap");
  assert.equal(o.filter, "tcp");
  assert.equal(o.logDir, "/tmp/l");
  assert.equal(o.noUi, true);
  const live = parseCli(["--interface", "any", "--duration", "2.5"]);
  assert.equal(live.interface, "any");
  assert.equal(live.durationS, 2.5);
  assert.equal(parseCli([]).logDir, "log");
});

Deno.test("parseCli() refuses bad command lines with one line naming the fix", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /Unknown option --bogus/],
    [["-r"], /--read needs a value/],
    [["--duration", "0"], /Bad --duration "0"/],
    [["--duration", "abc"], /Bad --duration "abc"/],
    [["-r", "a.pcap", "-i", "eth0"], /cannot be used together/],
    [["-r", "a.pcap", "--duration", "5"], /live captures only/],
    [["extra"], /Unexpected argument "extra"/],
    [["--no-ui=yes"], /takes no value/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCli(args),
      (e: unknown) =>
        e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"),
      args.join(" "),
    );
  }
});

Deno.test("parseCli() turns the detection flags into config overrides", () => {
  const o = parseCli([
    "--packets-per-second",
    "250",
    "--unique-connections",
    "80",
    "--common-ports",
    "80, 443,8080",
  ]);
  assert.deepEqual(o.overrides, {
    "detect.high_packet_rate.packets_per_second": 250,
    "detect.unique_connections.threshold": 80,
    "detect.unusual_port.tcp_ports": [80, 443, 8080],
  });
  assert.deepEqual(parseCli([]).overrides, {});
});

Deno.test("parseCli() refuses bad detection flag values, naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--packets-per-second", "0"], /Bad --packets-per-second "0"/],
    [["--packets-per-second", "1.5"], /Bad --packets-per-second "1\.5"/],
    [["--unique-connections", "many"], /Bad --unique-connections "many"/],
    [["--common-ports", "80,x"], /Bad --common-ports "80,x"/],
    [["--common-ports", "70000"], /Bad --common-ports "70000"/],
    [["--common-ports", ","], /Bad --common-ports ","/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCli(args),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      args.join(" "),
    );
  }
});
