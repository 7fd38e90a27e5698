/**
 * @module json_shape
 * One cheap pass over JSON text, before JSON.parse sees it, for what JSON.parse cannot tell:
 * how deep it nests (deep nesting overflows recursive code, and the scan stops at the limit
 * without recursing) and whether an object names one key twice (JSON.parse keeps the last
 * silently, and neither the parsed value nor a reviver can see the first).
 *
 * The scan only tracks brackets, commas and strings, so it tolerates invalid JSON; its
 * duplicate finding is meaningful only for text JSON.parse accepts.
 */

/** What the scan found. */
export interface JsonShape {
  /** Nesting went past `maxDepth`; the scan stopped there. */
  tooDeep: boolean;
  /** The first key named twice in one object: the object's path ("" at the top) and the key. */
  duplicate?: { at: string; key: string };
}

interface Frame {
  object: boolean;
  /** Path of this container, e.g. "detect.network_thresholds[1]". */
  path: string;
  keys: Set<string>;
  /** In an object: the next string is a key. */
  expectKey: boolean;
  lastKey: string;
  /** In an array: index of the current element. */
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Scans `text` for nesting deeper than `maxDepth` and for a key given twice in one object.
 *
 * @example Duplicate key
 * ```ts
 * scanJsonShape('{"a": {"b": 1, "b": 2}}', 32); // { tooDeep: false, duplicate: { at: "a", key: "b" } }
 * ```
 */
export function scanJsonShape(text: string, maxDepth: number): JsonShape {
  const stack: Frame[] = [];
  let duplicate: JsonShape["duplicate"];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (top?.object && top.expectKey) {
        const key = decodeString(text.slice(i, end + 1));
        if (top.keys.has(key)) duplicate ??= { at: top.path, key };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (stack.length >= maxDepth) return { tooDeep: true };
      stack.push(frame(stack.at(-1), c === OPEN_BRACE));
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA) {
      const top = stack.at(-1);
      if (top !== undefined) {
        top.expectKey = top.object;
        top.index++;
      }
    }
  }
  return duplicate === undefined ? { tooDeep: false } : { tooDeep: false, duplicate };
}

function frame(parent: Frame | undefined, object: boolean): Frame {
  let path = "";
  if (parent?.object) {
    path = parent.path === "" ? parent.lastKey : `${parent.path}.${parent.lastKey}`;
  } else if (parent !== undefined) path = `${parent.path}[${parent.index}]`;
  return { object, path, keys: new Set(), expectKey: object, lastKey: "", index: 0 };
}

/** Index of the quote closing the string opened at `start` (the last index if unclosed). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length - 1;
}

/** The key as JSON.parse reads it ("\u0061" and "a" are one key); the raw text if invalid. */
function decodeString(token: string): string {
  if (!token.includes("\\") && token.length >= 2) return token.slice(1, -1);
  try {
    const value: unknown = JSON.parse(token);
    return typeof value === "string" ? value : token;
  } catch {
    return token;
  }
}
