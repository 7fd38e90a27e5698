/**
 * @module config_spec
 * The shape of a documented config key (KeySpec), shared by core/config/config.ts and the key tables
 * (core/config/ui_keys.ts, core/detect/detect_keys.ts); a leaf module, so neither imports the other.
 */

/** The kinds of value a key takes. */
export type KeyKind =
  | "integer"
  | "number"
  | "boolean"
  | "cidrs"
  | "ports"
  | "network_overrides"
  | "string"
  | "strings"
  | "string_map";

/**
 * One entry of a `network_overrides` key, normalised as it is printed and read back: the
 * networks, and dotted threshold keys (each with `perNetwork`) with their values.
 */
export type NetworkOverride = { readonly networks: readonly string[] } & {
  readonly [key: string]: number | readonly string[];
};

/** One documented key. */
export interface KeySpec {
  /** Dotted path, e.g. "log.max_bytes". */
  key: string;
  kind: KeyKind;
  default:
    | number
    | boolean
    | string
    | readonly string[]
    | readonly number[]
    | readonly NetworkOverride[]
    | Readonly<Record<string, string>>;
  min?: number;
  max?: number;
  /** A threshold that `detect.network_thresholds` may set per network. */
  perNetwork?: boolean;
  /**
   * A further check of a value of the right kind (an address's scheme, a mode's name): why it is
   * refused, with the fix, or null when it is fine.
   */
  check?: (value: never) => string | null;
  /** What it does and what raising or lowering it costs. */
  doc: string;
}
