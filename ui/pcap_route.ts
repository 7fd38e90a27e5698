/**
 * @module pcap_route
 * GET /api/alerts/{alert_id}/pcap: the packets behind an alert (core/pcap/), the file
 * `pcap/<alert_id>.pcap` of the log directory the alert history reads, as a download. Served by
 * id from the folder itself, so an alert of a past run still has it, a pcap deleted to stay
 * under `pcap.max_total_bytes` is a 404, and a file still being written (its after-window not
 * over) is served as far as it is written: whole records only, a valid pcap.
 */
import type { Context, Hono } from "hono";
import { dirname, join } from "node:path";
import type { AlertHistory } from "../core/store/alert_history.ts";
import { ALERT_ID } from "./alert_routes.ts";

/** The pcap media type (IANA: application/vnd.tcpdump.pcap). */
export const PCAP_CONTENT_TYPE = "application/vnd.tcpdump.pcap";

/** Adds the route to `app`; the log directory is the one `history` reads (none: always 404). */
export function registerPcapRoute(app: Hono, history: AlertHistory): void {
  const logDirectory = history.path === null ? null : dirname(history.path);
  app.get("/api/alerts/:id/pcap", async (c) => {
    const id = c.req.param("id");
    if (!ALERT_ID.test(id)) {
      return fail(c, 400, `Bad alert id "${id.slice(0, 80)}": expected 1 to 64 of 0-9, a-z and -`);
    }
    const file = logDirectory === null ? null : await openPcap(join(logDirectory, "pcap"), id);
    if (file === null) {
      return fail(
        c,
        404,
        `No pcap for alert "${id}" (none was written: pcap.enabled off, pcap.max_open reached, ` +
          "or it was deleted to stay under pcap.max_total_bytes)",
      );
    }
    c.header("Content-Type", PCAP_CONTENT_TYPE);
    c.header("Content-Disposition", `attachment; filename="${id}.pcap"`);
    c.header("Content-Length", String(file.size));
    return c.body(file.stream);
  });
}

/**
 * The alert's pcap opened for reading, or null when there is none. The folder and the file must
 * be what Anomaly writes (a directory, a regular file), never a symbolic link to elsewhere.
 */
async function openPcap(
  folder: string,
  id: string,
): Promise<{ stream: ReadableStream<Uint8Array>; size: number } | null> {
  const path = join(folder, `${id}.pcap`);
  try {
    const [folderInfo, info] = await Promise.all([Deno.lstat(folder), Deno.lstat(path)]);
    if (!folderInfo.isDirectory || !info.isFile) return null;
    const file = await Deno.open(path, { read: true });
    // The size when opened: a file still growing is served up to there (whole records).
    const size = (await file.stat()).size;
    return { stream: file.readable.pipeThrough(limitTo(size)), size };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Passes the first `bytes` bytes and ends the stream there. */
function limitTo(bytes: number): TransformStream<Uint8Array, Uint8Array> {
  let left = bytes;
  return new TransformStream({
    transform(chunk, controller) {
      if (left <= 0) return;
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= part.length;
      controller.enqueue(part);
      if (left <= 0) controller.terminate();
    },
  });
}

function fail(c: Context, status: 400 | 404, message: string): Response {
  return c.json({ error: message }, status);
}
