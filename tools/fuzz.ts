/**
 * @module fuzz
 * `deno task fuzz [--frames N] [--seed S] [--engine]`: decodes N (default 1,000,000) random and
 * mutated frames of every link type and protocol we decode (see tools/fuzz_lib.ts), checking
 * every record, and prints frames, frames/s, outcomes, events by name and escapes. `--engine`
 * also drives every record through the Engine (summary and every detector). Exits 1 on any
 * escape or invariant violation, 2 on a bad option.
 */
import { parseArgs } from "node:util";
import { defaultConfig } from "../core/config/config.ts";
import { Engine } from "../core/run/engine.ts";
import { fuzz } from "./fuzz_lib.ts";

function usage(message: string): never {
  console.error(
    `fuzz: ${message} (usage: deno task fuzz [--frames N] [--seed S] [--engine])`,
  );
  Deno.exit(2);
}

function wholeNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    usage(`--${name} "${text}": expected a whole number of at least ${min}`);
  }
  return value;
}

let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      frames: { type: "string" },
      seed: { type: "string" },
      engine: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usage(e instanceof Error ? e.message.split("\n")[0]! : String(e));
}
if (values.help) {
  console.log(
    "deno task fuzz [--frames N (default 1000000)] [--seed S] [--engine]",
  );
  Deno.exit(0);
}
const frames = wholeNumber("frames", values.frames, 1_000_000, 1);
const seed = wholeNumber("seed", values.seed, Date.now() % 4294967296, 0) >>> 0;

const engine = values.engine
  ? new Engine({
    config: defaultConfig(),
    writer: null,
    source: { name: "fuzz", live: false, link_type: "mixed" },
  })
  : null;
let engineErrors = 0;
const result = fuzz({
  frames,
  seed,
  onBatch: engine === null ? undefined : (batch) => {
    try {
      engine.ingest(batch);
    } catch (e) {
      if (engineErrors++ === 0) {
        console.error(`engine threw: ${e instanceof Error ? e.stack : e}`);
      }
    }
  },
});
if (engine !== null) {
  try {
    const final = engine.finish() as { stats: { decoder: { pkts: number } } };
    if (final.stats.decoder.pkts !== result.frames) {
      console.error(
        `engine counted ${final.stats.decoder.pkts} packets, not ${result.frames}`,
      );
      engineErrors++;
    }
  } catch (e) {
    engineErrors++;
    console.error(`engine.finish() threw: ${e instanceof Error ? e.stack : e}`);
  }
}

const perSecond = Math.round(result.frames / (result.elapsedMs / 1000));
const table = (counts: Record<string, number>) =>
  Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) =>
    `  ${k.padEnd(28)} ${String(v).padStart(9)}`
  ).join("\n");
console.log(`seed        ${seed}`);
console.log(`frames      ${result.frames}`);
console.log(
  `frames/s    ${perSecond} (each decoded twice, over different junk)`,
);
console.log(`escapes     ${result.escapes}`);
console.log(`violations  ${result.violations}`);
if (engine !== null) console.log(`engine errors ${engineErrors}`);
console.log(`frames by source:\n${table(result.sources)}`);
console.log(`records by outcome:\n${table(result.outcomes)}`);
console.log(`events by name:\n${table(result.events)}`);
console.log(`notes by name:\n${table(result.notes)}`);
for (const p of result.problems) console.error(p);
Deno.exit(result.escapes + result.violations + engineErrors > 0 ? 1 : 0);
