import { spawnSync } from "node:child_process";

/**
 * Vitest global setup of the tiers that start the server process: they run the production entry point from
 * dist/, so the build runs once per test run, before any file, and only when an input changed (`--if-stale`).
 */
export default function setup(): void {
  const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts", "--if-stale"], { stdio: "inherit" });
  if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status ?? built.signal}): the server cannot start`);
}
