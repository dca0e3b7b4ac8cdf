/**
 * Approvals on the real control plane (1.20.2, fake node): an update a policy makes wait is recorded as an UpdateRun
 * in WaitingForApproval, keeps its state and its first approval across a manager restart (a new process on the same
 * UpdateRuns), and runs after the second approval. One control plane for the file.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { RolloutState } from "../../gen/updatemanager/v1/workload_pb.js";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import type { UpdateRunObject } from "../../src/store/kubernetes/update-run-codec.js";
import { deploymentManifest, type KubeE2eEnvironment, type ManagerUnderTest, startKubeE2eEnvironment } from "./kube-e2e-environment.js";

const aliceKey = "kube-approver-alice-0123456789abcdef";
const bobKey = "kube-approver-bob-0123456789abcdefgh";
const waitMs = 90_000;
let env: KubeE2eEnvironment;
let managerEnv: Record<string, string>;

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
  const keysFile = join(env.plane.dir, "approvers-keys.yaml");
  const approver = (name: string, key: string) =>
    `  - name: ${name}\n    sha256: ${hashApiKeyHex(key)}\n    rpcs: [approve, read]\n    classifiers: "*"\n    namespaces: "*"\n    repositories: "*"\n`;
  await writeFile(keysFile, `keys:\n${approver("alice", aliceKey)}${approver("bob", bobKey)}`);
  const policiesFile = join(env.plane.dir, "policies.yaml");
  await writeFile(policiesFile, "approvals:\n  policies:\n    - name: production\n      classifiers: [shop]\n      approvers: 2\n      deadline: 1h\n");
  managerEnv = { UPDATE_MANAGER_STORE: "kubernetes", UPDATE_MANAGER_API_KEYS_FILE: keysFile, UPDATE_MANAGER_POLICIES_FILE: policiesFile };
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

/** A client of the manager that authenticates with `key`. */
function clientAs(manager: ManagerUnderTest, key: string): Client<typeof UpdateService> {
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  return createClient(UpdateService, createGrpcTransport({ baseUrl: manager.server.apiUrl, interceptors: [bearer] }));
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${waitMs} ms: ${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function readRun(id: string): Promise<UpdateRunObject | undefined> {
  const api = env.adminKubeConfig.makeApiClient(CustomObjectsApi);
  const list = (await api.listNamespacedCustomObject({
    group: "updatemanager.io",
    version: "v1alpha1",
    namespace: "update-manager",
    plural: "updateruns",
  })) as { items: UpdateRunObject[] };
  return list.items.find((run) => run.spec.id === id);
}

describe("approvals with UpdateRuns", () => {
  it("waits in its UpdateRun, survives a manager restart, and proceeds after two approvals", async () => {
    const namespace = await env.createNamespace("approve");
    const repository = `registry.example.com/${namespace}/web`;
    await env.apps.createNamespacedDeployment({ namespace, body: deploymentManifest("web", `${repository}:1.0.0`, { classifier: "shop" }) });

    const first = await env.startManager({ env: managerEnv });
    await until("the target in the cache", () => first.client.listTargets({ namespace }), (answer) =>
      answer.targets.length === 1 && answer.targets[0]?.rollout?.state === RolloutState.COMPLETE,
    );
    const { update } = await first.client.update({ image: `${repository}:2.0.0`, classifier: "shop" });
    expect(update?.state).toBe(UpdateState.WAITING_FOR_APPROVAL);
    const id = update!.id;

    const waiting = await until("the run's first status", () => readRun(id), (run) => run?.status?.phase === "WaitingForApproval");
    expect(waiting?.spec.approval).toMatchObject({ required: 2, policy: 'policy "production"' });

    // The requester (the full-scope key) may not approve its own update.
    await expect(first.client.approveUpdate({ updateId: id })).rejects.toThrow(/OWN_UPDATE|may not approve/);
    const once = await clientAs(first, aliceKey).approveUpdate({ updateId: id });
    expect(once.update?.approvers).toEqual(["alice"]);
    await until("alice's approval in the run", () => readRun(id), (run) => run?.status?.approval?.approvals.length === 1);

    await first.stop();
    const second = await env.startManager({ env: managerEnv });
    const after = (await second.client.getUpdate({ updateId: id })).update;
    expect(after?.state).toBe(UpdateState.WAITING_FOR_APPROVAL);
    expect(after?.approvers).toEqual(["alice"]);
    const before = await env.apps.readNamespacedDeployment({ name: "web", namespace });
    expect(before.spec?.template.spec?.containers[0]?.image).toBe(`${repository}:1.0.0`);

    await clientAs(second, bobKey).approveUpdate({ updateId: id });
    const done = await until("the update's end", async () => (await second.client.getUpdate({ updateId: id })).update, (current) =>
      current?.state === UpdateState.SUCCEEDED || current?.state === UpdateState.FAILED || current?.state === UpdateState.ROLLED_BACK,
    );
    expect(done?.state).toBe(UpdateState.SUCCEEDED);
    expect(done?.approvers).toEqual(["alice", "bob"]);
    const changed = await env.apps.readNamespacedDeployment({ name: "web", namespace });
    expect(changed.spec?.template.spec?.containers[0]?.image).toBe(`${repository}:2.0.0`);
    await second.stop();
  }, 240_000);

  it("keeps the freeze in its ConfigMap across a restart: new updates refused with FROZEN until unfrozen", async () => {
    const namespace = await env.createNamespace("freeze");
    const repository = `registry.example.com/${namespace}/web`;
    await env.apps.createNamespacedDeployment({ namespace, body: deploymentManifest("web", `${repository}:1.0.0`, { classifier: "other" }) });
    const first = await env.startManager({ env: managerEnv });
    await until("the target in the cache", () => first.client.listTargets({ namespace }), (answer) =>
      answer.targets.length === 1 && answer.targets[0]?.rollout?.state === RolloutState.COMPLETE,
    );
    const { freeze } = await first.client.freeze({ reason: "release weekend" });
    expect(freeze).toMatchObject({ frozen: true, reason: "release weekend", principal: "api-key" });
    const stored = await env.core.readNamespacedConfigMap({ name: "update-manager-freeze", namespace: "update-manager" });
    expect(JSON.parse(stored.data?.["freeze.json"] ?? "{}")).toMatchObject({ frozen: true, reason: "release weekend" });
    await first.stop();

    const second = await env.startManager({ env: managerEnv });
    await until("the target in the cache", () => second.client.listTargets({ namespace }), (answer) => answer.targets.length === 1);
    expect((await second.client.getFreeze({})).freeze?.frozen).toBe(true);
    await expect(second.client.update({ image: `${repository}:2.0.0`, classifier: "other" })).rejects.toThrow(/frozen/);
    await second.client.unfreeze({});
    const { update } = await second.client.update({ image: `${repository}:2.0.0`, classifier: "other" });
    const done = await until("the update's end", async () => (await second.client.getUpdate({ updateId: update!.id })).update, (current) =>
      current?.state === UpdateState.SUCCEEDED || current?.state === UpdateState.FAILED,
    );
    expect(done?.state).toBe(UpdateState.SUCCEEDED);
    await second.stop();
  }, 240_000);
});
