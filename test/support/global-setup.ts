import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processRegistryVariable, stopLeftoverProcesses } from "./process-registry.js";

/**
 * vitest globalSetup of every tier: gives the run a process registry (see process-registry.ts) and, at the end,
 * stops whatever the tests started and did not stop (a setup that failed half-way, a worker ended early), so that
 * no etcd, kube-apiserver, docker-registry or server process outlives the run. What it had to stop is printed:
 * the test (or helper) that left it should be fixed.
 */
export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "update-manager-test-processes-"));
  // Workers are forked after global setup and inherit this environment.
  process.env[processRegistryVariable] = dir;
  return async () => {
    const stopped = await stopLeftoverProcesses(dir);
    for (const record of stopped) {
      process.stderr.write(`test teardown: stopped pid ${record.pid} left running by a test: ${record.command}\n`);
    }
  };
}
