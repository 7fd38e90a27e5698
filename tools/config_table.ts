/**
 * Prints the README's configuration table from core/config.ts, so the two never disagree:
 * `deno run tools/config_table.ts` (tests/readme_test.ts checks the README holds every key).
 */
import { CONFIG_KEYS } from "../core/config.ts";

const rows = CONFIG_KEYS.map((k) => {
  const range = k.min !== undefined ? ` (${k.min} to ${k.max})` : "";
  return `| \`${k.key}\` | ${k.kind}${range} | \`${JSON.stringify(k.default)}\` | ${k.doc} |`;
});
console.log(
  ["| key | type | default | what it does, and the tradeoff |", "|---|---|---|---|", ...rows].join(
    "\n",
  ),
);
