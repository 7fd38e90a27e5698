/**
 * @module own_traffic
 * Anomaly's own web traffic (the UI, its API, /metrics) kept out of the capture it serves: a
 * live capture on an interface that carries it (`-i lo` with the UI on 127.0.0.1, or any
 * interface when the UI listens on all addresses) would otherwise see every poll of the page or
 * of a Prometheus scraper as traffic, and a fast poller as a flood or a fan-out. The exclusion is
 * part of the capture's BPF filter, so the kernel drops those packets before anything counts
 * them: they feed neither detection nor the summary. Only TCP to or from the UI's own address
 * and port is left out; other traffic to that port (a scan of it from elsewhere, another host's
 * service on the same port) is still seen.
 */

/** Where the UI listens. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Host names that listen on every address of the machine. */
const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * The addresses a listener on `hostname` answers on: all of `hostAddresses()` for a wildcard,
 * both loopbacks for "localhost", else the address itself (brackets and IPv6 zone removed).
 */
export function listeningAddresses(hostname: string, hostAddresses: () => string[]): string[] {
  const bare = (address: string) => address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (WILDCARDS.has(hostname)) {
    const all = hostAddresses().map(bare).filter((a) => a !== "");
    return [...new Set(["127.0.0.1", "::1", ...all])];
  }
  if (hostname === "localhost") return ["127.0.0.1", "::1"];
  return [bare(hostname)];
}

/** The BPF expression that matches the listener's own TCP packets (both directions). */
export function ownTrafficFilter(listen: ListenAddress, hostAddresses: () => string[]): string {
  const addresses = listeningAddresses(listen.hostname, hostAddresses);
  const side = (dir: "src" | "dst") =>
    `(${dir} port ${listen.port} and (${addresses.map((a) => `${dir} host ${a}`).join(" or ")}))`;
  return `(tcp and (${side("src")} or ${side("dst")}))`;
}

/** `filter` (the user's, "" = everything) with the packets of `own` taken out. */
export function excludingOwnTraffic(filter: string, own: string): string {
  return filter.trim() === "" ? `not ${own}` : `(${filter}) and not ${own}`;
}

/**
 * The request a live capture opens with while the UI listens on `listen`: its filter leaves the
 * UI's traffic out. File reads and captures before the UI listens are left as they are.
 */
export function withoutOwnTraffic<R extends { device?: string; filter: string }>(
  request: R,
  listen: ListenAddress | undefined,
  hostAddresses: () => string[],
): R {
  if (request.device === undefined || listen === undefined) return request;
  return {
    ...request,
    filter: excludingOwnTraffic(request.filter, ownTrafficFilter(listen, hostAddresses)),
  };
}
