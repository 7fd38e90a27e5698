/**
 * @module support
 * Helpers of the UI tests: a fake live source that runs until stopped, a pcap fixture that raises
 * a high_packet_rate alert, and controllers wired to them or to real file captures; and for the
 * tests in network namespaces, main.ts serving the UI there and chromium run there.
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../core/config/config.ts";
import { DETECTOR_NAMES } from "../../core/detect/catalog.ts";
import type { CaptureEnd, PacketSource } from "../../core/run/session.ts";
import { Capture } from "../../ffi/capture.ts";
import { Controller } from "../../ui/controller.ts";
import type { ControllerOptions, SourceRequest } from "../../ui/controller_api.ts";
import type { createApp } from "../../ui/server.ts";
import { ethernet, ipv4, udp } from "../support/frames.ts";
import type { BackgroundProcess, TestNetwork } from "../support/netns.ts";
import { writePcap } from "../support/pcap_writer.ts";
import { UI_URL_LINE, uiMainCommand } from "../support/ui_main.ts";
import { T0_US } from "../support/base.ts";

/** The repository root (`ROOT`) and the fixtures' first packet time: tests/support/base.ts. */
export { REPO_ROOT as ROOT, T0_US } from "../support/base.ts";

/** Debian's chromium, which the page tests drive through playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";

/** A live-looking source with no packets that runs until `stop()`. */
export class HeldSource implements PacketSource {
  readonly linkTypeName = "EN10MB";
  readonly live = true;
  #stopped = Promise.withResolvers<void>();

  constructor(readonly source: string) {}

  async run(): Promise<CaptureEnd> {
    await this.#stopped.promise;
    return { kind: "stopped" };
  }

  stop(): Promise<void> {
    this.#stopped.resolve();
    return Promise.resolve();
  }
}

/** Counts sources opened and how many ran at once. */
export class SourceCounter {
  opened = 0;
  running = 0;
  maxRunning = 0;

  /** An `openSource` that yields a `HeldSource` after `delayMs`, counting it while it runs. */
  opener(delayMs = 0): (request: SourceRequest) => Promise<PacketSource> {
    return async (request) => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      this.opened++;
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      const held = new HeldSource(request.device ?? request.read ?? "?");
      const stop = held.stop.bind(held);
      let counted = true;
      held.stop = () => {
        if (counted) this.running--;
        counted = false;
        return stop();
      };
      return held;
    };
  }
}

/** Devices the fake picker lists. */
export const FAKE_INTERFACES = [
  {
    name: "eth0",
    description: null,
    addresses: [{ family: "ipv4", address: "192.0.2.10", netmask: "255.255.255.0" }],
    up: true,
    running: true,
    loopback: false,
  },
];

/** A controller over fake live sources, records in memory. */
export function heldController(
  counter = new SourceCounter(),
  options: Partial<ControllerOptions> = {},
): Controller {
  return new Controller({
    config: defaultConfig(),
    openSource: counter.opener(),
    logDirectory: null,
    defaultInterface: () => "eth0",
    listInterfaces: () => FAKE_INTERFACES,
    ...options,
  });
}

/**
 * Writes a capture where 10.0.0.66 sends 150 UDP packets within one second (high_packet_rate at
 * its default 100/s) plus a few quiet packets; returns its path.
 */
export async function writeAlertFixture(directory: string): Promise<string> {
  const path = `${directory}/burst.pcap`;
  const packets = [];
  for (let i = 0; i < 150; i++) {
    const payload = udp({ sport: 40000 + i, dport: 9999, payload: [i & 255] });
    packets.push({
      tsUs: T0_US + i * 5000,
      bytes: ethernet(0x0800, ipv4({ proto: 17, src: "10.0.0.66", dst: "10.0.0.2", payload })),
    });
  }
  for (let i = 0; i < 5; i++) {
    const payload = udp({ sport: 5353, dport: 53, payload: [1] });
    packets.push({
      tsUs: T0_US + 2e6 + i * 1e6,
      bytes: ethernet(0x0800, ipv4({ proto: 17, src: "10.0.0.7", dst: "10.0.0.8", payload })),
    });
  }
  await writePcap(path, { packets });
  return path;
}

/** Config overrides that leave only high_packet_rate on (the fixture's one expected alert). */
export const ONLY_HIGH_PACKET_RATE: Record<string, unknown> = Object.fromEntries(
  DETECTOR_NAMES.map((name) => [`detect.${name}.enabled`, name === "high_packet_rate"]),
);

/**
 * A controller that reads `path` with the real libpcap capture, records in `logDirectory`, with
 * only high_packet_rate on unless `overrides` say otherwise.
 */
export function fileController(
  path: string,
  logDirectory: string | null,
  overrides: Record<string, unknown> = {},
): Controller {
  return new Controller({
    config: applyOverrides(defaultConfig(), { ...ONLY_HIGH_PACKET_RATE, ...overrides }),
    openSource: (request) => Capture.open(request),
    logDirectory,
    read: path,
  });
}

/** Waits until `controller` leaves the active states (a file was read to its end). */
export async function settled(controller: Controller, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (["starting", "capturing", "stopping"].includes(controller.state)) {
    if (Date.now() > deadline) throw new Error(`still ${controller.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts `main.ts --listen 127.0.0.1:0 ARGS` inside `ns` (killed after `timeoutS`); resolves to
 * the process and the UI's URL once it prints it (within `waitMs`).
 */
export async function startUiIn(
  net: TestNetwork,
  ns: string,
  args: readonly string[],
  { timeoutS, waitMs }: { timeoutS: number; waitMs: number },
): Promise<{ main: BackgroundProcess; url: string }> {
  const main = net.spawn(ns, uiMainCommand(args), { timeoutS });
  const line = await main.waitForLine(UI_URL_LINE, waitMs);
  return { main, url: line.slice("Anomaly UI: ".length) };
}

/** A script that runs chromium inside `ns`; playwright's pipe descriptors pass through. */
export async function chromiumInNamespace(directory: string, ns: string): Promise<string> {
  const path = `${directory}/chromium-in-${ns}`;
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** Polls `check` every `pollMs` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Content-Type of a JSON request. */
export const JSON_HEADERS = { "Content-Type": "application/json" };

/** POSTs `body` to `app` at `path` as JSON. */
export function post(app: ReturnType<typeof createApp>, path: string, body?: string, headers = {}) {
  return app.request(path, { method: "POST", headers: { ...JSON_HEADERS, ...headers }, body });
}

/** The `error` of a JSON error response (asserted to be a string). */
export async function errorOf(response: Response): Promise<string> {
  const body = await response.json();
  assert.equal(typeof body.error, "string", JSON.stringify(body));
  return body.error;
}
