/**
 * @module server_options
 * The UI server's limits from the config (ui.* keys) and the process's open-file limit: the soft
 * limit is raised to the hard one first, and the connection cap is kept FD_RESERVE below what
 * remains, so connections can never take the files the capture and the logs need.
 */
import type { Config } from "../core/config/config.ts";
import { runSettings } from "../core/config/run_settings.ts";
import { log } from "../core/records/diagnostics.ts";
import { raiseOpenFileLimit } from "../ffi/rlimit.ts";
import type { UiServerOptions } from "./http_server.ts";

/** Open files kept out of the UI's reach: capture, logs, the runtime's own. */
const FD_RESERVE = 128;

/** Options for serveUi on `listen` under `config`. */
export function uiServerOptions(
  listen: { hostname: string; port: number },
  config: Config,
): UiServerOptions {
  const { ui } = runSettings(config);
  const wanted = ui.max_connections;
  const limit = raiseOpenFileLimit();
  let maxConnections = wanted;
  if (limit !== null && limit.soft - FD_RESERVE < wanted) {
    maxConnections = Math.max(8, limit.soft - FD_RESERVE);
    log.warn(
      "The open-file limit ({soft}) leaves room for {cap} UI connections, not ui.max_connections " +
        "{wanted}: raise it (ulimit -n, LimitNOFILE=) or lower the key",
      { soft: limit.soft, cap: maxConnections, wanted },
    );
  }
  return {
    hostname: listen.hostname,
    port: listen.port,
    maxConnections,
    headerTimeoutMs: ui.header_timeout_s * 1000,
    idleTimeoutMs: ui.idle_timeout_s * 1000,
  };
}
