import assert from "node:assert/strict";
import { parseCli, UsageError } from "../../app/cli.ts";
import { isLoopbackHost } from "../../core/packet/ip_address.ts";

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
  assertRefused(cases);
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
  assertRefused(cases);
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
  assertRefused(cases);
});

Deno.test("isLoopbackHost() accepts 127/8, ::1 and localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) {
    assert.ok(isLoopbackHost(host), host);
  }
  for (const host of ["0.0.0.0", "::", "192.0.2.1", "10.0.0.1", "example.com", "128.0.0.1"]) {
    assert.ok(!isLoopbackHost(host), host);
  }
});

/** Asserts `args` are refused with one line matching `message`. */
function refused(args: string[], message: RegExp): void {
  assert.throws(
    () => parseCli(args),
    (e: unknown) =>
      e instanceof UsageError && message.test(e.message) &&
      !e.message.includes("\n"),
    JSON.stringify(args),
  );
}

Deno.test("--duration at its edges: plain decimals above 0, at most a year", () => {
  for (
    const [text, seconds] of [["1", 1], [" 5 ", 5], ["2.5", 2.5], [".5", 0.5], [
      "5.",
      5,
    ], [
      "31536000",
      31536000,
    ], ["0.001", 0.001]] as const
  ) {
    assert.equal(parseCli(["--duration", text]).durationS, seconds, text);
  }
  for (
    const text of [
      "0",
      "0.0",
      "",
      " ",
      "31536001",
      "1e3",
      "0x10",
      "Infinity",
      "NaN",
      "5s",
      "1,5",
    ]
  ) {
    refused(
      ["--duration", text],
      /^Bad --duration ".*": expected a number of seconds greater than 0/,
    );
  }
  refused(["--duration=-1"], /^Bad --duration "-1"/);
  refused(
    ["--duration", "-1"],
    /--duration needs a value, not the option-like "-1"/,
  );
});

Deno.test("--packets-per-second and --unique-connections at their edges: 1 to 100000000", () => {
  for (const flag of ["--packets-per-second", "--unique-connections"]) {
    const key = flag === "--packets-per-second"
      ? "detect.high_packet_rate.packets_per_second"
      : "detect.unique_connections.threshold";
    assert.equal(parseCli([flag, "1"]).overrides[key], 1);
    assert.equal(parseCli([flag, "100000000"]).overrides[key], 100000000);
    assert.equal(parseCli([flag, " 007 "]).overrides[key], 7);
    for (
      const text of [
        "0",
        "100000001",
        "99999999999999999999",
        "1.0",
        "1e3",
        "",
        "NaN",
        "+5",
      ]
    ) {
      refused(
        [flag, text],
        new RegExp(
          `^Bad ${flag} ".*": expected a whole number from 1 to 100000000`,
        ),
      );
    }
    refused([`${flag}=-1`], new RegExp(`^Bad ${flag} "-1"`));
  }
});

Deno.test("--common-ports at its edges: 0 to 65535; empty entries and an empty list refused", () => {
  const ports = (text: string) =>
    parseCli(["--common-ports", text])
      .overrides["detect.unusual_port.tcp_ports"];
  assert.deepEqual(ports("0,65535"), [0, 65535]);
  assert.deepEqual(ports(" 22 "), [22]);
  for (
    const text of [
      "",
      ",",
      " ",
      "65536",
      "80,,443,",
      "80,",
      "80;443",
      "80 443",
      "http",
      "1.5",
      "0x50",
    ]
  ) {
    refused(
      ["--common-ports", text],
      /^Bad --common-ports ".*": expected port numbers from 0 to 65535/,
    );
  }
  refused(["--common-ports=-1"], /^Bad --common-ports "-1"/);
});

Deno.test("--listen at its edges: a port from 0 to 65535, real address literals", () => {
  assert.deepEqual(parseCli(["--listen", "127.0.0.1:0"]).listen, {
    hostname: "127.0.0.1",
    port: 0,
  });
  assert.deepEqual(parseCli(["--listen", "[::]:65535"]).listen, {
    hostname: "::",
    port: 65535,
  });
  assert.deepEqual(parseCli(["--listen", "my-host.lan:8080"]).listen, {
    hostname: "my-host.lan",
    port: 8080,
  });
  const port = /^Bad --listen ".*": expected HOST:PORT with a port from 0 to 65535/;
  for (
    const text of [
      "127.0.0.1:70000",
      "127.0.0.1:65536",
      "127.0.0.1",
      "127.0.0.1:",
      ":",
      "",
      "[::1]",
      "host:-1",
      "host:123456",
    ]
  ) {
    refused(["--listen", text], port);
  }
  for (
    const text of ["999.0.0.1:80", "10.0.0:80", "010.0.0.1:80", "[1::2::3]:80"]
  ) {
    refused(
      ["--listen", text],
      /^Bad --listen ".*": ".*" is not an IP address/,
    );
  }
});

Deno.test('empty strings: --filter "" means everything; file, directory and token options refuse them', () => {
  assert.equal(parseCli(["--filter", ""]).filter, "");
  assert.equal(parseCli(["-f", ""]).filter, "");
  for (
    const flag of ["--log-dir", "--read", "--interface", "--config", "--token"]
  ) {
    refused([flag, ""], new RegExp(`^${flag} needs a value`));
    refused([flag, "  "], new RegExp(`^${flag} needs a value`));
  }
});

/** Each argument list is refused with a one-line UsageError matching its pattern. */
function assertRefused(cases: [string[], RegExp][]): void {
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCli(args),
      (e: unknown) =>
        e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"),
      args.join(" "),
    );
  }
}
