/**
 * The capture service without HTTP: its states and reason codes, the ring of recent alerts and
 * its counts, the events subscribers get, the listeners and the run mode's hooks. Driven by fake
 * sources (tests/support/fake_sources.ts) and by a real file capture through libpcap.
 */
import assert from "node:assert/strict";
import { applyOverrides, type Config, defaultConfig } from "../../../core/config/config.ts";
import { DETECTOR_NAMES } from "../../../core/detect/catalog.ts";
import { CaptureRefusal, type RefusalReason } from "../../../core/run/capture_refusal.ts";
import { CaptureService } from "../../../core/run/capture_service.ts";
import type {
  CaptureEnded,
  CaptureEvent,
  CaptureServiceOptions,
  CaptureStarted,
} from "../../../core/run/capture_types.ts";
import { Capture } from "../../../ffi/capture.ts";
import { CaptureError } from "../../../ffi/errors.ts";
import { T0_US } from "../../support/base.ts";
import { EndingSource, FedSource, HeldSource } from "../../support/fake_sources.ts";
import { ethernet, ipv4, udp } from "../../support/frames.ts";
import { makeTempDir, writePcap } from "../../support/pcap_writer.ts";

/** Only high_packet_rate on: the burst below raises exactly one alert. */
const ONLY_HIGH_PACKET_RATE = Object.fromEntries(
  DETECTOR_NAMES.map((name) => [`detect.${name}.enabled`, name === "high_packet_rate"]),
);

function config(overrides: Record<string, unknown> = {}): Config {
  return applyOverrides(defaultConfig(), { ...ONLY_HIGH_PACKET_RATE, ...overrides });
}

/** `count` UDP packets from `src`, 5 ms apart from `startUs`: above 100/s from 101 on. */
function burst(src: string, count: number, startUs: number) {
  return Array.from({ length: count }, (_, i) => ({
    tsUs: startUs + i * 5000,
    frame: ethernet(
      0x0800,
      ipv4({ proto: 17, src, dst: "10.0.0.2", payload: udp({ sport: 40000 + i, dport: 9999 }) }),
    ),
  }));
}

/** A service over held live sources (records in memory) and the sources it opened. */
function heldService(options: Partial<CaptureServiceOptions> = {}) {
  const opened: HeldSource[] = [];
  const service = new CaptureService({
    config: config(),
    logDirectory: null,
    defaultInterface: () => "eth0",
    openSource: (request) => {
      const source = new HeldSource(request.device ?? request.read ?? "?");
      opened.push(source);
      return Promise.resolve(source);
    },
    ...options,
  });
  return { service, opened };
}

async function refusal(promise: Promise<unknown>): Promise<RefusalReason> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof CaptureRefusal, `expected a CaptureRefusal, got ${error}`);
  return error.reason;
}

Deno.test("CaptureService goes idle -> starting -> capturing -> stopping -> stopped, with events", async () => {
  const { service, opened } = heldService();
  const states: string[] = [];
  service.subscribe((event) => event.type === "state" && states.push(event.data.state));
  assert.equal(service.status().state, "idle");
  assert.equal(service.status().defaults.interface, "eth0");

  const started = await service.start({ filter: "udp" });
  assert.equal(started.state, "capturing");
  assert.equal(started.source, "eth0");
  assert.equal(started.filter, "udp");
  assert.equal(started.mode, "live");
  assert.equal(service.sessionsStarted, 1);

  const stopped = await service.stop();
  assert.equal(stopped.state, "stopped");
  assert.equal(opened[0]!.stopped, true);
  assert.deepEqual(stopped.saved, {
    path: null,
    records: 1, // the final stats record
    alerts: 0,
    packets: 0,
    writeFailures: 0,
  });
  assert.deepEqual(states, ["starting", "capturing", "stopping", "stopped"]);
  await service.close();
});

Deno.test("CaptureService refuses with reason codes, never HTTP statuses", async () => {
  const { service } = heldService();
  assert.equal(await refusal(service.stop()), "not_capturing");
  await service.start();
  assert.equal(await refusal(service.start()), "already_active");
  await service.stop();
  assert.equal(await refusal(service.stop()), "not_capturing");

  const fileMode = heldService({ read: "x.pcap" }).service;
  assert.equal(await refusal(fileMode.start({ interface: "eth0" })), "file_mode");
  assert.equal(fileMode.status().mode, "file");

  const noDevice = heldService({ defaultInterface: () => null }).service;
  assert.equal(await refusal(noDevice.start()), "no_device");
  assert.equal(noDevice.status().state, "idle", "nothing was started");

  await service.close();
  assert.equal(await refusal(service.start()), "shutting_down");
});

Deno.test("CaptureService turns a failed open into a reason and keeps the error as cause", async () => {
  const cases: [unknown, RefusalReason][] = [
    [new CaptureError("bad_filter", 'Bad filter "tcp and and"'), "bad_filter"],
    [new CaptureError("no_such_device", 'Cannot capture on "eth9"'), "no_such_device"],
    [Object.assign(new Error("Log directory in use"), { code: "in_use" }), "log_dir_in_use"],
    [new Error("Cannot read the file"), "start_failed"],
  ];
  for (const [thrown, reason] of cases) {
    const { service } = heldService({ openSource: () => Promise.reject(thrown) });
    const error = await service.start().then(() => null, (e: unknown) => e);
    assert.ok(error instanceof CaptureRefusal);
    assert.equal(error.reason, reason);
    assert.equal(error.message, (thrown as Error).message);
    assert.equal(error.cause, thrown, "the headless run exits with the original error");
  }
});

Deno.test("CaptureService: a bad filter or device leaves the state as it was; other failures are an error", async () => {
  let fail: Error | null = null;
  const { service } = heldService({
    openSource: (request) =>
      fail === null ? Promise.resolve(new HeldSource(request.device!)) : Promise.reject(fail),
  });
  await service.start({ filter: "udp" });
  const stopped = await service.stop();

  fail = new CaptureError("bad_filter", 'Bad filter "tcp and and"');
  assert.equal(await refusal(service.start({ filter: "tcp and and" })), "bad_filter");
  assert.deepEqual(service.status(), stopped, "the last capture's status, as it was");

  fail = new Error("Cannot open: no permission");
  assert.equal(await refusal(service.start({ filter: "tcp" })), "start_failed");
  const status = service.status();
  assert.equal(status.state, "error");
  assert.equal(status.message, fail.message);
  assert.equal(status.filter, "tcp");
  assert.equal(status.saved, null);
  assert.notEqual(status.endedAt, null);
});

Deno.test("CaptureService: stop while starting abandons the open at once; nothing is captured", async () => {
  let signal: AbortSignal | undefined;
  const { service } = heldService({
    openSource: (request) =>
      new Promise((_, reject) => {
        signal = request.signal;
        request.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      }),
  });
  const starting = service.start();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(service.state, "starting");
  const stopped = await service.stop();
  assert.equal(signal?.aborted, true);
  assert.equal(stopped.state, "stopped");
  assert.equal((await starting).state, "stopped");
  assert.equal(service.sessionsStarted, 0);
  assert.equal(service.session, null);
});

Deno.test("CaptureService keeps the newest alerts (at most maxAlerts), their counts across captures, and tells listeners every line", async () => {
  const opened: FedSource[] = [];
  const lines: string[] = [];
  const started: CaptureStarted[] = [];
  const ended: CaptureEnded[] = [];
  const service = new CaptureService({
    config: config({ "detect.high_packet_rate.packets_per_second": 10 }),
    logDirectory: null,
    defaultInterface: () => "fed0",
    openSource: () => {
      opened.push(new FedSource());
      return Promise.resolve(opened.at(-1)!);
    },
    maxAlerts: 2,
    listeners: [(_record, line) => lines.push(line)],
    onStarted: (s) => started.push(s),
    onEnded: (e) => ended.push(e),
  });
  const alerts: Record<string, unknown>[] = [];
  service.subscribe((event: CaptureEvent) => event.type === "alert" && alerts.push(event.data));

  await service.start({ filter: "udp" });
  assert.equal(started.length, 1);
  assert.equal(started[0]!.filter, "udp");
  assert.equal(started[0]!.session, service.session);
  // Three sources over 10 packets/s, one second apart: three alert starts.
  for (const [i, src] of ["10.0.0.1", "10.0.0.2", "10.0.0.3"].entries()) {
    await opened[0]!.feed(burst(src, 20, T0_US + i * 1_000_000));
  }
  const result = await service.stop();
  assert.equal(ended.length, 1);
  assert.equal(ended[0]!.result?.records, lines.length, "listeners got every record written");
  assert.equal(result.saved?.alerts, 3);

  const sources = (records: Record<string, unknown>[]) => records.map((r) => r.src_ip);
  assert.equal(alerts.length, 6, "subscribers got every alert record (3 starts, 3 ends)");
  const recent = service.alerts({ limit: 10 });
  assert.deepEqual(
    recent,
    alerts.slice(-2).reverse(),
    "the newest maxAlerts records, newest first",
  );
  assert.deepEqual(JSON.parse(lines.find((l) => l.includes('"alert"'))!), alerts[0]);
  const counts = () => service.alertRecordCounts.get("high_packet_rate\u0000start");
  assert.equal(counts(), 3);

  await service.start();
  assert.deepEqual(service.alerts(), [], "a new capture starts with an empty ring");
  await opened[1]!.feed(burst("10.0.0.9", 20, T0_US));
  await service.stop();
  assert.equal(counts(), 4, "counts add up across captures");
  assert.deepEqual(sources(service.alerts({ detector: "high_packet_rate" })), [
    "10.0.0.9",
    "10.0.0.9",
  ]);
  assert.deepEqual(service.alerts({ detector: "port_scan" }), []);
});

Deno.test("CaptureService reads a pcap file through libpcap to its end, by itself", async () => {
  await using dir = await makeTempDir("anomaly-capture-service-");
  const path = `${dir.path}/burst.pcap`;
  await writePcap(path, {
    packets: burst("10.0.0.66", 150, T0_US).map(({ tsUs, frame }) => ({ tsUs, bytes: frame })),
  });
  const ended = Promise.withResolvers<CaptureEnded>();
  const service = new CaptureService({
    config: config(),
    logDirectory: `${dir.path}/log`,
    read: path,
    openSource: (request) => Capture.open(request),
    onEnded: (e) => ended.resolve(e),
  });
  assert.equal(service.status().defaults.read, path);
  await service.start();
  const { result } = await ended.promise;
  assert.equal(result?.end.kind, "eof");
  const status = service.status();
  assert.equal(status.state, "stopped");
  assert.equal(status.saved?.packets, 150);
  assert.equal(status.saved?.alerts, 1);
  assert.equal(status.saved?.path, `${dir.path}/log/network_activity.jsonl`);
  const written = Deno.readTextFileSync(status.saved!.path!).trim().split("\n");
  assert.equal(written.length, status.saved?.records);
  assert.equal(service.alerts().length, 2, "the alert's start and end");
  const summary = service.summary();
  assert.equal(summary.live, false);
  assert.equal(summary.rate.basis, "average");
  assert.equal(summary.summary?.packets, 150);
  // 150 packets over 0.745 s of packet time: the average is over at least one second.
  assert.equal(summary.rate.pps, 150);
  assert.equal(await refusal(service.stop()), "not_capturing");
});

Deno.test("CaptureService: a capture that dies ends in error with its message", async () => {
  const end = { kind: "error", code: "device_gone", message: 'Capture on "eth1" ended' } as const;
  const ended = Promise.withResolvers<void>();
  const { service } = heldService({
    openSource: () => Promise.resolve(new EndingSource("eth1", end)),
    onEnded: () => ended.resolve(),
  });
  await service.start();
  await ended.promise;
  assert.equal(service.status().state, "error");
  assert.equal(service.status().message, end.message);
  assert.equal(service.status().saved?.packets, 0);
});

Deno.test("CaptureService ticks summaries only while capturing and listened to; drops a failing subscriber", async () => {
  const { service } = heldService({ tickMs: 10 });
  const ticks: string[] = [];
  service.subscribe(() => {
    throw new Error("a broken subscriber");
  });
  const unsubscribe = service.subscribe((event) => ticks.push(event.type));
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(ticks, [], "no tick while idle");
  await service.start();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.ok(ticks.filter((t) => t === "summary").length >= 2, ticks.join(","));
  await service.stop();
  const afterStop = ticks.length;
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(ticks.length, afterStop, "no tick once stopped");
  unsubscribe();
  await service.close();
});

Deno.test("CaptureService stops a live capture after durationS, and close() stops a running one", async () => {
  const { service, opened } = heldService({ durationS: 0.05 });
  await service.start();
  const deadline = Date.now() + 5000;
  while (service.state !== "stopped" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(service.state, "stopped");
  assert.equal(opened[0]!.stopped, true);

  const second = heldService();
  await second.service.start();
  await second.service.close();
  assert.equal(second.service.state, "stopped");
  assert.equal(second.opened[0]!.stopped, true);
  assert.equal(second.service.closed, true);
});
