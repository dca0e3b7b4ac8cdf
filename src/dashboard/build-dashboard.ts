import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DashboardManifest,
  type DashboardManifestEntry,
  dashboardManifestName,
  dashboardPathPrefix,
} from "./dashboard-assets.js";

// Build time only (`npm run build`, scripts/build.ts): the server reads what this writes and never loads esbuild.
// Excluded from tsconfig.build.json, so dist/ holds no module that imports a bundler.

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

function hashedName(name: string, extension: string, content: Uint8Array): string {
  return `${name}-${createHash("sha256").update(content).digest("hex").slice(0, 16)}.${extension}`;
}

/**
 * Bundles the browser code (`browser/main.ts` with `gen/` and `@connectrpc/connect-web`) with esbuild, fills the
 * page template and writes the page, the content-hashed script and stylesheet, the icon and `manifest.json` into
 * `outDir` (created when missing). Resolves with the manifest.
 */
export async function buildDashboard(outDir: string): Promise<DashboardManifest> {
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
  const [template, style] = await Promise.all([readFile(here("./index.html"), "utf8"), readFile(here("./dashboard.css"))]);
  const scriptName = hashedName("app", "js", script);
  const styleName = hashedName("app", "css", style);
  const page = template
    .replace("{{script}}", `${dashboardPathPrefix}${scriptName}`)
    .replace("{{style}}", `${dashboardPathPrefix}${styleName}`);
  const written: [path: string, entry: DashboardManifestEntry, content: string | Uint8Array][] = [
    ["/", { file: "index.html", contentType: "text/html; charset=utf-8", cacheControl: revalidate }, page],
    [`${dashboardPathPrefix}${scriptName}`, { file: scriptName, contentType: "text/javascript; charset=utf-8", cacheControl: immutable }, script],
    [`${dashboardPathPrefix}${styleName}`, { file: styleName, contentType: "text/css; charset=utf-8", cacheControl: immutable }, style],
    [`${dashboardPathPrefix}favicon.svg`, { file: "favicon.svg", contentType: "image/svg+xml", cacheControl: "public, max-age=86400" }, faviconSvg],
  ];
  await mkdir(outDir, { recursive: true });
  await Promise.all(written.map(([, entry, content]) => writeFile(join(outDir, entry.file), content)));
  const manifest: DashboardManifest = { files: Object.fromEntries(written.map(([path, entry]) => [path, entry])) };
  await writeFile(join(outDir, dashboardManifestName), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
