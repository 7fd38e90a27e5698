/**
 * The syslog output's HOSTNAME is the sensor's name (`sensor.name`, the records' `host`), checked
 * on the datagrams a real UDP socket receives; and unix:// goes through the Unix datagram sender
 * its builder injects (core/ loads no FFI): without one, one clear error; with ffi/'s sender, a
 * line reaches a real rsyslogd and a datagram too large for the socket fails at once, unretried.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { OutputSet } from "../../../core/outputs/output_set.ts";
import { syslogHostname } from "../../../core/outputs/syslog_output.ts";
import type { EveRecord } from "../../../core/records/eve_records.ts";
import { UnixDatagramSender } from "../../../ffi/unix_datagram.ts";
import { findOnPath } from "../../../testing/process.ts";
import { startRsyslog, waitFor } from "../../support/output_servers.ts";

const RSYSLOGD = await findOnPath("rsyslogd");

/** A stats-like record and its line, as the engine hands them to listeners. */
function recordLine(n: number): [EveRecord, string] {
  const record = { timestamp: "2026-01-01T00:00:00.000000+0000", event_type: "stats", n };
  return [record as unknown as EveRecord, JSON.stringify(record)];
}

function configWith(overrides: Record<string, unknown>) {
  return applyOverrides(defaultConfig(), { outputs: { flush_s: 5 }, ...overrides });
}

Deno.test('syslogHostname() is sensor.name as RFC 5424 allows it, the machine\'s hostname for ""', () => {
  assert.equal(syslogHostname("edge-7.example"), "edge-7.example");
  assert.equal(syslogHostname("rack 4 tap"), "rack_4_tap", "no spaces in HOSTNAME");
  assert.equal(syslogHostname("capteur-é"), "capteur-_", "printable ASCII only");
  assert.equal(syslogHostname(""), Deno.hostname());
});

Deno.test("syslog over UDP: each message's HOSTNAME is sensor.name", async () => {
  const socket = dgram.createSocket("udp4");
  const received: string[] = [];
  socket.on("message", (message) => received.push(message.toString("utf8")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  try {
    const port = socket.address().port;
    for (const [name, hostname] of [["edge-7", "edge-7"], ["rack 4", "rack_4"]]) {
      const config = configWith({
        sensor: { name },
        outputs: { syslog: { enabled: true, address: `udp://127.0.0.1:${port}` } },
      });
      const outputs = OutputSet.fromConfig(config)!;
      const [record, line] = recordLine(1);
      outputs.listener(record, line);
      const counts = await outputs.close();
      assert.equal(counts.syslog?.sent, 1);
      await waitFor("the datagram", () => Promise.resolve(received.length > 0), 5_000);
      const message = received.shift()!;
      // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
      const fields = message.split(" ");
      assert.equal(fields[2], hostname, message);
      assert.equal(fields[3], "anomaly");
      assert.ok(message.endsWith(` - ${line}`), message);
    }
  } finally {
    socket.close();
  }
});

Deno.test("syslog to unix:// without an injected sender: one error that says what to use", () => {
  const config = configWith({ outputs: { syslog: { enabled: true, address: "unix:///dev/log" } } });
  assert.throws(
    () => OutputSet.fromConfig(config),
    /^Error: outputs\.syslog\.address unix:\/\/\/dev\/log needs a Unix datagram sender.*use udp:\/\/ or tcp:\/\/$/,
  );
});

Deno.test({
  name:
    "syslog to unix:// through ffi/'s injected sender: a line reaches rsyslogd, an oversized one fails unretried",
  ignore: RSYSLOGD === null, // tools/setup.sh test installs rsyslog
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "anomaly-syslog-unix-" });
    try {
      await using syslog = await startRsyslog(dir);
      const config = configWith({
        outputs: { syslog: { enabled: true, address: `unix://${syslog.socketPath}` } },
      });
      const paths: string[] = [];
      const outputs = OutputSet.fromConfig(config, {
        unixDatagrams: (path) => (paths.push(path), new UnixDatagramSender(path)),
      })!;
      assert.deepEqual(paths, [syslog.socketPath]);
      const [record, line] = recordLine(1);
      outputs.listener(record, line);
      // Beyond the socket's send buffer (net.core.wmem_default, 208 KiB): EMSGSIZE, never fits.
      const huge = JSON.stringify({ ...record, pad: "x".repeat(400_000) });
      outputs.listener(record, huge);
      const started = Date.now();
      const counts = await outputs.close();
      assert.deepEqual(counts.syslog, { sent: 1, dropped: 0, failed: 1, queued: 0 });
      assert.ok(Date.now() - started < 2_000, "not retried until flush_s ran out");
      await waitFor(
        "rsyslogd's file",
        async () => (await syslog.lines()).some((l) => l.endsWith(`|${line}`)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
