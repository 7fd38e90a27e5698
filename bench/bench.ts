/**
 * @module bench
 * `deno task bench`: every figure of the README's Benchmark section, in one run, as markdown
 * tables under one machine line. Parts (all by default, in this order):
 *
 * - speed: `anomaly --read` (detection on) against `tcpdump -r FILE -w /dev/null` on a capture of
 *   small packets and one of full-size packets (bench/speed.ts)
 * - flood: 1 M spoofed sources SYN-flooding one host: peak RSS, flood reported, evictions
 *   (bench/spoofed_flood.ts)
 * - random: 2 M packets from random sources to random destinations and ports, IPv4 and IPv6,
 *   SYN/UDP/ICMP: peak RSS, heap after full GCs, every table, and whether it completes under
 *   --max-old-space-size=128 (bench/random_flood.ts)
 * - 10m: 10 M packets of mixed traffic: peak RSS and RSS over time (bench/long_run.ts)
 * - live: parallel `tcpreplay --topspeed` onto a veth while Anomaly captures live: offered
 *   packets/s, captured, kernel drops (bench/live.ts)
 *
 * Two more parts run only when named in --only (together about 6 minutes):
 *
 * - attack: the attack mix (nmap, hping3 floods, random sources, ordinary traffic, 1 M packets,
 *   bench/attack_mix.ts) beside the small capture: speed, CPU by thread, peak RSS, alerts, and
 *   each detector's µs per packet on the main thread (bench/under_attack.ts)
 * - live-attack: the live part replaying the attack mix (bench/live.ts --file)
 *
 *   deno run -A bench/bench.ts [--only speed,flood,random,10m,live,attack,live-attack] [--runs 3]
 *     [--small 1000000] [--large 1000000] [--flood-packets 1000000] [--flood-seconds 4]
 *     [--long-packets 10000000] [--long-gap 30] [--sample-ms 500]
 *     [--live-packets 1000000] [--replays 4] [--live-loops 1] [--live-nice 0,-10] [--buffer-mib N]
 *     [--attack-packets 1000000] [--cost-rounds 3] [--cost-passes 6]
 *
 * Figures only, no assertions on them; it exits 1 when a part failed or the flood was not
 * reported. Captures are made once in bench/data/ (real tools in network namespaces: root) and
 * reused afterwards.
 */
import { parseArgs } from "node:util";
import { machine } from "./common.ts";
import { liveBenchmark } from "./live.ts";
import { longRunBenchmark } from "./long_run.ts";
import { speedBenchmark } from "./speed.ts";
import { floodBenchmark } from "./spoofed_flood.ts";
import { randomFloodBenchmark } from "./random_flood.ts";
import { attackMixCapture } from "./attack_mix.ts";
import { underAttackBenchmark } from "./under_attack.ts";

const PARTS = ["speed", "flood", "random", "10m", "live", "attack", "live-attack"] as const;
type Part = (typeof PARTS)[number];
/** The parts run without --only; the others take minutes and are asked for by name. */
const DEFAULT_PARTS: readonly Part[] = ["speed", "flood", "random", "10m", "live"];

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: DEFAULT_PARTS.join(",") },
      runs: { type: "string", default: "3" },
      small: { type: "string", default: "1000000" },
      large: { type: "string", default: "1000000" },
      "flood-packets": { type: "string", default: "1000000" },
      "flood-seconds": { type: "string", default: "4" },
      "random-packets": { type: "string", default: "2000000" },
      "long-packets": { type: "string", default: "10000000" },
      "long-gap": { type: "string", default: "30" },
      "sample-ms": { type: "string", default: "500" },
      "live-packets": { type: "string", default: "1000000" },
      replays: { type: "string", default: "4" },
      "live-loops": { type: "string", default: "1" },
      "live-nice": { type: "string", default: "0,-10" },
      "buffer-mib": { type: "string" },
      "attack-packets": { type: "string", default: "1000000" },
      "cost-rounds": { type: "string", default: "3" },
      "cost-passes": { type: "string", default: "6" },
    },
  });
  const only = values.only.split(",").map((part) => part.trim()).filter((part) => part !== "");
  const unknown = only.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) {
    console.error(`--only takes ${PARTS.join(",")}, not ${unknown.join(",")}`);
    return 2;
  }
  const number = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`--${name} must be a number >= 0`);
    }
    return value;
  };
  const jobs: Record<Part, () => Promise<{ markdown: string; ok: boolean }>> = {
    speed: async () => ({
      markdown: await speedBenchmark({
        small: number("small"),
        large: number("large"),
        runs: Math.max(1, number("runs")),
      }),
      ok: true,
    }),
    flood: async () => {
      const { markdown, reported } = await floodBenchmark({
        packets: number("flood-packets"),
        seconds: number("flood-seconds"),
        runs: 1,
      });
      return { markdown, ok: reported };
    },
    random: () =>
      randomFloodBenchmark({
        packets: number("random-packets"),
        seconds: number("random-packets") / 100_000,
        v6Share: 0.5,
      }),
    "10m": async () => ({
      markdown: await longRunBenchmark({
        packets: number("long-packets"),
        base: number("small"),
        gapS: number("long-gap"),
        varyHosts: true,
        sampleMs: Math.max(50, number("sample-ms")),
      }),
      ok: true,
    }),
    live: async () => ({
      markdown: (await liveBenchmark({
        packets: number("live-packets"),
        replays: Math.max(1, number("replays")),
        loops: Math.max(1, number("live-loops")),
        bufferMib: values["buffer-mib"] === undefined ? undefined : number("buffer-mib"),
        nice: values["live-nice"].split(",").map(Number),
      })).markdown,
      ok: true,
    }),
    attack: async () => ({
      markdown: await underAttackBenchmark({
        packets: number("attack-packets"),
        small: number("small"),
        runs: Math.max(1, number("runs")),
        rounds: Math.max(1, number("cost-rounds")),
        passes: Math.max(1, number("cost-passes")),
      }),
      ok: true,
    }),
    "live-attack": async () => ({
      markdown: (await liveBenchmark({
        packets: number("attack-packets"),
        file: await attackMixCapture(number("attack-packets")),
        replays: Math.max(1, number("replays")),
        loops: Math.max(1, number("live-loops")),
        bufferMib: values["buffer-mib"] === undefined ? undefined : number("buffer-mib"),
        nice: values["live-nice"].split(",").map(Number),
      })).markdown,
      ok: true,
    }),
  };

  const started = performance.now();
  const sections: string[] = [];
  let failed = false;
  for (const part of PARTS.filter((p) => only.includes(p))) {
    console.error(`bench: ${part}...`);
    const partStarted = performance.now();
    try {
      const { markdown, ok } = await jobs[part]();
      sections.push(markdown);
      failed ||= !ok;
    } catch (error) {
      failed = true;
      sections.push(`${part}: **failed**: ${error instanceof Error ? error.message : error}`);
    }
    console.error(`bench: ${part} took ${((performance.now() - partStarted) / 1000).toFixed(0)} s`);
  }
  const took = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\nmachine: ${await machine()}; bench took ${took} s\n`);
  console.log(sections.join("\n\n"));
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
