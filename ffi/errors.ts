/**
 * @module errors
 * The one error type of the capture layer. Every message is a single line that names the problem,
 * the value involved and, where there is one, the fix. No trailing period.
 */

/** What went wrong, for callers that react differently (exit codes, UI text, tests). */
export type CaptureErrorCode =
  | "library_missing"
  | "no_such_device"
  | "permission_denied"
  | "bad_filter"
  | "not_a_capture"
  | "unreadable_file"
  | "truncated_file"
  | "device_gone"
  | "capture_failed";

const CODES: ReadonlySet<string> = new Set<CaptureErrorCode>([
  "library_missing",
  "no_such_device",
  "permission_denied",
  "bad_filter",
  "not_a_capture",
  "unreadable_file",
  "truncated_file",
  "device_gone",
  "capture_failed",
]);

/** A capture could not be opened, filtered or continued. */
export class CaptureError extends Error {
  override readonly name = "CaptureError";

  constructor(readonly code: CaptureErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }

  /** The plain form that crosses the worker boundary. */
  toJSON(): { code: CaptureErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  /** Rebuilds an error posted by the capture worker; unknown codes become `capture_failed`. */
  static fromJSON(value: { code: string; message: string }): CaptureError {
    const code = CODES.has(value.code) ? value.code as CaptureErrorCode : "capture_failed";
    return new CaptureError(code, value.message);
  }
}

/** Collapses libpcap's text (which may carry newlines or a trailing period) to one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ").trim().replace(/\.+$/, "");
}

/** Characters of a filter an error message quotes; the rest is summed up by its length. */
export const FILTER_QUOTE_CHARS = 80;

/**
 * A filter as error messages quote it: whole when short, else its first FILTER_QUOTE_CHARS
 * characters, "..." and its length, so a 7 KB expression never floods a message or a log line.
 */
export function quoteFilter(expression: string): string {
  if (expression.length <= FILTER_QUOTE_CHARS) return `"${expression}"`;
  return `"${expression.slice(0, FILTER_QUOTE_CHARS)}..." (${expression.length} characters)`;
}
