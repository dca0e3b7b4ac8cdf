/**
 * The original kubernetes-update-manager CLI (test/support/original-cli.ts) against the real process
 * on the embedded demo cluster: its exit code tells the truth in every case of issue 15.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type OriginalCliTarget, originalCliKeysFile, originalCliSuite } from "../support/original-cli-cases.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

const apiKey = "e2e-original-cli-key-0123456789";
/** A second full-scope key for the single pipelines (see OriginalCliTarget.singleKey). */
const singleKey = "e2e-single-pipeline-key-0123456789";
/** A key that may only update the `platform` classifier. */
const platformKey = "e2e-platform-only-key-0123456789";
let server: ServerProcess;
let target: OriginalCliTarget;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "original-cli-"));
  const keysFile = join(directory, "keys.yaml");
  writeFileSync(keysFile, originalCliKeysFile(platformKey, singleKey));
  // The default limits (writes 10/min, burst 5; reads 100/min, burst 50), as deployed.
  server = await startServer({
    env: { UPDATE_MANAGER_API_KEY: apiKey, UPDATE_MANAGER_INSECURE_DEMO: "false", UPDATE_MANAGER_API_KEYS_FILE: keysFile },
  });
  target = {
    apiUrl: server.apiUrl,
    apiKey,
    singleKey,
    classifier: "shop",
    repository: "registry.example.com/shop/web",
    brokenTag: "2.0.0-broken",
    updateTimeoutMs: 120_000,
  };
});
afterAll(async () => {
  await server?.stop();
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
});

originalCliSuite("the original CLI against the embedded cluster", () => target, platformKey);
