/**
 * @module eve_schema
 * Validates records against Suricata's own EVE JSON schema (../shared/eve-schema.json beside
 * the project), with our top-level extension objects (`summary`, `detection`) set aside.
 * Users' clones have no ../shared/: tests then skip with a message.
 */
import { Ajv } from "ajv";

const SCHEMA_PATH = new URL("../../../shared/eve-schema.json", import.meta.url);

/** Our extension objects, set aside before validation. */
export const EXTENSION_KEYS = ["summary", "detection"] as const;

/** A validator, or null (with the reason printed) when the schema is not available. */
export function loadEveValidator(): ((record: Record<string, unknown>) => string | null) | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(SCHEMA_PATH);
  } catch {
    console.log(
      `skip: EVE schema not found at ${SCHEMA_PATH.pathname} (only in the dev workspace)`,
    );
    return null;
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(text));
  return (record) => {
    const core = { ...record };
    for (const key of EXTENSION_KEYS) delete core[key];
    if (validate(core)) return null;
    return ajv.errorsText(validate.errors);
  };
}
