/**
 * @module server
 * The web UI's Hono app: the page and its assets (embedded through static text imports, so
 * `deno compile` carries them), the JSON API, the event stream and the metrics.
 *
 * Security, in the order requests meet it:
 * - every response carries a Content-Security-Policy without inline scripts, nosniff, no framing
 *   and no referrer;
 * - without a token, only loopback host names are answered (a DNS-rebinding page gets 403);
 * - with a token, every API call, the event stream and the metrics need
 *   `Authorization: Bearer TOKEN`;
 * - state-changing requests (any method but GET and HEAD) from another origin are refused.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { isLoopbackHost } from "../core/packet/ip_address.ts";
import { log } from "../core/records/diagnostics.ts";
import type { CaptureClient } from "../core/run/run_log.ts";
import type { Controller } from "./controller.ts";
import { ControllerError, type ControllerEvent } from "./controller_api.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
import { FailureBudgets } from "./failure_budget.ts";
import { tokenGuard } from "./token_guard.ts";
import { readBodyCapped } from "./read_body.ts";
import { AlertHistory } from "../core/store/alert_history.ts";
import { registerAlertRoutes } from "./alert_routes.ts";
import { wholeNumber } from "./alert_params.ts";
import { registerHostRoutes } from "./host_routes.ts";
import { registerPcapRoute } from "./pcap_route.ts";
import { ASSETS } from "./page_assets.ts";
import { summaryInRange } from "./summary_range.ts";

/** Options of the app. */
export interface AppOptions {
  /** When set, API calls, the event stream and the metrics need `Authorization: Bearer TOKEN`. */
  token?: string;
  /** Origins besides the page's own that may send state-changing requests. */
  allowedOrigins?: readonly string[];
  /** Events queued for one slow event-stream client before it is disconnected (default 1000). */
  maxQueuedEvents?: number;
  /** Milliseconds between keep-alive comments on the event stream (default 15000). */
  keepAliveMs?: number;
  /** Wrong or missing tokens answered per second and client address (default 2). */
  tokenFailuresPerS?: number;
  /** The alert history GET /api/alerts and /api/hosts answer from (default: none, empty). */
  history?: AlertHistory;
  /** The outputs the config enables: their /metrics series exist at 0 before the first capture. */
  outputs?: readonly string[];
}

/** The shortest token accepted off loopback: 16 characters resist guessing at any rate. */
export const MIN_TOKEN_LENGTH = 16;

/** The page's Content-Security-Policy: no inline script, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const START_FIELDS = ["interface", "filter"] as const;
/** The chart's stored seconds before any capture (summary.series_seconds' default). */
const SERIES_SECONDS = 300;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_FILTER_LENGTH = 8192;

/**
 * Builds the UI's Hono app around `controller`.
 *
 * @param controller the capture state machine the API drives
 * @param options token and extra allowed origins
 * @returns the app; serve it with `Deno.serve({ port }, app.fetch)`
 * @example
 * const app = createApp(controller, { token: Deno.env.get("ANOMALY_TOKEN") });
 * Deno.serve({ hostname: "127.0.0.1", port: 8080 }, app.fetch);
 */
export function createApp(controller: Controller, options: AppOptions = {}): Hono {
  const { token, allowedOrigins = [], maxQueuedEvents = 1000, keepAliveMs = 15_000 } = options;
  const app = new Hono();
  const failures = new FailureBudgets({ perSecond: options.tokenFailuresPerS ?? 2 });

  app.use(securityHeaders());
  app.use(hostGuard(token !== undefined));
  app.use("/api/*", tokenGuard(token, failures));
  app.use("/metrics", tokenGuard(token, failures));
  app.use(originGuard(allowedOrigins));

  for (const [path, asset] of Object.entries(ASSETS)) {
    app.get(path, (c) => {
      c.header("Content-Type", asset.type);
      c.header("Cache-Control", "no-cache");
      return c.body(asset.body);
    });
  }

  app.get("/api/status", (c) => c.json(controller.status()));

  app.get("/api/interfaces", (c) => {
    const status = controller.status();
    return c.json({
      interfaces: controller.interfaces(),
      default: status.defaults.interface,
      read: status.defaults.read,
    });
  });

  app.post("/api/start", async (c) => {
    const body = await readJsonObject(c);
    if (body instanceof Response) return body;
    const problem = unknownFields(body, START_FIELDS);
    if (problem !== null) return error(c, 400, problem);
    const request: { interface?: string; filter?: string } = {};
    if (body.interface !== undefined) {
      if (typeof body.interface !== "string" || !/^[^\s\p{Cc}]{1,255}$/u.test(body.interface)) {
        return error(c, 400, '"interface" must be a device name (see GET /api/interfaces)');
      }
      request.interface = body.interface;
    }
    if (body.filter !== undefined) {
      if (typeof body.filter !== "string" || body.filter.length > MAX_FILTER_LENGTH) {
        return error(
          c,
          400,
          `"filter" must be a BPF expression of at most ${MAX_FILTER_LENGTH} characters`,
        );
      }
      request.filter = body.filter;
    }
    try {
      return c.json(await controller.start(request, apiClient(c, token !== undefined)));
    } catch (e) {
      return controllerError(c, e);
    }
  });

  app.post("/api/stop", async (c) => {
    const body = await readJsonObject(c);
    if (body instanceof Response) return body;
    const problem = unknownFields(body, []);
    if (problem !== null) return error(c, 400, problem);
    try {
      return c.json(await controller.stop());
    } catch (e) {
      return controllerError(c, e);
    }
  });

  const history = options.history ?? new AlertHistory(null);
  registerAlertRoutes(app, history);
  registerHostRoutes(app, { history, traffic: () => controller.session?.engine.summary ?? null });
  registerPcapRoute(app, history);

  app.get("/api/summary", (c) => {
    const query = c.req.query();
    const problem = unknownFields(query, ["seconds"]);
    if (problem !== null) return error(c, 400, problem.replace("field", "parameter"));
    const seconds = query.seconds === undefined ? undefined : wholeNumber(query.seconds, 1, 86_400);
    if (seconds === null) {
      return error(c, 400, `Bad seconds "${query.seconds}": expected 1 to 86400`);
    }
    return c.json(summaryInRange(controller, seconds, SERIES_SECONDS));
  });

  app.get("/api/events", (c) => {
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (stream) => {
      if (controller.closed) return;
      const queue: ControllerEvent[] = [];
      let overflow = false;
      let wake: (() => void) | null = null;
      const unsubscribe = controller.subscribe((event) => {
        if (queue.length >= maxQueuedEvents) overflow = true;
        else queue.push(event);
        wake?.();
      });
      stream.onAbort(() => wake?.());
      try {
        await stream.writeSSE({ event: "state", data: JSON.stringify(controller.status()) });
        await stream.writeSSE({ event: "summary", data: JSON.stringify(controller.summary()) });
        while (!stream.aborted && !stream.closed && !overflow) {
          const event = queue.shift();
          if (event !== undefined) {
            await stream.writeSSE({ event: event.type, data: JSON.stringify(event.data) });
            continue;
          }
          if (controller.closed) break;
          let timer: ReturnType<typeof setTimeout> | undefined;
          const timedOut = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), keepAliveMs);
          });
          clearTimeout(timer);
          wake = null;
          if (timedOut) await stream.write(": keep-alive\n\n");
        }
      } finally {
        unsubscribe();
      }
    });
  });

  app.get("/metrics", (c) => {
    c.header("Content-Type", METRICS_CONTENT_TYPE);
    return c.body(renderMetrics(controller, options.outputs ?? []));
  });

  app.all("/api/*", (c) => error(c, 404, `No API route ${c.req.method} ${c.req.path}`));
  app.notFound((c) => error(c, 404, `Not found: ${c.req.path}`));
  app.onError((e, c) => {
    log.error("UI request {method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error: e,
    });
    return error(c, 500, `Internal error: ${e.message}`);
  });
  return app;
}

/** Why listening on `hostname` without a token is refused, or null when it is fine. */
export function checkListenPolicy(hostname: string, token: string | undefined): string | null {
  if (isLoopbackHost(hostname)) return null;
  if (token === undefined) {
    return `Listening on ${hostname} lets other machines reach the UI: give a token with ` +
      `--token or ANOMALY_TOKEN (every API call must then carry it), or listen on 127.0.0.1`;
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    return `The token is too short to listen on ${hostname}: give --token or ANOMALY_TOKEN ` +
      `at least ${MIN_TOKEN_LENGTH} characters (e.g. from openssl rand -hex 16)`;
  }
  return null;
}

function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (c.req.path.startsWith("/api/") || c.req.path === "/metrics") {
      h.set("Cache-Control", "no-store");
    }
  };
}

/** Without a token, answers loopback host names only (a DNS-rebinding page gets 403). */
function hostGuard(tokenSet: boolean): MiddlewareHandler {
  return async function hostGuard(c, next) {
    if (!tokenSet) {
      const hostname = new URL(c.req.url).hostname;
      if (!isLoopbackHost(hostname)) {
        return error(
          c,
          403,
          `Host "${hostname}" refused: without a token the UI answers only on loopback names ` +
            `(127.0.0.1, localhost, [::1])`,
        );
      }
    }
    await next();
  };
}

/** Refuses state-changing requests whose Origin (or Sec-Fetch-Site) says another site sent them. */
function originGuard(allowedOrigins: readonly string[]): MiddlewareHandler {
  return async function originGuard(c, next) {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      const origin = c.req.header("Origin");
      const own = new URL(c.req.url).origin;
      if (origin !== undefined) {
        if (origin !== own && !allowedOrigins.includes(origin)) {
          return error(
            c,
            403,
            `Cross-origin request refused: ${origin} may not change the capture`,
          );
        }
      } else {
        const site = c.req.header("Sec-Fetch-Site");
        if (site === "cross-site" || site === "same-site") {
          return error(c, 403, `Cross-origin request refused (Sec-Fetch-Site: ${site})`);
        }
      }
    }
    await next();
  };
}

/** The request's JSON object body ({} when empty), or the 4xx response that refuses it. */
async function readJsonObject(c: Context): Promise<Record<string, unknown> | Response> {
  const type = c.req.header("Content-Type");
  if (type !== undefined && type !== "" && !/^application\/json\b/i.test(type)) {
    return error(c, 415, `Expected Content-Type: application/json, got ${type}`);
  }
  const length = Number(c.req.header("Content-Length") ?? 0);
  // Read while it streams, stopping at the cap: a chunked body has no length to check first.
  const text = length > MAX_BODY_BYTES ? null : await readBodyCapped(c.req.raw, MAX_BODY_BYTES);
  if (text === null) {
    return error(c, 413, `Body too large (at most ${MAX_BODY_BYTES} bytes)`);
  }
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return error(c, 400, `Bad JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return error(c, 400, "Bad JSON: expected an object");
  }
  return value as Record<string, unknown>;
}

function unknownFields(body: Record<string, unknown>, known: readonly string[]): string | null {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length === 0) return null;
  const allowed = known.length === 0 ? "none are accepted" : `expected ${known.join(", ")}`;
  return `Unknown field${unknown.length > 1 ? "s" : ""} ${
    unknown.map((k) => `"${k}"`).join(", ")
  }: ${allowed}`;
}

/** Who sent an API request, for the log line of the capture it starts. */
function apiClient(c: Context, tokenRequired: boolean): CaptureClient {
  const peer = (c.env as { remoteAddr?: { hostname?: string; port?: number } } | undefined)
    ?.remoteAddr;
  const host = peer?.hostname ?? "unknown";
  const address = host.includes(":") ? `[${host}]` : host;
  return {
    address: peer?.port === undefined ? address : `${address}:${peer.port}`,
    token: tokenRequired,
  };
}

function controllerError(c: Context, e: unknown): Response {
  if (e instanceof ControllerError) {
    // "field" lets the page show the error next to the filter or interface that caused it.
    if (e.field !== undefined) return c.json({ error: e.message, field: e.field }, e.status);
    return error(c, e.status, e.message);
  }
  throw e;
}

function error(c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500, message: string) {
  return c.json({ error: message }, status);
}
