/**
 * `npm run build`: compiles src/ and gen/ into dist/ (JavaScript with source maps, tsconfig.build.json) and bundles
 * the dashboard into dist/dashboard/ (hash-named files and manifest.json). The production entry point
 * (`npm run serve`) then needs neither a TypeScript loader nor a bundler. tsconfig.build.json leaves out
 * src/dashboard/browser/ (it reaches the server as the bundle) and src/dashboard/build-dashboard.ts (the only module
 * that imports esbuild), so nothing in dist/ can load a bundler.
 *
 *   node --import tsx scripts/build.ts              always rebuild (dist/ is removed first)
 *   node --import tsx scripts/build.ts --if-stale   only when an input changed since the last build
 *                                                   (`npm start`, the e2e, kube and browser tiers)
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { buildDashboard } from "../src/dashboard/build-dashboard.js";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
/** Written last: a build that failed halfway is never taken for a current one. */
const stamp = join(dist, "build-info.json");
const inputDirectories = ["src", "gen"];
const inputFiles = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.ts"];

/** The newest modification time among the build's inputs, in milliseconds. */
function newestInput(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return;
    newest = Math.max(newest, stats.mtimeMs);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const name of [...inputDirectories, ...inputFiles]) visit(join(root, name));
  return newest;
}

function isCurrent(): boolean {
  const built = statSync(stamp, { throwIfNoEntry: false });
  return built !== undefined && built.mtimeMs >= newestInput();
}

async function build(): Promise<void> {
  const started = performance.now();
  rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
  if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  const manifest = await buildDashboard(join(dist, "dashboard"));
  const ms = Math.round(performance.now() - started);
  writeFileSync(stamp, `${JSON.stringify({ builtAt: new Date().toISOString(), ms }, null, 2)}\n`);
  process.stdout.write(`build: dist/ in ${ms} ms (dashboard: ${Object.keys(manifest.files).join(" ")})\n`);
}

if (process.argv.includes("--if-stale") && existsSync(stamp) && isCurrent()) {
  process.stdout.write("build: dist/ is up to date\n");
} else {
  await build();
}
