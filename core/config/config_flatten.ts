/**
 * @module config_flatten
 * Turns a config object into dotted keys and values: `{"stats": {"interval_s": 5}}` and
 * `{"stats.interval_s": 5}` both give `stats.interval_s`. One key spelled both ways (or
 * half-dotted, `{"stats": {...}, "stats.interval_s": ...}`) is refused naming both spellings,
 * never resolved silently to whichever comes last.
 */
import { ConfigError } from "./config_error.ts";

/** Deepest object nesting walked: far beyond any key, well short of the stack's limit. */
const MAX_DEPTH = 32;

/**
 * The dotted keys and values of `value`, a JSON object. `isKey` stops the descent at a known key
 * (its value may itself be an object or list); `context` ends error messages (e.g. which entry).
 */
export function flattenKeys(
  value: unknown,
  options: { isKey: (key: string) => boolean; context?: string },
): [string, unknown][] {
  if (!isObject(value)) throw new ConfigError("Config must be a JSON object of keys and values");
  const out: [string, unknown][] = [];
  const spellings = new Map<string, string>();
  const where = options.context === undefined ? "" : ` in ${options.context}`;
  const walk = (node: Record<string, unknown>, segments: string[]): void => {
    if (segments.length > MAX_DEPTH) {
      throw new ConfigError(`Config nests deeper than ${MAX_DEPTH} levels${where}`);
    }
    for (const [name, child] of Object.entries(node)) {
      const path = [...segments, name];
      const key = path.join(".");
      if (!options.isKey(key) && isObject(child)) {
        walk(child, path);
        continue;
      }
      const spelling = path.map((part) => `"${part}"`).join(" > ");
      const earlier = spellings.get(key);
      if (earlier !== undefined) {
        throw new ConfigError(
          `Config key "${key}" is set twice${where}, as ${earlier} and as ${spelling}: ` +
            `keep one of them`,
        );
      }
      spellings.set(key, spelling);
      out.push([key, child]);
    }
  };
  walk(value, []);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
