/**
 * @module readme_tables
 * The README's detector and configuration tables, made from the code so they never disagree.
 * `deno run -A tools/readme_tables.ts --write` rewrites them between their markers in README.md;
 * tests/readme_test.ts checks the README holds exactly what this makes.
 */
import { CONFIG_KEYS } from "../core/config/config.ts";
import { DETECTOR_NAMES, detectorInfo } from "../core/detect/catalog.ts";

/** Table name -> its lines, as written between `<!-- NAME:begin -->` and `<!-- NAME:end -->`. */
export function readmeTables(): Record<string, string> {
  return { detectors: detectorTable().join("\n"), config: configTable().join("\n") };
}

/** `readme` with every table replaced by what the code says now. */
export function withTables(readme: string): string {
  let out = readme;
  for (const [name, table] of Object.entries(readmeTables())) {
    const pattern = new RegExp(`<!-- ${name}:begin -->[\\s\\S]*?<!-- ${name}:end -->`);
    out = out.replace(pattern, `<!-- ${name}:begin -->\n${table}\n<!-- ${name}:end -->`);
  }
  return out;
}

function configTable(): string[] {
  const rows = CONFIG_KEYS.map((k) => {
    const range = k.min !== undefined ? ` (${k.min} to ${k.max})` : "";
    return `| \`${k.key}\` | ${k.kind}${range} | \`${JSON.stringify(k.default)}\` | ${k.doc} |`;
  });
  return [
    "| key | type | default | what it does, and the tradeoff |",
    "|---|---|---|---|",
    ...rows,
  ];
}

function detectorTable(): string[] {
  const rows = DETECTOR_NAMES.map((name) => {
    const d = detectorInfo(name);
    return `| \`${name}\` | ${d.signatureId} | ${d.summary} | ${d.category} | ${d.severity} |`;
  });
  return [
    "| detector | signature_id | fires when | category | severity |",
    "|---|---|---|---|---|",
    ...rows,
  ];
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  const updated = withTables(Deno.readTextFileSync(path));
  if (Deno.args.includes("--write")) Deno.writeTextFileSync(path, updated);
  else console.log(Object.values(readmeTables()).join("\n\n"));
}
