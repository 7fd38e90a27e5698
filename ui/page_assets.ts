/**
 * @module page_assets
 * The page's files, embedded through static text imports (so `deno compile` carries them; a
 * dynamic import or a file read at run time would not be), by the path the server serves them at.
 * The page script is split in small ES modules, each served beside app.js.
 */
import page from "./index.html" with { type: "text" };
import appScript from "./app.js" with { type: "text" };
import apiScript from "./api.js" with { type: "text" };
import formatScript from "./format.js" with { type: "text" };
import statusScript from "./status.js" with { type: "text" };
import alertsScript from "./alerts.js" with { type: "text" };
import alertViewScript from "./alert_view.js" with { type: "text" };
import hostViewScript from "./host_view.js" with { type: "text" };
import summaryScript from "./summary.js" with { type: "text" };
import chartModule from "./chart.js" with { type: "text" };
import style from "./style.css" with { type: "text" };
import chartScript from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import chartStyle from "uplot/dist/uPlot.min.css" with { type: "text" };

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** Every page asset by its path: body and Content-Type. */
export const ASSETS: Readonly<Record<string, { body: string; type: string }>> = {
  "/": { body: page, type: HTML },
  "/app.js": { body: appScript, type: JS },
  "/api.js": { body: apiScript, type: JS },
  "/format.js": { body: formatScript, type: JS },
  "/status.js": { body: statusScript, type: JS },
  "/alerts.js": { body: alertsScript, type: JS },
  "/alert_view.js": { body: alertViewScript, type: JS },
  "/host_view.js": { body: hostViewScript, type: JS },
  "/summary.js": { body: summaryScript, type: JS },
  "/chart.js": { body: chartModule, type: JS },
  "/style.css": { body: style, type: CSS },
  "/vendor/uplot.js": { body: chartScript, type: JS },
  "/vendor/uplot.css": { body: chartStyle, type: CSS },
};

/** The page's own scripts (not the vendored chart library). */
export const PAGE_SCRIPTS: readonly string[] = Object.keys(ASSETS).filter((path) =>
  path.endsWith(".js") && !path.startsWith("/vendor/")
);
