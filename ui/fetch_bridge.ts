/**
 * @module fetch_bridge
 * Turns a node:http request into a fetch `Request` and writes a fetch `Response` back, so the
 * Hono app (`app.fetch`) runs unchanged on node:http (see http_server.ts for why node:http).
 * The request body is pulled only as the handler reads it (no prefetch), so a handler that stops
 * reading at its cap bounds the memory a large or endless body costs; a connection whose body
 * was not read to its end is closed after the response.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** What the bridge hands the handler besides the request (Hono sees it as `c.env`). */
export interface RequestInfo {
  remoteAddr: { transport: "tcp"; hostname: string; port: number };
}

/** A fetch-style handler (`app.fetch`). */
export type FetchHandler = (request: Request, info: RequestInfo) => Response | Promise<Response>;

/** How long a connection with an unread body may linger after its response. */
const LINGER_MS = 2000;

/** Host header values that are a plain host[:port] (anything else is refused with 400). */
const HOST_PATTERN = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Answers `req` with `handler`'s response; `fallbackHost` stands in for a missing Host. */
export async function bridge(
  req: IncomingMessage,
  res: ServerResponse,
  { handler, fallbackHost }: { handler: FetchHandler; fallbackHost: string },
): Promise<void> {
  const host = req.headers.host ?? fallbackHost;
  if (!HOST_PATTERN.test(host) || !(req.url ?? "").startsWith("/")) {
    return plain(res, 400, "Bad request: expected an origin-form target and a host[:port] Host");
  }
  const aborted = new AbortController();
  res.on("close", () => aborted.abort());
  const request = new Request(`http://${host}${req.url}`, {
    method: req.method,
    headers: toHeaders(req),
    signal: aborted.signal,
    ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: bodyOf(req), duplex: "half" }),
  });
  const info: RequestInfo = {
    remoteAddr: {
      transport: "tcp",
      hostname: req.socket.remoteAddress ?? "",
      port: req.socket.remotePort ?? 0,
    },
  };
  let response: Response;
  try {
    response = await handler(request, info);
  } catch {
    return plain(res, 500, "Internal Server Error");
  }
  await writeResponse(req, res, response);
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch { /* a header fetch refuses (bad bytes) is dropped, as Deno.serve would refuse it */ }
  }
  return headers;
}

/** The request body as a stream that reads the socket only when pulled. */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(new Uint8Array(value as Uint8Array));
    },
    cancel() {
      // Stop reading; the connection is closed once the response is written.
      req.pause();
    },
  }, { highWaterMark: 0 });
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  const unread = !req.complete;
  if (unread) res.setHeader("Connection", "close");
  res.writeHead(response.status);
  if (response.body !== null) {
    const reader = response.body.getReader();
    res.on("close", () => void reader.cancel().catch(() => {}));
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || res.destroyed) break;
        if (!res.write(value)) await drained(res);
      }
    } catch { /* the client went away, or the stream failed: end what was sent */ }
  }
  res.end(() => {
    if (unread) closeUnread(req);
  });
}

/**
 * Closes a connection whose body was left unread: FIN first, so the client reads the response
 * before the rest of its body is refused (an immediate reset can make it lose the response),
 * then a reset after LINGER_MS at most.
 */
function closeUnread(req: IncomingMessage): void {
  const socket = req.socket;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once("close", () => clearTimeout(timer));
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
  res.end(text);
}
