// Anomaly's page: calls to the JSON API with the token (if any) in the Authorization header, and
// downloads (exports, pcaps) fetched the same way so that they work behind a token too.
import { $ } from "./format.js";

let token = sessionStorage.getItem("anomaly-token") ?? "";

/** An API error: the server's one-line message, its HTTP status and the field it names. */
export class ApiError extends Error {
  constructor(message, status, field) {
    super(message);
    this.status = status;
    this.field = field ?? null;
  }
}

/** Takes a token from the URL's fragment (#token=..., never sent to the server) if there. */
export function takeTokenFromUrl() {
  if (!location.hash.startsWith("#token=")) return;
  setToken(decodeURIComponent(location.hash.slice("#token=".length)));
  history.replaceState(null, "", location.pathname);
}

export function setToken(value) {
  token = value;
  sessionStorage.setItem("anomaly-token", token);
}

export function headers(extra = {}) {
  return token === "" ? extra : { ...extra, Authorization: `Bearer ${token}` };
}

async function request(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new ApiError("This UI needs its token: enter it below", 401);
  }
  return response;
}

/** GETs (or sends) `path` and returns its JSON; throws ApiError with the server's message. */
export async function api(path, options = {}) {
  const response = await request(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(
      body.error ?? `${response.status} ${response.statusText}`,
      response.status,
      body.field,
    );
  }
  return body;
}

export function post(path, body) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Fetches `path` and saves it as a file named by its Content-Disposition, or `fallbackName`. */
export async function download(path, fallbackName) {
  const response = await request(path);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new ApiError(body.error ?? `${response.status} ${response.statusText}`, response.status);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
