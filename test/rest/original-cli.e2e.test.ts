/**
 * The original kubernetes-update-manager CLI (test/support/original-cli.ts) against the real process
 * on the embedded demo cluster: its exit code tells the truth in every case of issue 15.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  deniedAsFailed,
  fivePipelinesInOrder,
  nothingMatched,
  originalCliKeysFile,
  type OriginalCliTarget,
  rollsBackThenQuarantined,
  succeeds,
  tenPollersFor15s,
} from "../support/original-cli-cases.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

const apiKey = "e2e-original-cli-key-0123456789";
/** A key that may only update the `platform` classifier. */
/** A second full-scope key for the single pipelines (see OriginalCliTarget.singleKey). */
const singleKey = "e2e-single-pipeline-key-0123456789";
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

describe("the original CLI against the embedded cluster", () => {
  it("five pipelines with one key, one second apart: all exit 0, applied in order, the fifth image wins", async () => {
    await fivePipelinesInOrder(target, "3.0");
  }, 300_000);

  it("exits 0 for a successful update", async () => {
    await succeeds(target, "1.5.0");
  }, 150_000);

  it("exits 1 for a rolled-back update, and 1 for its quarantined image, the reason visible in GET", async () => {
    await rollsBackThenQuarantined(target);
  }, 150_000);

  it("exits 0 when nothing matched, with a finished update of zero counts", async () => {
    await nothingMatched(target);
  }, 30_000);

  it("exits 1 for a key without permission, the reason visible in GET", async () => {
    await deniedAsFailed(target, platformKey);
  }, 30_000);

  it("ten clients polling with one key for 15 s: no 429, no crash", async () => {
    await tenPollersFor15s(target, "4.0.0");
  }, 150_000);
});
