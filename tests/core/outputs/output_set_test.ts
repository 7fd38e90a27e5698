/**
 * The outputs against the real servers (redis-server, rsyslogd, an HTTP receiver, a command):
 * with all four on, every alert record of a `--read` run arrives at each, byte for byte the line
 * of network_activity.jsonl; a server that is down or slow costs records only beyond the counted
 * queue, and the run still ends at once with exit 0 and the whole file.
 */
import assert from "node:assert/strict";
import { encodePcap, makeTempDir } from "../../../testing/pcap_writer.ts";
import { ethernet, ipv4, tcp } from "../../../testing/frames.ts";
import { SECOND_US, T0_US } from "../../support/base.ts";
import { REPO_ROOT } from "../../support/main_read.ts";
import { freeTcpPort, startRedis, startRsyslog, waitFor } from "../../support/output_servers.ts";
import { loadEveValidator } from "../../support/eve_schema.ts";

const decoder = new TextDecoder();
const SYN = 0x02, RST_ACK = 0x14;

/** Four scanners, each probing 120 closed ports of its own victim (RST answers), over 3 minutes. */
function scanCapture(): Uint8Array {
  const packets = [];
  for (let s = 0; s < 4; s++) {
    const src = `10.0.${s}.1`, dst = `10.0.${s}.2`;
    for (let port = 1; port <= 120; port++) {
      const tsUs = T0_US + s * 45 * SECOND_US + port * 10_000;
      const probe = tcp({ sport: 40000 + s, dport: port, flags: SYN });
      const answer = tcp({ sport: port, dport: 40000 + s, flags: RST_ACK });
      packets.push(
        { tsUs, bytes: ethernet(0x0800, ipv4({ proto: 6, src, dst, payload: probe })) },
        {
          tsUs: tsUs + 100,
          bytes: ethernet(0x0800, ipv4({ proto: 6, src: dst, dst: src, payload: answer })),
        },
      );
    }
  }
  return encodePcap({ packets });
}

interface Run {
  code: number;
  stderr: string;
  lines: string[];
  ms: number;
}

async function runRead(dir: string, name: string, outputs: Record<string, unknown>): Promise<Run> {
  const pcap = `${dir}/scan.pcap`;
  await Deno.writeFile(pcap, scanCapture());
  const configPath = `${dir}/${name}.json`;
  await Deno.writeTextFile(configPath, JSON.stringify({ stats: { interval_s: 30 }, outputs }));
  const started = Date.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "--no-ui",
      "--read",
      pcap,
      "--log-dir",
      `${dir}/${name}`,
      "--config",
      configPath,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = await Deno.readTextFile(`${dir}/${name}/network_activity.jsonl`);
  return {
    code: out.code,
    stderr: decoder.decode(out.stderr),
    lines: text.split("\n").filter((l) => l !== ""),
    ms: Date.now() - started,
  };
}

const alertLines = (lines: string[]) => lines.filter((l) => JSON.parse(l).event_type === "alert");
const startsAndEnds = (lines: string[]) =>
  alertLines(lines).filter((l) => JSON.parse(l).detection.state !== "update");

/** An HTTP receiver that answers 503 to its first POST and 200 after: the retry must follow. */
function startReceiver() {
  const bodies: string[] = [];
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    requests++;
    const body = await request.text();
    if (requests === 1) return new Response("busy", { status: 503 });
    bodies.push(body);
    return new Response(null, { status: 204 });
  });
  return {
    server,
    bodies,
    requests: () => requests,
    url: `http://127.0.0.1:${server.addr.port}/alerts`,
  };
}

Deno.test("outputs: with all four on, every alert record reaches redis-server, rsyslogd, the webhook and the hook, identical to the file's line", async () => {
  await using dir = await makeTempDir();
  await Deno.mkdir(`${dir.path}/redis`);
  await Deno.mkdir(`${dir.path}/rsyslog`);
  await Deno.mkdir(`${dir.path}/exec`);
  await using redis = await startRedis(`${dir.path}/redis`);
  await using syslog = await startRsyslog(`${dir.path}/rsyslog`);
  const receiver = startReceiver();
  const hook = `${dir.path}/hook.sh`;
  await Deno.writeTextFile(hook, `#!/bin/sh\ncat > "${dir.path}/exec/$$.json"\n`);
  await Deno.chmod(hook, 0o755);
  try {
    const run = await runRead(dir.path, "all", {
      syslog: { enabled: true, address: `udp://127.0.0.1:${syslog.udpPort}`, facility: "local3" },
      redis: { enabled: true, url: `redis://127.0.0.1:${redis.port}`, key: "eve", mode: "list" },
      webhook: { enabled: true, url: receiver.url, headers: { "X-Sensor": "t1" } },
      exec: { enabled: true, command: [hook], max_running: 2 },
    });
    assert.equal(run.code, 0, run.stderr);
    const alerts = alertLines(run.lines);
    assert.ok(alerts.length >= 8, `alert records: ${alerts.length}`);

    // Redis (RPUSH): every record, in order, as written.
    const listed = (await redis.cli("--raw", "LRANGE", "eve", "0", "-1")).split("\n").filter((l) =>
      l !== ""
    );
    assert.deepEqual(listed, run.lines);

    // rsyslogd (UDP, RFC 5424): the message is the line; facility and severity as configured.
    await waitFor("rsyslogd's file", async () => (await syslog.lines()).length > run.lines.length);
    const messages = (await syslog.lines()).filter((l) => l.includes("|{"));
    assert.deepEqual(messages.map((l) => l.slice(l.indexOf("|") + 1)), run.lines);
    assert.match(
      messages.find((m) => m.includes('"event_type":"alert"'))!,
      /^local3 warning anomaly alert\|/,
    );
    assert.match(
      messages.find((m) => m.includes('"event_type":"stats"'))!,
      /^local3 info anomaly stats\|/,
    );

    // Webhook: alerts only (the default types), the first POST refused and retried.
    assert.deepEqual(receiver.bodies, alerts);
    assert.equal(receiver.requests(), alerts.length + 1);

    // Exec: one run per alert start and end, the line and its newline on stdin.
    const ran: string[] = [];
    for await (const entry of Deno.readDir(`${dir.path}/exec`)) {
      ran.push(await Deno.readTextFile(`${dir.path}/exec/${entry.name}`));
    }
    assert.deepEqual(ran.sort(), startsAndEnds(run.lines).map((l) => l + "\n").sort());

    // The final stats record counts what each output did up to it, as the schema says.
    const final = JSON.parse(run.lines.at(-1)!);
    const validate = loadEveValidator();
    for (const line of run.lines) assert.equal(validate(JSON.parse(line)), null, line);
    assert.deepEqual(Object.keys(final.summary.outputs).sort(), [
      "exec",
      "redis",
      "syslog",
      "webhook",
    ]);
    assert.equal(final.summary.outputs.redis.dropped, 0);
    assert.match(run.stderr, new RegExp(`redis sent ${run.lines.length}, dropped 0, failed 0`));
    assert.match(run.stderr, new RegExp(`webhook sent ${alerts.length}, dropped 0, failed 0`));
  } finally {
    await receiver.server.shutdown();
  }
});

Deno.test("outputs: syslog over TCP (octet counting) and a Unix socket, Redis streams and channels carry each line as written", async () => {
  await using dir = await makeTempDir();
  await Deno.mkdir(`${dir.path}/redis`);
  await Deno.mkdir(`${dir.path}/rsyslog`);
  await using redis = await startRedis(`${dir.path}/redis`);
  await using syslog = await startRsyslog(`${dir.path}/rsyslog`);

  const tcpRun = await runRead(dir.path, "tcp", {
    syslog: { enabled: true, address: `tcp://127.0.0.1:${syslog.tcpPort}` },
    redis: {
      enabled: true,
      url: `redis://127.0.0.1:${redis.port}`,
      key: "eve-stream",
      mode: "stream",
    },
  });
  assert.equal(tcpRun.code, 0, tcpRun.stderr);
  const fromSyslog = async (n: number) => {
    await waitFor(
      "rsyslogd's file",
      async () => (await syslog.lines()).filter((l) => l.includes("|{")).length >= n,
    );
    return (await syslog.lines()).filter((l) => l.includes("|{")).map((l) =>
      l.slice(l.indexOf("|") + 1)
    );
  };
  assert.deepEqual(await fromSyslog(tcpRun.lines.length), tcpRun.lines);
  const stream = (await redis.cli("--raw", "XRANGE", "eve-stream", "-", "+")).split("\n");
  // --raw XRANGE: id, field, value for each entry.
  const entries = stream.filter((_, i) => i % 3 === 2 && stream[i - 1] === "eve");
  assert.deepEqual(entries, tcpRun.lines);

  const subscriber = await redis.subscribe("eve-channel");
  const unixRun = await runRead(dir.path, "unix", {
    syslog: { enabled: true, address: `unix://${syslog.socketPath}` },
    redis: {
      enabled: true,
      url: `redis://127.0.0.1:${redis.port}`,
      key: "eve-channel",
      mode: "channel",
    },
  });
  assert.equal(unixRun.code, 0, unixRun.stderr);
  assert.deepEqual(
    (await fromSyslog(tcpRun.lines.length + unixRun.lines.length)).slice(tcpRun.lines.length),
    unixRun.lines,
  );
  await waitFor(
    "the published records",
    () => Promise.resolve(subscriber.messages().length >= unixRun.lines.length),
  );
  await subscriber.stop();
  assert.deepEqual(subscriber.messages(), unixRun.lines);
});

Deno.test("outputs: a server that is down or never answers costs records beyond the counted queue only, and the run ends with exit 0 and the whole file", async () => {
  await using dir = await makeTempDir();
  const reference = await runRead(dir.path, "none", {});
  assert.equal(reference.code, 0, reference.stderr);

  // A webhook receiver that takes requests and never answers them.
  const hung: Promise<void>[] = [];
  const release = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    hung.push(request.text().then(() => {}));
    return release.promise.then(() => new Response(null, { status: 204 }));
  });
  try {
    const run = await runRead(dir.path, "down", {
      queue_size: 3,
      flush_s: 0.5,
      retry_max_s: 0.2,
      redis: { enabled: true, url: `redis://127.0.0.1:${freeTcpPort()}` },
      webhook: { enabled: true, url: `http://127.0.0.1:${server.addr.port}/`, timeout_s: 60 },
      exec: { enabled: true, command: ["sleep", "60"], max_running: 1, timeout_s: 120 },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.ms < 20_000, `the run took ${run.ms} ms`);
    // The same records as without outputs, but for the counts the stats records carry.
    assert.deepEqual(alertLines(run.lines), alertLines(reference.lines));
    assert.equal(run.lines.length, reference.lines.length);

    const final = JSON.parse(run.lines.at(-1)!).summary.outputs;
    const before = run.lines.length - 1;
    const alertsBefore = alertLines(run.lines).length;
    const exec = startsAndEnds(run.lines).length;
    for (
      const [name, offered] of [["redis", before], ["webhook", alertsBefore], [
        "exec",
        exec,
      ]] as const
    ) {
      const c = final[name];
      assert.equal(c.sent, 0, name);
      assert.equal(
        c.sent + c.dropped + c.failed + c.queued,
        offered,
        `${name}: ${JSON.stringify(c)}`,
      );
      // At most the queue and the record in flight wait; everything else is counted dropped.
      assert.ok(c.queued <= 4, `${name}: ${JSON.stringify(c)}`);
    }
    // At the end the flush time runs out: everything not sent is counted dropped.
    assert.match(run.stderr, new RegExp(`redis sent 0, dropped ${run.lines.length}, failed 0`));
    assert.match(run.stderr, new RegExp(`webhook sent 0, dropped ${alertsBefore}, failed 0`));
    assert.match(run.stderr, new RegExp(`exec sent 0, dropped ${exec}, failed 0`));
    assert.match(
      run.stderr,
      /Cannot send records to redis redis:\/\/127\.0\.0\.1:\d+: .*capture goes on/,
    );
  } finally {
    release.resolve();
    await Promise.all(hung);
    await server.shutdown();
  }
});
