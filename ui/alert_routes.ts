/**
 * @module alert_routes
 * The alert history's API (docs: /work/notes/api13.md, README "Web UI"): GET /api/alerts
 * (filtered, sorted, paged; CSV and JSON export), GET /api/alerts/{alert_id} (the alert, its
 * timeline and its evidence) and POST /api/alerts/{alert_id}/ack. Registered by ui/server.ts
 * after its token, host and origin guards, so these routes get the same checks.
 */
import type { Context, Hono } from "hono";
import {
  type AlertHistory,
  type AlertItem,
  StoreUnavailableError,
} from "../core/store/alert_history.ts";
import { alertsCsv } from "./alert_csv.ts";
import { parseAlertParams } from "./alert_params.ts";
import { readBodyCapped } from "./read_body.ts";

/** What an alert id looks like: the run prefix and sequence ("0mx8rt1p2-0001"). */
export const ALERT_ID = /^[0-9a-z-]{1,64}$/;
const MAX_ACK_BODY = 1024;

type ErrorStatus = 400 | 404 | 413 | 415 | 503;

/** Adds the alert routes to `app`, answering from `history`. */
export function registerAlertRoutes(app: Hono, history: AlertHistory): void {
  app.get("/api/alerts", (c) => {
    const listing = parseAlertParams(c.req.query());
    if (typeof listing === "string") return fail(c, 400, listing);
    return fromStore(c, () => {
      const { alerts, total } = history.list(listing.query);
      const { limit, offset = 0 } = listing.query;
      if (listing.format === "csv") {
        attachment(c, "csv");
        c.header("Content-Type", "text/csv; charset=utf-8");
        return c.body(alertsCsv(alerts));
      }
      if (listing.download) attachment(c, "json");
      return c.json({ alerts, total, offset, limit });
    });
  });

  app.get("/api/alerts/:id", (c) => {
    const id = c.req.param("id");
    if (!ALERT_ID.test(id)) return fail(c, 400, badId(id));
    return fromStore(c, () => {
      const found = history.get(id);
      if (found === null) return fail(c, 404, unknownId(id));
      return c.json({ ...found, evidence: evidenceOf(found.alert, found.timeline) });
    });
  });

  app.post("/api/alerts/:id/ack", async (c) => {
    const id = c.req.param("id");
    if (!ALERT_ID.test(id)) return fail(c, 400, badId(id));
    const acked = await readAcked(c);
    if (acked instanceof Response) return acked;
    return fromStore(c, () => {
      const done = history.ack(id, acked);
      if (done === undefined) return fail(c, 404, unknownId(id));
      return c.json({ alert_id: id, acked, acked_at: done.acked_at });
    });
  });
}

/**
 * What the detector recorded: the latest `detection.evidence` of the alert's records (bounded
 * lists with their true totals, when the detector writes them), over the counts every record has.
 */
export function evidenceOf(
  alert: AlertItem,
  timeline: readonly Record<string, unknown>[],
): Record<string, unknown> {
  const d = (alert.detection ?? {}) as Record<string, unknown>;
  const base: Record<string, unknown> = {
    observed: d.observed,
    peak: d.peak,
    threshold: d.threshold,
    window_s: d.window_s,
    count: d.count,
  };
  for (let i = timeline.length - 1; i >= 0; i--) {
    const evidence = (timeline[i]!.detection as { evidence?: unknown } | undefined)?.evidence;
    if (typeof evidence === "object" && evidence !== null && !Array.isArray(evidence)) {
      return { ...base, ...evidence };
    }
  }
  return base;
}

/** Runs a read of the history; a history that cannot be read is 503 with the reason. */
function fromStore(c: Context, read: () => Response): Response {
  try {
    return read();
  } catch (error) {
    if (error instanceof StoreUnavailableError) return fail(c, 503, error.message);
    throw error;
  }
}

/** The body's `acked` (a boolean), or the response refusing the body. */
async function readAcked(c: Context): Promise<boolean | Response> {
  const type = c.req.header("Content-Type");
  if (type !== undefined && type !== "" && !/^application\/json\b/i.test(type)) {
    return fail(c, 415, `Expected Content-Type: application/json, got ${type}`);
  }
  const text = await readBodyCapped(c.req.raw, MAX_ACK_BODY);
  if (text === null) return fail(c, 413, `Body too large (at most ${MAX_ACK_BODY} bytes)`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const keys = typeof body === "object" && body !== null ? Object.keys(body) : [];
  const acked = (body as { acked?: unknown } | undefined)?.acked;
  if (typeof acked !== "boolean" || keys.length !== 1) {
    return fail(c, 400, 'Bad body: expected {"acked": true} or {"acked": false}');
  }
  return acked;
}

function attachment(c: Context, extension: string): void {
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "-");
  c.header("Content-Disposition", `attachment; filename="alerts-${stamp}.${extension}"`);
}

function badId(id: string): string {
  return `Bad alert id "${id.slice(0, 80)}": expected 1 to 64 of 0-9, a-z and - ` +
    "(as in detection.alert_id)";
}

function unknownId(id: string): string {
  return `No alert "${id}" in the history (evicted, or from another log directory)`;
}

function fail(c: Context, status: ErrorStatus, message: string): Response {
  return c.json({ error: message }, status);
}
