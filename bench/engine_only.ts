/**
 * @module engine_only
 * Times the main thread's share of `--read` alone: decodes a capture into batches once (through
 * the real capture worker), then runs the engine (summary + detection) over them, so hot-path
 * changes can be measured without FFI or the worker in the figure.
 *
 *   deno run -A bench/engine_only.ts FILE [--runs 5] [--no-detect] [--config CFG]
 *     [--detectors NAME,NAME | --detectors none]
 *
 * --detectors turns on exactly the named detectors (the connection tracker runs whenever any
 * one is); `none` turns them all off (--no-detect does too). bench/detector_cost.ts uses it.
 */
import { parseArgs } from "node:util";
import { Capture } from "../ffi/capture.ts";
import { applyOverrides, defaultConfig, loadConfigFile } from "../core/config/config.ts";
import { DETECTOR_NAMES } from "../core/detect/catalog.ts";
import { Engine } from "../core/run/engine.ts";
import { PacketBatch } from "../core/packet/packet_batch.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    "no-detect": { type: "boolean" },
    config: { type: "string" },
    detectors: { type: "string" },
  },
});
const file = positionals[0];
if (file === undefined) throw new Error("usage: engine_only.ts FILE [--runs N] [--no-detect]");

const batches: PacketBatch[] = [];
const capture = await Capture.open({ read: file, reuseBatches: false });
await capture.run({
  onBatch(b) {
    batches.push(b);
  },
});
const packets = batches.reduce((n, b) => n + b.count, 0);
const off = Object.fromEntries(DETECTOR_NAMES.map((n) => [`detect.${n}.enabled`, false]));
const only = values.detectors?.split(",").filter((name) => name !== "none" && name !== "");
for (const name of only ?? []) {
  if (!(DETECTOR_NAMES as readonly string[]).includes(name)) throw new Error(`no detector ${name}`);
}
const on = Object.fromEntries((only ?? []).map((name) => [`detect.${name}.enabled`, true]));
const config = applyOverrides(
  values.config ? loadConfigFile(values.config) : defaultConfig(),
  values["no-detect"] || only !== undefined ? { ...off, ...on } : {},
);
for (let run = 0; run < Number(values.runs); run++) {
  const engine = new Engine({
    config,
    writer: null,
    source: { name: file, live: false, link_type: capture.linkTypeName },
  });
  const start = performance.now();
  for (const batch of batches) engine.ingest(batch);
  engine.finish();
  const ms = performance.now() - start;
  console.log(`${packets} packets in ${ms.toFixed(0)} ms: ${(packets / ms / 1000).toFixed(2)} M/s`);
}
