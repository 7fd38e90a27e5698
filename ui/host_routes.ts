/**
 * @module host_routes
 * GET /api/hosts/{ip}: one host opened. Its traffic comes from the current (or last) capture's
 * summary (what it sent and received, at what average rate, per protocol), its alerts from the
 * history, past runs included, as attacker (source) and as victim (destination). Opening a host
 * watches it (core/summary/watched_hosts.ts): its top peers and service ports are counted from
 * then on (`detail_since`), as they are for hosts named by an alert from the alert's start.
 */
import type { Context, Hono } from "hono";
import type { AlertHistory } from "../core/store/alert_history.ts";
import { isoOfUs, StoreUnavailableError } from "../core/store/alert_history.ts";
import type { TrafficSummary } from "../core/summary/summary.ts";
import { addressKey } from "../core/summary/watch_alert_hosts.ts";
import { canonicalAddress } from "./alert_params.ts";

/** Alerts listed per side by default and at most. */
const HOST_ALERTS = { limit: 50, max: 1000 };

/** Adds GET /api/hosts/{ip} to `app`; `traffic` gives the live summary, if any capture ran. */
export function registerHostRoutes(
  app: Hono,
  sources: { history: AlertHistory; traffic: () => TrafficSummary | null },
): void {
  app.get("/api/hosts/:ip", (c) => {
    const text = c.req.param("ip");
    const ip = canonicalAddress(text);
    if (ip === null) {
      return fail(
        c,
        400,
        `Bad address "${text.slice(0, 80)}": expected an IPv4 or IPv6 ` +
          "address, e.g. /api/hosts/10.0.0.5",
      );
    }
    const query = c.req.query();
    const unknown = Object.keys(query).filter((k) => k !== "limit");
    if (unknown.length > 0) {
      return fail(c, 400, `Unknown parameter "${unknown[0]}": expected limit`);
    }
    const limit = query.limit === undefined ? HOST_ALERTS.limit : Number(query.limit);
    if (!/^\d{1,4}$/.test(query.limit ?? "50") || limit < 1 || limit > HOST_ALERTS.max) {
      return fail(c, 400, `Bad limit "${query.limit}": expected 1 to ${HOST_ALERTS.max}`);
    }
    try {
      const asSource = sources.history.list({ srcIp: ip, limit });
      const asTarget = sources.history.list({ destIp: ip, limit });
      return c.json({
        ip,
        traffic: hostTraffic(sources.traffic(), ip, Date.now() * 1000),
        alerts: { as_source: asSource.alerts, as_target: asTarget.alerts },
        alerts_total: { as_source: asSource.total, as_target: asTarget.total },
      });
    } catch (error) {
      if (error instanceof StoreUnavailableError) return fail(c, 503, error.message);
      throw error;
    }
  });
}

/**
 * The host's counters in `summary` with its average packet rate over the capture and its
 * protocols; null when the summary does not hold it. Watches the host (from the summary's latest
 * packet time, or `wallUs` before any): its top peers and ports are those counted since
 * `detail_since` (null when `summary.watched_hosts` is 0).
 */
function hostTraffic(
  summary: TrafficSummary | null,
  ip: string,
  wallUs: number,
): Record<string, unknown> | null {
  if (summary === null) return null;
  const key = addressKey(ip)!;
  summary.watched.watch(key, summary.lastTimestampUs >= 0 ? summary.lastTimestampUs : wallUs, "ui");
  const counters = summary.hostTraffic(key);
  if (counters === null) return null;
  const detail = summary.watched.detail(key);
  const spanS = summary.firstTimestampUs >= 0
    ? Math.max(1, (summary.lastTimestampUs - summary.firstTimestampUs) / 1e6)
    : 1;
  const packets = counters.packets_sent + counters.packets_received;
  return {
    ...counters,
    rate_pps: Math.round(packets / spanS * 100) / 100,
    top_peers: detail?.peers ?? null,
    top_ports: detail?.ports ?? null,
    detail_since: detail === null ? null : isoOfUs(detail.since_us),
    detail_packets: detail?.packets ?? null,
    detail_watched_by: detail?.watched_by ?? null,
  };
}

function fail(c: Context, status: 400 | 503, message: string): Response {
  return c.json({ error: message }, status);
}
