import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { packageRoot } from "../package-root.js";

/** One file the dashboard serves, ready to send: read once, kept in memory. */
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
  /** How long loading took, in milliseconds. */
  readonly loadMs: number;
}

/** One entry of `manifest.json`, which `npm run build` writes beside the files (see build-dashboard.ts). */
export interface DashboardManifestEntry {
  /** The file's name in the assets directory (a plain name, no directory). */
  readonly file: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** `manifest.json`: the request path of every file the dashboard serves. */
export interface DashboardManifest {
  readonly files: Readonly<Record<string, DashboardManifestEntry>>;
}

/** Where the dashboard's URLs live besides `/`. */
export const dashboardPathPrefix = "/dashboard/";

/** The manifest's name in the assets directory. */
export const dashboardManifestName = "manifest.json";

/** `dist/dashboard/` of this package, where `npm run build` writes the bundle. */
export const defaultDashboardDir = fileURLToPath(new URL("dist/dashboard/", packageRoot));

/** A file the dashboard serves, with its validator and, when smaller, its gzipped form. */
export function dashboardAsset(contentType: string, cacheControl: string, content: string | Uint8Array): DashboardAsset {
  const body = Buffer.from(content);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const gzip = gzipSync(body, { level: 9 });
  return { contentType, cacheControl, etag, body, ...(gzip.length < body.length ? { gzip } : {}) };
}

/**
 * Reads the prebuilt dashboard (`npm run build`) from `dir` (default: `defaultDashboardDir`): the manifest, then
 * every file it names. Nothing is bundled or compiled here. Rejects, saying to run the build, when the directory
 * or a file is missing.
 */
export async function loadDashboardAssets(dir: string = defaultDashboardDir): Promise<DashboardAssets> {
  const started = performance.now();
  let manifest: DashboardManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, dashboardManifestName), "utf8")) as DashboardManifest;
  } catch (error) {
    throw new Error(`no dashboard bundle in ${dir} (run npm run build): ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const entries = await Promise.all(
    Object.entries(manifest.files).map(async ([path, entry]): Promise<[string, DashboardAsset]> => {
      // The manifest names files in this directory only.
      if (!/^[\w.-]+$/.test(entry.file) || entry.file.startsWith(".")) {
        throw new Error(`the dashboard manifest in ${dir} names "${entry.file}", which is not a file of that directory`);
      }
      return [path, dashboardAsset(entry.contentType, entry.cacheControl, await readFile(join(dir, entry.file)))];
    }),
  );
  if (!entries.some(([path]) => path === "/")) throw new Error(`the dashboard manifest in ${dir} has no page for /`);
  return { files: new Map(entries), loadMs: Math.round(performance.now() - started) };
}
