import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import {
  captureOptions,
  captureSettings,
  DEFAULT_CAPTURE_SETTINGS,
} from "../../../core/run/capture_options.ts";
import { REPO_ROOT } from "../../support/base.ts";

Deno.test("captureOptions(): the capture keys' defaults, nothing else", () => {
  assert.deepEqual(captureOptions(defaultConfig(), { device: "eth0", filter: "" }), {
    device: "eth0",
    filter: "",
    snaplen: 512,
    bufferSize: 32 * 1024 * 1024,
    nice: -10,
    promiscuous: true,
    keepFrames: true, // pcap.enabled: frames for the alert pcaps (core/pcap/)
  });
  assert.deepEqual(DEFAULT_CAPTURE_SETTINGS, captureSettings(defaultConfig()));
});

Deno.test("captureOptions(): the headless run and the UI get the same options for one config", () => {
  const config = applyOverrides(defaultConfig(), {
    "capture.snaplen": 128,
    "capture.buffer_mib": 4,
    "capture.nice": 0,
    "capture.promiscuous": false,
    "pcap.enabled": false,
  });
  const signal = new AbortController().signal;
  // main.ts runHeadless: built from the flags; the UI controller: { device, filter, signal }.
  const headless = captureOptions(config, { device: "eth0", filter: "tcp", signal });
  const ui = captureOptions(config, { device: "eth0", filter: "tcp", signal });
  assert.deepEqual(headless, ui);
  assert.deepEqual(headless, {
    device: "eth0",
    filter: "tcp",
    snaplen: 128,
    bufferSize: 4 * 1024 * 1024,
    nice: 0,
    promiscuous: false,
    keepFrames: false,
    signal,
  });
  assert.deepEqual(captureOptions(config, { read: "x.pcap", filter: "" }), {
    read: "x.pcap",
    filter: "",
    ...captureSettings(config),
  });
});

Deno.test("capture options are assembled only in core/run/capture_options.ts", () => {
  const main = Deno.readTextFileSync(`${REPO_ROOT}/main.ts`);
  assert.equal(main.match(/Capture\.open\(captureOptions\(config, /g)?.length, 2);
  assert.doesNotMatch(main, /capture\.(snaplen|buffer_mib|nice|promiscuous)/);
});

Deno.test("ffi/ keeps no capture default of its own", () => {
  for (const entry of Deno.readDirSync(`${REPO_ROOT}/ffi`)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(`${REPO_ROOT}/ffi/${entry.name}`);
    // A literal default (`snaplen = 262144`, `nice = 0`, `promiscuous = true`).
    const literal = /\b(snaplen|promiscuous|bufferSize|nice)\s*=\s*(-?\d|true\b|false\b)/;
    assert.doesNotMatch(text, literal, `ffi/${entry.name}`);
    assert.doesNotMatch(text, /262[_]?144|32 \* 1024 \* 1024/, `ffi/${entry.name}`);
  }
});
