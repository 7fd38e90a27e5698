/**
 * @module token_guard
 * The API's token check: `Authorization: Bearer TOKEN`, compared in constant time. Each failed
 * check spends the client's failure budget (failure_budget.ts); a client whose budget is spent
 * gets 429 before any comparison until it refills, so one address guesses a few times per
 * second at most. Clients that never fail are never slowed.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { FailureBudgets } from "./failure_budget.ts";

/** Refuses calls without `token` (401, or 429 once the client's failures are spent). */
export function tokenGuard(token: string | undefined, failures: FailureBudgets): MiddlewareHandler {
  const expected = token === undefined ? null : new TextEncoder().encode(token);
  return async function tokenGuard(c, next) {
    if (expected !== null) {
      const client = clientAddress(c);
      if (!failures.allows(client)) {
        c.header("Retry-After", String(failures.retryAfterS(client)));
        return c.json({ error: "Too many wrong tokens: wait, then retry with the right one" }, 429);
      }
      const header = c.req.header("Authorization") ?? "";
      const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
      if (!sameBytes(new TextEncoder().encode(given), expected)) {
        failures.fail(client);
        c.header("WWW-Authenticate", 'Bearer realm="anomaly"');
        const message = given === ""
          ? "This UI needs its token: send Authorization: Bearer TOKEN"
          : "Wrong token";
        return c.json({ error: message }, 401);
      }
    }
    await next();
  };
}

/** The peer's address as the server hands it (Deno.serve's info or fetch_bridge's, as c.env). */
function clientAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

/**
 * Compares `given` with `expected` in time that depends on `expected`'s length only: every byte
 * of `expected` is visited whatever `given` holds, so timing tells nothing about a prefix.
 */
function sameBytes(given: Uint8Array, expected: Uint8Array): boolean {
  let diff = given.length ^ expected.length;
  const width = Math.max(given.length, 1);
  for (let i = 0; i < expected.length; i++) diff |= (given[i % width] ?? 0) ^ expected[i]!;
  return diff === 0;
}
