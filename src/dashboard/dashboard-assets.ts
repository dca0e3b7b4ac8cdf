import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One file the dashboard serves, ready to send: built once, kept in memory. */
export interface DashboardAsset {
  readonly contentType: string;
  readonly cacheControl: string;
  /** A strong validator of `body`. */
  readonly etag: string;
  readonly body: Buffer;
  /** `body` gzipped, when that is smaller. */
  readonly gzip?: Buffer;
}

/** The dashboard's files by request path (`/`, `/dashboard/app-<hash>.js`, ...). */
export interface DashboardAssets {
  readonly files: ReadonlyMap<string, DashboardAsset>;
  /** How long bundling took, in milliseconds. */
  readonly bundleMs: number;
}

/** Where the dashboard's URLs live besides `/`. */
export const dashboardPathPrefix = "/dashboard/";

// Hashed names change with their content, so browsers may keep them for good; the page itself is
// revalidated on every load so a new server version is picked up at once.
const immutable = "public, max-age=31536000, immutable";
const revalidate = "no-cache";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/**
 * The favicon, inline so that the page needs no `data:` URL (the CSP allows only 'self') and the browser's
 * automatic `/favicon.ico` request is not the first thing in the console.
 */
const faviconSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f5fbf"/>' +
  '<path d="M8 3v7M4.5 7 8 10.5 11.5 7M4 13h8" stroke="#fff" stroke-width="1.6" fill="none" stroke-linecap="round"/></svg>';

function asset(contentType: string, cacheControl: string, content: string | Uint8Array): DashboardAsset {
  const body = Buffer.from(content);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const gzip = gzipSync(body, { level: 9 });
  return { contentType, cacheControl, etag, body, ...(gzip.length < body.length ? { gzip } : {}) };
}

function hashed(name: string, extension: string, content: Uint8Array): string {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 16);
  return `${dashboardPathPrefix}${name}-${hash}.${extension}`;
}

/**
 * Bundles the browser code (`browser/main.ts` with `gen/` and `@connectrpc/connect-web`) with esbuild into
 * memory and fills the page template. Takes a few hundred milliseconds, once per process: no build step and
 * no build artefact in the repository. esbuild is loaded only here, so a process that never serves the
 * dashboard never loads it.
 */
export async function bundleDashboard(): Promise<DashboardAssets> {
  const started = performance.now();
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [here("./browser/main.ts")],
    bundle: true,
    write: false,
    outfile: "app.js",
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const script = result.outputFiles[0]?.contents;
  if (script === undefined) throw new Error("esbuild produced no output for the dashboard");
  const [template, style] = await Promise.all([
    readFile(here("./index.html"), "utf8"),
    readFile(here("./dashboard.css")),
  ]);
  const scriptPath = hashed("app", "js", script);
  const stylePath = hashed("app", "css", style);
  const page = template.replace("{{script}}", scriptPath).replace("{{style}}", stylePath);
  const files = new Map<string, DashboardAsset>([
    ["/", asset("text/html; charset=utf-8", revalidate, page)],
    [scriptPath, asset("text/javascript; charset=utf-8", immutable, script)],
    [stylePath, asset("text/css; charset=utf-8", immutable, style)],
    [`${dashboardPathPrefix}favicon.svg`, asset("image/svg+xml", "public, max-age=86400", faviconSvg)],
  ]);
  return { files, bundleMs: Math.round(performance.now() - started) };
}
