/**
 * @module under_attack
 * `deno task bench --only attack`: the attack mix (bench/attack_mix.ts) beside the clean small
 * capture, in the same run: the speed table's figures for both (packets/s, time ratio against
 * `tcpdump -r F -w /dev/null`, peak RSS, CPU by thread), the alerts the attack mix raised, and
 * each detector's µs per packet on the main thread for both (bench/detector_cost.ts).
 *
 *   deno run -A bench/under_attack.ts [--packets 1000000] [--small 1000000] [--runs 3]
 *     [--rounds 3] [--passes 6]
 */
import { parseArgs } from "node:util";
import { attackMixCapture } from "./attack_mix.ts";
import { fmt, machine, table } from "./common.ts";
import { detectorCostBenchmark } from "./detector_cost.ts";
import { benchCapture, SPEED_CAPTION, SPEED_HEADER, speedRow } from "./speed.ts";

export interface UnderAttackOptions {
  /** Packets of the attack mix. */
  packets: number;
  /** Packets of the clean small capture it is compared with. */
  small: number;
  /** Runs of each speed measurement (the median is shown). */
  runs: number;
  /** Rounds and passes per process of the per-detector figures. */
  rounds: number;
  passes: number;
}

/** The "Under attack" tables, as markdown. */
export async function underAttackBenchmark(options: UnderAttackOptions): Promise<string> {
  const attack = await attackMixCapture(options.packets);
  const small = await benchCapture("small", options.small);
  const smallLabel = "small (scans, floods, pings)";
  const attackLabel = "attack mix (nmap, hping3 floods, random sources, ordinary traffic)";
  const smallRow = await speedRow(smallLabel, small, options.runs);
  const attackRow = await speedRow(attackLabel, attack, options.runs);
  const alerts = [...attackRow.alertStarts].sort((a, b) => b[1] - a[1])
    .map(([detector, n]) => `${detector} ${fmt(n)}`).join(", ");
  const costs = await detectorCostBenchmark({
    captures: [{ label: "small", file: small }, { label: "attack mix", file: attack }],
    rounds: options.rounds,
    runs: options.passes,
  });
  return `${SPEED_CAPTION(options.runs)}\n\n` +
    `${table(SPEED_HEADER, [smallRow.cells, attackRow.cells])}\n\n` +
    `Alert starts on the attack mix: ${alerts || "none"}\n\n${costs}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      packets: { type: "string", default: "1000000" },
      small: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      passes: { type: "string", default: "6" },
    },
  });
  const markdown = await underAttackBenchmark({
    packets: Number(values.packets),
    small: Number(values.small),
    runs: Math.max(1, Number(values.runs)),
    rounds: Math.max(1, Number(values.rounds)),
    passes: Math.max(1, Number(values.passes)),
  });
  console.log(`\nmachine: ${await machine()}\n\n${markdown}`);
}
