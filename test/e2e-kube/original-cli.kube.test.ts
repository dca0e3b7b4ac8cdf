/**
 * The original kubernetes-update-manager CLI (test/support/original-cli.ts) against the manager process on the real
 * control plane (1.20.2, fake node), with updates recorded as UpdateRuns (the queue lives there) and the default
 * rate limits: its exit code tells the truth in every case of issue 15. One control plane for the whole file.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { RolloutState } from "../../gen/updatemanager/v1/workload_pb.js";
import { type OriginalCliTarget, originalCliKeysFile, originalCliSuite } from "../support/original-cli-cases.js";
import { deploymentManifest, type KubeE2eEnvironment, type ManagerUnderTest, startKubeE2eEnvironment } from "./kube-e2e-environment.js";

const classifier = "shop";
/** A second full-scope key for the single pipelines (see OriginalCliTarget.singleKey). */
const singleKey = "kube-single-pipeline-key-0123456789";
/** A key that may only update the `platform` classifier. */
const platformKey = "kube-platform-only-key-0123456789";
let env: KubeE2eEnvironment;
let manager: ManagerUnderTest;
let target: OriginalCliTarget;

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
  const keysFile = join(env.plane.dir, "original-cli-keys.yaml");
  await writeFile(keysFile, originalCliKeysFile(platformKey, singleKey));
  manager = await env.startManager({
    env: {
      UPDATE_MANAGER_STORE: "kubernetes",
      UPDATE_MANAGER_API_KEYS_FILE: keysFile,
      // The default limits, as deployed (the environment raises them for its own tests).
      UPDATE_MANAGER_READ_RATE_PER_MINUTE: "100",
      UPDATE_MANAGER_READ_BURST: "50",
      UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: "10",
      UPDATE_MANAGER_WRITE_BURST: "5",
    },
  });
  const namespace = await env.createNamespace("legacy-cli");
  const repository = `registry.example.com/${namespace}/web`;
  for (const name of ["web", "worker"]) {
    await env.apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, `${repository}:1.0.0`, { classifier }) });
  }
  env.rules.crashLoop.add(`${namespace}/${repository}:2.0.0-broken`);
  // Wait (bounded) until the manager's cache holds both targets, rolled out.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { targets } = await manager.client.listTargets({ namespace });
    if (targets.length === 2 && targets.every((t) => t.rollout?.state === RolloutState.COMPLETE)) break;
    if (Date.now() > deadline) throw new Error(`the manager lists ${targets.length} settled targets of ${namespace}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  target = {
    apiUrl: manager.server.apiUrl,
    apiKey: env.apiKey,
    singleKey,
    classifier,
    repository,
    brokenTag: "2.0.0-broken",
    updateTimeoutMs: 120_000,
  };
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

originalCliSuite("the original CLI against the real control plane", () => target, platformKey, async (tags) => {
  for (const name of ["web", "worker"]) {
    const deployment = await env.apps.readNamespacedDeployment({ name, namespace: target.repository.split("/")[1]! });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(`${target.repository}:${tags.at(-1)}`);
  }
});
