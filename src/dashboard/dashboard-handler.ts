import type http from "node:http";
import { type CoreLogger, silentLogger } from "../core/ports/logger.js";
import type { Http1Handler } from "../server/http1-router.js";
import { type DashboardAsset, type DashboardAssets, dashboardPathPrefix, loadDashboardAssets } from "./dashboard-assets.js";

export interface DashboardHandlerOptions {
  /** Where the load time and a failed load are reported. Default: silent. */
  logger?: CoreLogger;
  /**
   * Reads the files to serve; called once, when the handler is created. Default: `loadDashboardAssets`
   * (the prebuilt bundle in dist/dashboard/).
   */
  load?: () => Promise<DashboardAssets>;
}

/** Whether the dashboard can be served: for `/readyz` detail. */
export type DashboardStatus = { state: "loading" } | { state: "ready" } | { state: "failed"; reason: string };

/** The dashboard's HTTP/1.1 handler, with a promise that settles once its files are loaded. */
export interface DashboardHandler extends Http1Handler {
  /** Resolves true once the files are loaded, false when loading failed (the page then answers 503). */
  readonly ready: Promise<boolean>;
  /** The state now, with the reason of a failure. */
  status(): DashboardStatus;
}

/**
 * The policy for every dashboard response. Scripts, styles and API calls come from this origin only, with no
 * inline script or style, so injected markup could not run; the page may not be framed (clickjacking) and
 * posts no forms anywhere.
 */
export const dashboardContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: Readonly<Record<string, string>> = {
  "content-security-policy": dashboardContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** True for the paths the dashboard answers: `/` and everything under `/dashboard/`. */
function isDashboardPath(path: string): boolean {
  return path === "/" || path.startsWith(dashboardPathPrefix);
}

function sendText(response: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, {
    ...securityHeaders,
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...extra,
  });
  response.end(`${text}\n`);
}

/** True when `Accept-Encoding` lists gzip (or `*`) without `q=0`. */
function acceptsGzip(request: http.IncomingMessage): boolean {
  const header = request.headers["accept-encoding"];
  if (typeof header !== "string") return false;
  return header.split(",").some((entry) => {
    const [coding = "", ...parameters] = entry.split(";").map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith("q="));
    return (coding === "gzip" || coding === "*") && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function sendAsset(request: http.IncomingMessage, response: http.ServerResponse, file: DashboardAsset): void {
  const headers: Record<string, string> = {
    ...securityHeaders,
    "content-type": file.contentType,
    "cache-control": file.cacheControl,
    etag: file.etag,
    vary: "accept-encoding",
  };
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifNoneMatch?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === file.etag)) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const gzip = file.gzip !== undefined && acceptsGzip(request) ? file.gzip : undefined;
  const body = gzip ?? file.body;
  if (gzip !== undefined) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  response.writeHead(200, headers);
  response.end(request.method === "HEAD" ? undefined : body);
}

/**
 * Serves the browser dashboard on the API port: the page at `/` and its bundled script, style and icon under
 * `/dashboard/` (content-hashed names, cached for good). The files `npm run build` bundled are read into memory once,
 * when the handler is created, and looked up by exact path: nothing is read from disk per request, so no path can reach a file
 * that is not one of the dashboard's own. Requests that arrive while it loads wait for it.
 */
export function createDashboardHandler(options: DashboardHandlerOptions = {}): DashboardHandler {
  const logger = options.logger ?? silentLogger;
  let assets: DashboardAssets | undefined;
  let status: DashboardStatus = { state: "loading" };
  const ready = (options.load ?? loadDashboardAssets)().then(
    (loaded) => {
      assets = loaded;
      status = { state: "ready" };
      logger.info({ loadMs: loaded.loadMs, files: [...loaded.files.keys()] }, "dashboard loaded");
      return true;
    },
    (error: unknown) => {
      status = { state: "failed", reason: error instanceof Error ? error.message : String(error) };
      logger.error({ err: error }, "the dashboard could not be loaded: it answers 503");
      return false;
    },
  );

  function respond(request: http.IncomingMessage, response: http.ServerResponse, path: string): void {
    if (assets === undefined) {
      sendText(response, 503, "the dashboard could not be loaded; the server log and /readyz on the admin port say why", { "retry-after": "60" });
      return;
    }
    const file = assets.files.get(path);
    if (file === undefined) {
      sendText(response, 404, "not found");
      return;
    }
    sendAsset(request, response, file);
  }

  const handler: Http1Handler = (request, response) => {
    // The raw path, never decoded or normalised: it must equal one of the built files' paths exactly.
    const path = (request.url ?? "/").split("?", 1)[0]!;
    if (!isDashboardPath(path)) return false;
    if (request.method !== "GET" && request.method !== "HEAD") {
      sendText(response, 405, "method not allowed", { allow: "GET, HEAD" });
      return true;
    }
    if (assets !== undefined) respond(request, response, path);
    else void ready.then(() => respond(request, response, path));
    return true;
  };
  return Object.assign(handler, { ready, status: () => status });
}
