import assert from "node:assert/strict";
import { isLoopbackHost, parseCli, UsageError } from "../../core/cli.ts";

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

Deno.test("parseCli() reads the web UI options: --listen, --start, --token", () => {
  const defaults = parseCli([]);
  assert.deepEqual(defaults.listen, { hostname: "127.0.0.1", port: 8080 });
  assert.equal(defaults.listenGiven, false);
  assert.equal(defaults.start, false);
  assert.equal(defaults.noUi, false);
  assert.equal(defaults.token, undefined);
  const o = parseCli(["--listen", "0.0.0.0:9000", "--start", "--token", "abc"]);
  assert.deepEqual(o.listen, { hostname: "0.0.0.0", port: 9000 });
  assert.equal(o.listenGiven, true);
  assert.equal(o.start, true);
  assert.equal(o.token, "abc");
  assert.deepEqual(parseCli(["--listen", "[::1]:0"]).listen, { hostname: "::1", port: 0 });
  assert.deepEqual(parseCli(["--listen", ":8081"]).listen, { hostname: "127.0.0.1", port: 8081 });
  assert.deepEqual(parseCli(["--listen", "localhost:1"]).listen, {
    hostname: "localhost",
    port: 1,
  });
});

Deno.test("parseCli() refuses bad --listen values and UI options with --no-ui", () => {
  const cases: [string[], RegExp][] = [
    [["--listen", "8080"], /Bad --listen "8080": expected HOST:PORT/],
    [["--listen", "127.0.0.1:65536"], /Bad --listen/],
    [["--listen", "127.0.0.1:http"], /Bad --listen/],
    [["--listen", "::1:80"], /Bad --listen/],
    [["--token", " "], /--token needs a value/],
    [["--no-ui", "--listen", "127.0.0.1:1"], /--listen applies to the web UI/],
    [["--no-ui", "--start"], /--start applies to the web UI/],
    [["--no-ui", "--token", "x"], /--token applies to the web UI/],
    [["--start=yes"], /takes no value/],
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

Deno.test("isLoopbackHost() accepts 127/8, ::1 and localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) {
    assert.ok(isLoopbackHost(host), host);
  }
  for (const host of ["0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "example.com", "128.0.0.1"]) {
    assert.ok(!isLoopbackHost(host), host);
  }
});
