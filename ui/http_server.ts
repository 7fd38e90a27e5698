/**
 * @module http_server
 * Serves a fetch handler (the Hono app) on node:http rather than Deno.serve. Deno.serve has no
 * connection limit, no header timeout and no hook on accepted connections: about 1,050
 * connections that never finished their headers used up the open-file limit, and its accept
 * error ended the process. Here:
 * - at most `maxConnections` at once: one more closes the oldest connection with no request in
 *   flight (idle keep-alive, or still sending headers), so idle clients cannot lock the UI out;
 * - headers must arrive within `headerTimeoutMs`, idle keep-alives close after `idleTimeoutMs`;
 * - request bodies are read only as the handler reads them (fetch_bridge.ts);
 * - server and socket errors (EMFILE on accept, resets) are logged once each, never thrown.
 */
import http from "node:http";
import type { Socket } from "node:net";
import { log } from "../core/records/diagnostics.ts";
import { bridge, type FetchHandler } from "./fetch_bridge.ts";

/** Where and how to serve. */
export interface UiServerOptions {
  hostname: string;
  port: number;
  maxConnections: number;
  headerTimeoutMs: number;
  idleTimeoutMs: number;
}

/** A running server. */
export interface UiServer {
  /** The address it listens on (port 0 resolved). */
  addr: { hostname: string; port: number };
  /** Connections open now. */
  readonly connections: number;
  /** Stops accepting and closes idle connections; resolves once all are closed. */
  shutdown(): Promise<void>;
}

/** How often node:http checks the header and request timeouts (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

/** How long shutdown waits for requests in flight before closing their connections. */
const FORCE_CLOSE_MS = 1000;

/** Serves `handler`; rejects when it cannot listen (the error carries node's `code`). */
export async function serveUi(options: UiServerOptions, handler: FetchHandler): Promise<UiServer> {
  const { hostname, port, maxConnections, headerTimeoutMs, idleTimeoutMs } = options;
  const connections = new Map<Socket, { busy: number }>();
  /** Set by shutdown: a connection closes as soon as its last request is answered. */
  let closing = false;
  const reported = new Set<string>();
  const reportOnce = (what: string, error: unknown) => {
    const code = (error as { code?: string }).code ?? String(error);
    if (reported.has(`${what}:${code}`)) return;
    reported.add(`${what}:${code}`);
    log.warn("UI {what}: {error} (reported once; the UI goes on)", { what, error: String(error) });
  };

  let host = hostname;
  const server = http.createServer({
    headersTimeout: headerTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: idleTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  } as http.ServerOptions, (req, res) => {
    const state = connections.get(req.socket);
    if (state !== undefined) state.busy++;
    res.once("close", () => {
      if (state !== undefined) state.busy--;
      // Shutting down: a keep-alive connection would otherwise hold server.close() for its
      // idle timeout after answering a request that was in flight.
      if (closing && state !== undefined && state.busy === 0) req.socket.destroy();
    });
    bridge(req, res, { handler, fallbackHost: host }).catch((error) => {
      reportOnce("request failed", error);
      res.destroy();
    });
  });
  server.on("connection", (socket: Socket) => {
    if (connections.size >= maxConnections && !evictIdle(connections)) {
      reportOnce("connection refused", new Error(`${maxConnections} requests in flight`));
      socket.destroy();
      return;
    }
    connections.set(socket, { busy: 0 });
    socket.on("error", (error) => {
      if (!isClientGone(error)) reportOnce("connection error", error);
    });
    socket.once("close", () => connections.delete(socket));
  });
  server.on("clientError", (_error: Error, socket: Socket) => {
    // Malformed requests and header timeouts: node answers 400/408 when it can; just close.
    if (!socket.destroyed) socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: hostname, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => reportOnce("listener error", error));
  const address = server.address();
  const bound = typeof address === "object" && address !== null
    ? { hostname: address.address, port: address.port }
    : { hostname, port };
  host = hostPort(bound.hostname, bound.port);
  return {
    addr: bound,
    get connections() {
      return connections.size;
    },
    shutdown: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        for (const [socket, state] of connections) if (state.busy === 0) socket.destroy();
        // A request still in flight a second later (a stuck client) does not hold the exit.
        const force = setTimeout(() => {
          for (const socket of connections.keys()) socket.destroy();
        }, FORCE_CLOSE_MS);
        Deno.unrefTimer(force);
      }),
  };
}

/** A client that went away (closed its tab, aborted a fetch): ordinary, not worth a warning. */
function isClientGone(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED") return true;
  return error instanceof Error && error.message === "aborted";
}

/** Closes the oldest connection with no request in flight; false when every one is busy. */
function evictIdle(connections: Map<Socket, { busy: number }>): boolean {
  for (const [socket, state] of connections) {
    if (state.busy > 0) continue;
    connections.delete(socket);
    socket.destroy();
    return true;
  }
  return false;
}

function hostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
