/**
 * @module eve_schema
 * Validates records against our own schema, tests/schema/anomaly-eve.schema.json: Suricata's
 * documented EVE alert and stats records as we write them, plus our extension objects
 * (`detection`, `summary`), which take no field the schema does not name. The schema is committed
 * with the tests, so every clone checks every record.
 */
import { Ajv } from "ajv";

/** Where the schema lives (committed). */
export const SCHEMA_URL = new URL("../schema/anomaly-eve.schema.json", import.meta.url);

/** Checks one record: null when it is valid, else every problem, one string. */
export type EveValidator = (record: Record<string, unknown>) => string | null;

let cached: EveValidator | null = null;

/** The validator of tests/schema/anomaly-eve.schema.json (compiled once per process). */
export function loadEveValidator(): EveValidator {
  if (cached !== null) return cached;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  const validate = ajv.compile(JSON.parse(Deno.readTextFileSync(SCHEMA_URL)));
  cached = (record) => {
    if (validate(record)) return null;
    return ajv.errorsText(validate.errors, { dataVar: "record" });
  };
  return cached;
}
