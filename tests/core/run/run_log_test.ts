/**
 * @module run_log_test
 * The program's own log: the config digest (canonical JSON, the same as `--print-config` sorted),
 * and anomaly.log as real runs write it: start-up, each capture's start (source, filter, who
 * started it) and end (packets, alerts, drops, duration, where the records went), after a
 * headless --read and after a UI Start/Stop through the API with a token.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import {
  canonicalJson,
  type CaptureEndFacts,
  captureEndMessage,
  configDigest,
} from "../../../core/run/run_log.ts";
import { DIAGNOSTICS_FILE } from "../../../core/records/diagnostics.ts";
import { RECORDS_FILE } from "../../../core/records/record_writer.ts";
import { VERSION } from "../../../core/version.ts";
import { findOnPath, runCommand } from "../../../testing/process.ts";
import { REPO_ROOT } from "../../support/base.ts";
import { readWithMain } from "../../support/main_read.ts";
import { startUiMain } from "../../support/ui_main.ts";
import { makeTempDir } from "../../support/pcap_writer.ts";
import { writeAlertFixture } from "../../ui/support.ts";

interface LogLine {
  level: string;
  message: string;
  properties: Record<string, unknown>;
}

function readDiagnostics(logDir: string): LogLine[] {
  const text = Deno.readTextFileSync(`${logDir}/${DIAGNOSTICS_FILE}`);
  assert.ok(text.endsWith("\n"), "whole lines");
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as LogLine);
}

/** The one line whose message matches `pattern`. */
function lineOf(lines: LogLine[], pattern: RegExp): LogLine {
  const found = lines.filter((l) => pattern.test(l.message));
  assert.equal(found.length, 1, `one ${pattern} in:\n${lines.map((l) => l.message).join("\n")}`);
  return found[0]!;
}

/** The digest the program should log: of `--print-config`'s JSON, canonical. */
async function printedConfigDigest(args: string[] = []): Promise<string> {
  const { stdout } = await runCommand([
    "env",
    "-C",
    REPO_ROOT,
    Deno.execPath(),
    "run",
    "--allow-all",
    "main.ts",
    "--print-config",
    ...args,
  ]);
  const canonical = canonicalJson(JSON.parse(stdout));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}

Deno.test("canonicalJson() sorts object keys at every depth and keeps array order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } }),
    '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
  );
});

Deno.test("captureEndMessage() says 1 record, 1 packet, 1 alert, and plurals for any other count", () => {
  const facts = (n: number): CaptureEndFacts => ({
    source: "lo",
    end: "stopped",
    packets: n,
    alerts: n,
    kernelPackets: 0,
    kernelDrops: n,
    interfaceDrops: 0,
    durationS: 1.5,
    records: n,
    path: "/var/log/anomaly/network_activity.jsonl",
    recordsLost: 0,
  });
  assert.equal(
    captureEndMessage(facts(1)),
    "Capture of {source} ended ({end}): 1 packet, 1 alert, 1 kernel drop, {durationS} s; " +
      "1 record in {path}",
  );
  assert.equal(
    captureEndMessage(facts(0)),
    "Capture of {source} ended ({end}): 0 packets, 0 alerts, 0 kernel drops, {durationS} s; " +
      "0 records in {path}",
  );
  assert.match(
    captureEndMessage(facts(2)),
    /: 2 packets, 2 alerts, 2 kernel drops, .*; 2 records in/,
  );
});

Deno.test("configDigest() is 12 hex digits, the same for the same settings, changed by any key", () => {
  const base = configDigest(defaultConfig());
  assert.match(base, /^[0-9a-f]{12}$/);
  assert.equal(configDigest(defaultConfig()), base);
  const a = applyOverrides(defaultConfig(), {
    "detect.port_scan.threshold": 7,
    "log.max_files": 3,
  });
  const b = applyOverrides(defaultConfig(), {
    "log.max_files": 3,
    "detect.port_scan.threshold": 7,
  });
  assert.equal(configDigest(a), configDigest(b), "the order settings came in does not matter");
  assert.notEqual(configDigest(a), base);
});

Deno.test("headless --read logs start-up, the capture's start and its end in anomaly.log", async () => {
  await using dir = await makeTempDir("anomaly-run-log-");
  const file = await writeAlertFixture(dir.path);
  const logDir = `${dir.path}/log`;
  const config = { "detect.port_scan.threshold": 30 };
  await readWithMain(file, logDir, config, 60_000);
  const lines = readDiagnostics(logDir);

  const startup = lineOf(lines, /started headless/);
  assert.equal(startup.properties.version, VERSION);
  assert.match(String(startup.properties.libpcap), /^libpcap version /);
  const digest = await printedConfigDigest(["--config", `${logDir}.config.json`]);
  assert.equal(startup.properties.configDigest, digest, "the digest of --print-config");
  assert.notEqual(digest, await printedConfigDigest(), "the config file changed it");

  const start = lineOf(lines, /^Capturing from /);
  assert.equal(start.level, "INFO");
  assert.equal(start.properties.source, file);
  assert.equal(start.properties.live, false);
  assert.equal(start.properties.filter, "(none)");
  assert.equal(start.properties.startedBy, "the command line");
  assert.equal(start.properties.path, `${logDir}/${RECORDS_FILE}`);

  const end = lineOf(lines, /^Done: /);
  assert.equal(end.level, "INFO");
  assert.match(
    end.message,
    /^Done: 155 packets from .*, 1 alert, 0 kernel drops, [\d.]+ s; 3 records in /,
  );
  assert.equal(end.properties.end, "eof");
  assert.equal(end.properties.packets, 155);
  assert.equal(end.properties.alerts, 1, "the fixture's high_packet_rate alert");
  assert.equal(end.properties.kernelDrops, 0);
  assert.equal(end.properties.records, 3);
  assert.equal(end.properties.recordsLost, 0);
  assert.equal(end.properties.path, `${logDir}/${RECORDS_FILE}`);
  const durationS = end.properties.durationS as number;
  assert.ok(durationS >= 0 && durationS < 60, `duration ${durationS} s`);
  assert.deepEqual(
    lines.map((l) => l.message.split(" ")[0]),
    ["Anomaly", "Capturing", "Done:"],
    "start-up, then the capture's start, then its end",
  );
});

const TOKEN = "run-log-test-token-0123456789";
const LO_ADDRESS = "127.0.0.78";
const PING = await findOnPath("ping");

Deno.test({
  name: "a UI Start and Stop through the API log the client, its token, and the capture's end",
  // A live capture on lo needs root.
  ignore: PING === null || Deno.uid() !== 0,
  fn: async () => {
    await using dir = await makeTempDir("anomaly-run-log-ui-");
    const logDir = `${dir.path}/log`;
    let url: string;
    {
      await using ui = await startUiMain(["--log-dir", logDir, "--token", TOKEN]);
      url = ui.url;
      const headers = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };
      const filter = `icmp and host ${LO_ADDRESS}`;
      const started = await fetch(`${url}api/start`, {
        method: "POST",
        headers,
        body: JSON.stringify({ interface: "lo", filter }),
      });
      assert.equal(started.status, 200, await started.clone().text());
      await started.body?.cancel();
      await runCommand([PING!, "-c", "2", "-i", "0.2", "-W", "1", "-q", LO_ADDRESS], {
        timeoutS: 10,
      });
      await new Promise((resolve) => setTimeout(resolve, 300)); // the worker's next poll
      const stopped = await fetch(`${url}api/stop`, { method: "POST", headers, body: "{}" });
      assert.equal(stopped.status, 200, await stopped.clone().text());
      await stopped.body?.cancel();
    }
    const lines = readDiagnostics(logDir);

    const startup = lineOf(lines, /serving the UI/);
    assert.equal(startup.properties.url, url);
    assert.equal(startup.properties.version, VERSION);
    assert.equal(startup.properties.configDigest, await printedConfigDigest());

    const start = lineOf(lines, /^Capturing from /);
    assert.equal(start.properties.source, "lo");
    assert.equal(start.properties.live, true);
    assert.equal(start.properties.filter, `icmp and host ${LO_ADDRESS}`);
    assert.match(String(start.properties.clientAddress), /^127\.0\.0\.1:\d+$/);
    assert.equal(start.properties.tokenUsed, true);
    assert.match(
      String(start.properties.startedBy),
      /^API client 127\.0\.0\.1:\d+ \(with the token\)$/,
    );

    const end = lineOf(lines, /^Capture of "lo" ended/);
    assert.equal(end.level, "INFO");
    assert.equal(end.properties.end, "stopped");
    assert.equal(end.properties.packets, 4, "2 echo requests and 2 replies");
    assert.equal(end.properties.kernelPackets, 8, "lo: the kernel counts each packet twice");
    assert.equal(end.properties.alerts, 0);
    assert.equal(end.properties.kernelDrops, 0);
    assert.equal(end.properties.path, `${logDir}/${RECORDS_FILE}`);
    assert.ok((end.properties.records as number) >= 1, "at least the final stats record");
    assert.ok((end.properties.durationS as number) >= 0.4, "the pings took 0.2 s and more");
  },
});
