import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeUpgradePlanApi } from "../../src/cluster/kubernetes/node-plans/kubernetes-node-plans.js";
import { collectionPath, objectPath } from "../../src/cluster/kubernetes/kind-api.js";
import { createRestClient, type RestClient } from "../../src/cluster/kubernetes/rest-client.js";
import { findCondition, type NodePlanStatus } from "../../src/core/domain/node-plan/node-plan-status.js";
import {
  deploymentManifest,
  type KubeE2eEnvironment,
  type ManagerUnderTest,
  serviceAccountToken,
  startKubeE2eEnvironment,
  until,
} from "../e2e-kube/kube-e2e-environment.js";
import { kubectlOk } from "../kube/kubectl.js";
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from "../support/fault-proxy.js";
import { k3osExample } from "../support/node-plan-examples.js";

// Node upgrade plans under SIGKILL: the manager (its own ServiceAccount, with only the RBAC of kube/base and
// kube/node-plans) talks to the API server through the fault proxy, which kills it when it sees the request of a
// node's step (before it is forwarded, or once applied); a replacement process starts and must resume the plan from
// its status: never more nodes in flight than the plan's concurrency, and every node upgraded, labelled and
// uncordoned as in an uninterrupted run. The fake kubelet plays three nodes; a Deployment's pods (bound to the first
// node) give the drain something to evict and the health gate owners to wait for.

const planNamespace = "system-upgrade";
const nodes = ["fake-node-1", "plan-node-2", "plan-node-3"];
const selector = "crash-test.example.com/upgrade";
const concurrency = 2;
/** Bound on one plan reaching Complete after the replacement started. */
const settleMs = 90_000;

let env: KubeE2eEnvironment;
let proxy: FaultProxy;
let admin: RestClient;
let managers = 0;
let manager: ManagerUnderTest | undefined;

beforeAll(async () => {
  env = await startKubeE2eEnvironment({ extraNodeNames: nodes.slice(1) });
  admin = createRestClient(env.adminKubeConfig);
  // kube/node-plans' own objects on top of the base the environment applied (its kustomization renders kube/base's
  // policy/v1 budget, which 1.20 lacks): the plans' namespace, the node, eviction and Job grants.
  await kubectlOk(
    ["apply", ...["namespace", "cluster-role", "cluster-role-binding", "role", "role-binding"].flatMap((file) => ["-f", `kube/node-plans/${file}.yaml`])],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  await serviceAccountToken(env.core, "default", planNamespace); // the upgrade Jobs' pods are admitted once it exists
  // The in-cluster manager is scaled to 0 (the manager under test runs outside): its PodDisruptionBudget could never
  // be healthy, and the health gate waits for every budget.
  await admin.request({ method: "DELETE", path: "/apis/policy/v1beta1/namespaces/update-manager/poddisruptionbudgets/update-manager" });
  for (const node of nodes) {
    await admin.request({ method: "PATCH", path: `/api/v1/nodes/${node}`, contentType: "application/merge-patch+json", body: { metadata: { labels: { [selector]: "true" } } } });
  }
  const shop = await env.createNamespace("plan-shop");
  await env.apps.createNamespacedDeployment({ namespace: shop, body: deploymentManifest("web", "registry.example.com/plan-shop/web:1.0.0", { replicas: 2 }) });
  proxy = await startFaultProxy({ target: env.plane.server, targetCaPem: env.plane.caPem });
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await env?.stop();
});

function startReplica(): Promise<ManagerUnderTest> {
  return env.startManager({ server: proxy.url, caPem: proxy.caPem, env: { POD_NAME: `plans-${++managers}`, UPDATE_MANAGER_NODE_PLANS: "true", UPDATE_MANAGER_LOG_LEVEL: "info" } });
}

async function currentManager(): Promise<ManagerUnderTest> {
  if (manager === undefined || manager.server.child.exitCode !== null || manager.server.child.signalCode !== null) manager = await startReplica();
  return manager;
}

async function kill(target: ManagerUnderTest): Promise<void> {
  const exited = new Promise((resolve) => target.server.child.once("exit", resolve));
  target.server.child.kill("SIGKILL");
  await exited;
}

interface StatusBody {
  status?: NodePlanStatus;
}

/** The plan's status as a status write carries it. */
function statusWrite(request: ProxiedRequest, plan: string): NodePlanStatus | undefined {
  if (request.method !== "PUT" || !request.path.endsWith(`/nodeupgradeplans/${plan}/status`)) return undefined;
  try {
    return (JSON.parse(request.body) as StatusBody).status;
  } catch {
    return undefined;
  }
}

const nodePatch = (request: ProxiedRequest, fragment: string) =>
  request.method === "PATCH" && request.path.startsWith("/api/v1/nodes/") && request.body.includes(fragment);

interface CrashStep {
  readonly step: string;
  readonly when: "before" | "after";
  readonly match: (request: ProxiedRequest, plan: string) => boolean;
}

// A node's steps in the controller's order (node-plan-controller.ts: claim in status, cordon, record the owners of
// what the drain evicts, evict, create the Job, see it succeed, label, uncordon).
const crashSteps: readonly CrashStep[] = [
  { step: "after claiming (the status write)", when: "after", match: (r, plan) => statusWrite(r, plan)?.nodes.some((node) => node.phase === "Claimed") ?? false },
  { step: "after cordoning", when: "after", match: (r) => nodePatch(r, '"unschedulable":true') },
  {
    step: "after recording the pods' owners, before evicting",
    when: "after",
    match: (r, plan) => statusWrite(r, plan)?.nodes.some((node) => node.phase === "Claimed" && (node.evictedOwners?.length ?? 0) > 0) ?? false,
  },
  { step: "mid drain (after the first eviction)", when: "after", match: (r) => r.method === "POST" && r.path.endsWith("/eviction") },
  { step: "after creating the upgrade Job", when: "after", match: (r, plan) => r.method === "POST" && r.path.endsWith(`/namespaces/${planNamespace}/jobs`) && r.body.includes(`"${plan}"`) },
  { step: "once the Job succeeded (before labelling)", when: "before", match: (r, plan) => nodePatch(r, `plan.update-manager.io/${plan}`) },
  { step: "after labelling", when: "after", match: (r, plan) => nodePatch(r, `plan.update-manager.io/${plan}`) },
  { step: "after uncordoning", when: "after", match: (r) => nodePatch(r, '"unschedulable":null') },
];

interface NodeObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
}

async function planStatus(plan: string): Promise<NodePlanStatus | undefined> {
  return (await admin.request<{ status?: NodePlanStatus }>({ method: "GET", path: objectPath(nodeUpgradePlanApi, planNamespace, plan) })).status;
}

/** Nodes cordoned and upgrade Jobs running for the plan, right now. */
async function inFlight(plan: string): Promise<{ cordoned: number; jobs: number }> {
  const list = await admin.request<{ items: NodeObject[] }>({ method: "GET", path: "/api/v1/nodes" });
  const jobs = await admin.request<{ items: { status?: { active?: number } }[] }>({
    method: "GET",
    path: `/apis/batch/v1/namespaces/${planNamespace}/jobs`,
    query: { labelSelector: `update-manager.io/node-plan=${plan}` },
  });
  return { cordoned: list.items.filter((node) => node.spec?.unschedulable === true).length, jobs: jobs.items.filter((job) => (job.status?.active ?? 0) > 0).length };
}

describe("a node plan whose manager is killed with SIGKILL at a node's step and replaced", () => {
  it.each(crashSteps.map((step, index) => [step.step, step, index] as const))("%s: resumes, never beyond its concurrency, every node upgraded", async (_name, step, index) => {
    const plan = `crash-${index}`;
    const first = await currentManager();
    const crashed = proxy.crashOn({ when: step.when, match: (request) => step.match(request, plan), action: () => kill(first) });
    // Sampled from the plan's creation to its end, the crash and the restart included.
    const most = { cordoned: 0, jobs: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = await inFlight(plan).catch(() => ({ cordoned: 0, jobs: 0 }));
        most.cordoned = Math.max(most.cordoned, now.cordoned);
        most.jobs = Math.max(most.jobs, now.jobs);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const spec = { ...k3osExample().spec, concurrency, version: `v${index + 1}.0.0`, nodeSelector: { matchLabels: { [selector]: "true" } } };
    await admin.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, planNamespace), body: { ...k3osExample(), metadata: { name: plan, namespace: planNamespace }, spec } });
    try {
      await Promise.race([crashed, new Promise((_, reject) => setTimeout(() => reject(new Error(`the crash point "${step.step}" was never reached`)), settleMs))]);
      proxy.disarmCrash();
      const replacement = await currentManager();
      expect(replacement).not.toBe(first);
      const status = await until(
        `${plan} Complete`,
        async () => {
          const current = await planStatus(plan);
          return current !== undefined && findCondition(current, "Complete")?.status === "True" ? current : undefined;
        },
        settleMs,
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${JSON.stringify(await planStatus(plan))}`);
      });
      expect(findCondition(status, "Failed")?.status).toBe("False");
      expect(status.nodes.map((node) => [node.name, node.phase]).sort()).toEqual(nodes.map((node) => [node, "Succeeded"]));
      const list = await admin.request<{ items: NodeObject[] }>({ method: "GET", path: "/api/v1/nodes" });
      for (const node of list.items) {
        expect(node.metadata.labels?.[`plan.update-manager.io/${plan}`], node.metadata.name).toBe(status.latestHash);
        expect(node.spec?.unschedulable ?? false, node.metadata.name).toBe(false);
      }
    } finally {
      proxy.disarmCrash();
      sampling = false;
      await sampler;
    }
    expect(most.cordoned).toBeLessThanOrEqual(concurrency);
    expect(most.jobs).toBeLessThanOrEqual(concurrency);
  });
});
