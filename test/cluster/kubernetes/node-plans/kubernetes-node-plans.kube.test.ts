import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpChannelResolver } from "../../../../src/channel/http-channel-resolver.js";
import { createKubernetesNodePlans, type KubernetesNodePlans, nodeUpgradePlanApi } from "../../../../src/cluster/kubernetes/node-plans/kubernetes-node-plans.js";
import { collectionPath, objectPath } from "../../../../src/cluster/kubernetes/kind-api.js";
import { statusCodeOf } from "../../../../src/cluster/kubernetes/kubernetes-errors.js";
import { createRestClient, type RestClient } from "../../../../src/cluster/kubernetes/rest-client.js";
import { findCondition, type NodePlanStatus } from "../../../../src/core/domain/node-plan/node-plan-status.js";
import { systemClock } from "../../../../src/core/ports/clock.js";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import { createNodePlanController } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { createNodePlanRunner, type NodePlanRunner } from "../../../../src/core/use-cases/node-plans/node-plan-runner.js";
import { createWatchNodePlan } from "../../../../src/core/use-cases/node-plans/watch-node-plan.js";
import type { NodePlanEvent } from "../../../../src/core/domain/node-plan/node-plan-event.js";
import type { NodePlanReads } from "../../../../src/core/ports/node-plans.js";
import { describeNodePlansPortContract, type NodePlansHarness } from "../../../contract/node-plans-port-contract.js";
import { kubectlOk } from "../../../kube/kubectl.js";
import { type ControlPlane, startControlPlane } from "../../../support/control-plane.js";
import { createFakeKubelet, type FakeKubelet } from "../../../support/fake-kubelet.js";
import { k3osExample, seedK3osExample } from "../../../support/node-plan-examples.js";

// One control plane (1.20.2: policy/v1beta1 evictions, ttlSecondsAfterFinished dropped) and one fake kubelet
// playing five nodes for the file: the k3os example's label on the first three, the concurrency cases' label on all
// five. The plans run in this process, as the leader would run them, with the plans' namespace of the seed's example
// (UPDATE_MANAGER_PLAN_NAMESPACE=k3os-system), so that example is applied exactly as the seed shows it.
const namespace = "k3os-system";
const allNodeNames = ["np-1", "np-2", "np-3", "np-4", "np-5"];
const nodeNames = allNodeNames.slice(0, 3);
const selectorLabel = "plan.upgrade.cattle.io/k3os-latest";
const fiveLabel = "five-nodes";
let plane: ControlPlane;
let kubelet: FakeKubelet;
let rest: RestClient;
let adapter: KubernetesNodePlans;
let runner: NodePlanRunner;
// A channel server on loopback answering 302 with the latest release, as GitHub's /releases/latest does.
let channel: Server;
let channelUrl: string;

interface NodeObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
}
interface JobObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { active?: number };
}

beforeAll(async () => {
  channel = createServer((_request, response) => {
    response.writeHead(302, { location: "https://github.com/example/os/releases/tag/v4.1.0" });
    response.end();
  });
  await new Promise<void>((resolve) => channel.listen(0, "127.0.0.1", resolve));
  channelUrl = `http://127.0.0.1:${(channel.address() as AddressInfo).port}/releases/latest`;
  plane = await startControlPlane();
  try {
    const kubeConfig = plane.kubeConfig();
    rest = createRestClient(kubeConfig);
    await kubectlOk(["apply", "-f", "kube/base/node-upgrade-plan-crd.yaml"], { kubeconfig: plane.kubeconfigPath });
    await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "crd/nodeupgradeplans.updatemanager.io"], { kubeconfig: plane.kubeconfigPath });
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    // Upgrade Jobs of version v-fail fail on every node.
    kubelet = createFakeKubelet(kubeConfig, {
      nodeName: nodeNames[0]!,
      extraNodeNames: allNodeNames.slice(1),
      jobDurationMs: 500,
      behaviour: { failJob: (image) => image.endsWith(":v-fail") },
    });
    await kubelet.start();
    for (const node of allNodeNames) {
      const labels = { [fiveLabel]: "true", ...(nodeNames.includes(node) ? { [selectorLabel]: "true" } : {}) };
      await rest.request({ method: "PATCH", path: `/api/v1/nodes/${node}`, contentType: "application/merge-patch+json", body: { metadata: { labels } } });
    }
    adapter = createKubernetesNodePlans({
      kubeConfig,
      rest,
      clock: systemClock,
      logger: silentLogger,
      namespace,
      keyPrefix: "update-manager.io",
      onChange: () => runner?.poke(),
    });
    const controller = createNodePlanController(
      { port: adapter, clock: systemClock, logger: silentLogger, channels: createHttpChannelResolver() },
      { keyPrefix: "update-manager.io", namespace, succeededJobTtlMs: 3_000 },
    );
    runner = createNodePlanRunner({ controller, planNames: () => adapter.listPlans().map((plan) => plan.name), clock: systemClock, logger: silentLogger }, { idleMs: 1_000 });
    await adapter.start();
    runner.start();
  } catch (error) {
    await kubelet?.stop();
    await plane.stop();
    throw error;
  }
}, 300_000);

afterAll(async () => {
  await runner?.stop();
  await adapter?.stop();
  await contractAdapter?.stop();
  await kubelet?.stop();
  await plane?.stop();
  await new Promise((resolve) => channel?.close(resolve));
});

async function nodes(): Promise<NodeObject[]> {
  return (await rest.request<{ items: NodeObject[] }>({ method: "GET", path: "/api/v1/nodes" })).items;
}

/** The nodes the k3os example selects (the first three). */
async function exampleNodes(): Promise<NodeObject[]> {
  return (await nodes()).filter((node) => nodeNames.includes(node.metadata.name));
}

async function planStatus(name: string): Promise<NodePlanStatus | undefined> {
  const plan = await rest.request<{ status?: NodePlanStatus }>({ method: "GET", path: objectPath(nodeUpgradePlanApi, namespace, name) });
  return plan.status;
}

async function upgradeJobs(plan: string): Promise<JobObject[]> {
  const list = await rest.request<{ items: JobObject[] }>({
    method: "GET",
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    query: { labelSelector: `update-manager.io/node-plan=${plan}` },
  });
  return list.items;
}

/** Polls `check` every 250 ms until it returns true or `timeoutMs` passes; `observe` runs on every poll. */
async function until(check: () => Promise<boolean>, timeoutMs: number, observe: () => Promise<void> = async () => {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await observe();
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe("node upgrade plans on a 1.20 control plane", () => {
  it("runs the seed's k3os example (apiVersion and kind changed) on every node, one at a time", async () => {
    const example = seedK3osExample();
    expect(example.metadata.namespace).toBe(namespace);
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, example.metadata.namespace), body: example });
    let mostCordoned = 0;
    let mostActive = 0;
    await until(
      async () => {
        const status = await planStatus("k3os-latest");
        return status !== undefined && findCondition(status, "Complete")?.status === "True";
      },
      90_000,
      async () => {
        mostCordoned = Math.max(mostCordoned, (await nodes()).filter((node) => node.spec?.unschedulable === true).length);
        mostActive = Math.max(mostActive, (await upgradeJobs("k3os-latest")).filter((job) => (job.status?.active ?? 0) > 0).length);
      },
    );
    const status = (await planStatus("k3os-latest"))!;
    expect(status.latestVersion).toBe("v0.9.0-dev");
    expect(status.latestHash).toMatch(/^[0-9a-f]{56}$/);
    for (const node of await exampleNodes()) {
      expect(node.metadata.labels?.["plan.update-manager.io/k3os-latest"], node.metadata.name).toBe(status.latestHash);
      expect(node.spec?.unschedulable ?? false, node.metadata.name).toBe(false);
    }
    expect(mostCordoned).toBeLessThanOrEqual(1);
    expect(mostActive).toBeLessThanOrEqual(1);
    expect(status.nodes.map((result) => result.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
    // Succeeded Jobs are deleted after their TTL (3 s here), which 1.20's API server would not do.
    await until(async () => (await upgradeJobs("k3os-latest")).length === 0, 30_000);
  }, 150_000);

  it("keeps the plan's events in its status on the API server: a replica starting afresh streams them gaplessly and resumes", async () => {
    // A second adapter with empty caches: a replica that just started, or a new leader after a failover.
    let notify = (): void => {};
    const replica = createKubernetesNodePlans({
      kubeConfig: plane.kubeConfig(),
      rest,
      clock: systemClock,
      logger: silentLogger,
      namespace,
      keyPrefix: "update-manager.io",
      onChange: () => notify(),
    });
    await replica.start();
    try {
      const listeners = new Set<() => void>();
      notify = () => {
        for (const listener of listeners) listener();
      };
      const reads: NodePlanReads = {
        isSynced: () => true,
        listPlans: () => replica.listPlans(),
        getPlan: (name) => replica.getPlan(name),
        listNodes: () => replica.listNodes(),
        subscribe(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
      const watch = createWatchNodePlan({ reads, clock: systemClock });
      const read = async (afterSequence: number) => {
        const events: NodePlanEvent[] = [];
        for await (const item of watch({ name: "k3os-latest", afterSequence, untilSettled: true }, AbortSignal.timeout(30_000))) {
          if (item.type === "event") events.push(item.event);
        }
        return events;
      };
      const stored = (await planStatus("k3os-latest"))?.events ?? [];
      const all = await read(0);
      expect(all).toEqual(stored);
      expect(all.map((event) => event.sequence)).toEqual(all.map((_, index) => index + 1));
      for (const node of nodeNames) {
        expect(all.filter((event) => event.node === node).map((event) => event.type)).toEqual([
          "NodeSelected",
          "NodeCordoned",
          "NodeDrained",
          "JobStarted",
          "JobSucceeded",
          "NodeLabelled",
          "NodeUncordoned",
        ]);
      }
      expect(all.at(-1)?.type).toBe("PlanComplete");
      expect((await read(10)).map((event) => event.sequence)).toEqual(all.slice(10).map((event) => event.sequence));
    } finally {
      await replica.stop();
    }
  }, 60_000);

  it("runs the plan again on every node when its spec changes (a new hash)", async () => {
    const before = (await planStatus("k3os-latest"))!;
    const plan = await rest.request<{ spec: Record<string, unknown> }>({ method: "GET", path: objectPath(nodeUpgradePlanApi, namespace, "k3os-latest") });
    await rest.request({
      method: "PATCH",
      path: objectPath(nodeUpgradePlanApi, namespace, "k3os-latest"),
      contentType: "application/merge-patch+json",
      body: { spec: { ...plan.spec, version: "v0.9.1" } },
    });
    await until(async () => {
      const status = await planStatus("k3os-latest");
      return status !== undefined && status.latestHash !== before.latestHash && findCondition(status, "Complete")?.status === "True";
    }, 90_000);
    const status = (await planStatus("k3os-latest"))!;
    expect(status.latestVersion).toBe("v0.9.1");
    expect(status.observedGeneration).toBe(2);
    for (const node of await exampleNodes()) {
      expect(node.metadata.labels?.["plan.update-manager.io/k3os-latest"], node.metadata.name).toBe(status.latestHash);
      expect(node.spec?.unschedulable ?? false, node.metadata.name).toBe(false);
    }
  }, 150_000);

  it.each([1, 2])("runs a plan of concurrency %i over five nodes: never more in flight, every node labelled and uncordoned", async (concurrency) => {
    const name = `five-${concurrency}`;
    const plan = { ...k3osExample(), metadata: { name, namespace } };
    plan.spec = { ...plan.spec, concurrency, version: `v-five-${concurrency}`, nodeSelector: { matchLabels: { [fiveLabel]: "true" } } };
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: plan });
    // Sampled from the API server while the plan runs: nodes cordoned, Jobs active, the status' applying list.
    let mostCordoned = 0;
    let mostActive = 0;
    let mostApplying = 0;
    await until(
      async () => {
        const status = await planStatus(name);
        return status !== undefined && findCondition(status, "Complete")?.status === "True";
      },
      90_000,
      async () => {
        mostCordoned = Math.max(mostCordoned, (await nodes()).filter((node) => node.spec?.unschedulable === true).length);
        mostActive = Math.max(mostActive, (await upgradeJobs(name)).filter((job) => (job.status?.active ?? 0) > 0).length);
        mostApplying = Math.max(mostApplying, (await planStatus(name))?.applying.length ?? 0);
      },
    );
    const status = (await planStatus(name))!;
    expect(mostCordoned).toBeLessThanOrEqual(concurrency);
    expect(mostActive).toBeLessThanOrEqual(concurrency);
    expect(mostApplying).toBeLessThanOrEqual(concurrency);
    // The events kept in the status are the whole history, not a sample: a node is in flight from its selection
    // to its uncordon. The plan uses its concurrency fully (five nodes are enough) and never goes beyond it.
    const inFlight = new Set<string>();
    let mostInFlight = 0;
    for (const event of status.events ?? []) {
      if (event.type === "NodeSelected" && event.node !== undefined) inFlight.add(event.node);
      if (event.type === "NodeUncordoned" && event.node !== undefined) inFlight.delete(event.node);
      mostInFlight = Math.max(mostInFlight, inFlight.size);
    }
    expect(mostInFlight).toBe(concurrency);
    expect(inFlight.size).toBe(0);
    expect(status.nodes.map((result) => result.name).sort()).toEqual(allNodeNames);
    expect(status.nodes.map((result) => result.phase)).toEqual(allNodeNames.map(() => "Succeeded"));
    for (const node of await nodes()) {
      expect(node.metadata.labels?.[`plan.update-manager.io/${name}`], node.metadata.name).toBe(status.latestHash);
      expect(node.spec?.unschedulable ?? false, node.metadata.name).toBe(false);
    }
    await rest.request({ method: "DELETE", path: objectPath(nodeUpgradePlanApi, namespace, name) });
  }, 120_000);

  it("judges bad plans Validated=False with the reason: nothing runs, nothing is cordoned", async () => {
    const { version: _version, channel: _channel, ...unversioned } = k3osExample().spec;
    const bad: Record<string, [Record<string, unknown>, string]> = {
      "bad-selector": [{ ...k3osExample().spec, nodeSelector: { matchExpressions: [{ key: selectorLabel, operator: "Bogus" }] } }, "InvalidNodeSelector"],
      "bad-concurrency": [{ ...k3osExample().spec, concurrency: -1 }, "InvalidConcurrency"],
      "bad-version": [unversioned, "MissingVersion"],
      "bad-secret": [{ ...k3osExample().spec, secrets: [{ name: "no-such-secret" }] }, "UnknownSecret"],
      "bad-window": [{ ...k3osExample().spec, window: { days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Atlantis/Central" } }, "InvalidWindow"],
    };
    for (const [name, [spec]] of Object.entries(bad)) {
      await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: { ...k3osExample(), metadata: { name, namespace }, spec } });
    }
    for (const [name, [, reason]] of Object.entries(bad)) {
      await until(async () => {
        const status = await planStatus(name);
        return status !== undefined && findCondition(status, "Validated")?.status === "False";
      }, 30_000);
      const status = (await planStatus(name))!;
      expect(findCondition(status, "Validated"), name).toMatchObject({ status: "False", reason });
      expect(status.applying, name).toEqual([]);
      expect(await upgradeJobs(name), name).toEqual([]);
    }
    for (const node of await nodes()) expect(node.spec?.unschedulable ?? false, node.metadata.name).toBe(false);
    for (const name of Object.keys(bad)) await rest.request({ method: "DELETE", path: objectPath(nodeUpgradePlanApi, namespace, name) });
  }, 100_000);

  it("resolves a channel through its 302, runs two nodes at a time, and leaves a node cordoned beforehand cordoned", async () => {
    await rest.request({ method: "PATCH", path: "/api/v1/nodes/np-3", contentType: "application/merge-patch+json", body: { spec: { unschedulable: true } } });
    const { version: _version, ...spec } = k3osExample().spec;
    await rest.request({
      method: "POST",
      path: collectionPath(nodeUpgradePlanApi, namespace),
      body: { ...k3osExample(), metadata: { name: "channel", namespace }, spec: { ...spec, channel: channelUrl, concurrency: 2 } },
    });
    let mostActive = 0;
    await until(
      async () => {
        const status = await planStatus("channel");
        return status !== undefined && findCondition(status, "Complete")?.status === "True";
      },
      90_000,
      async () => {
        mostActive = Math.max(mostActive, (await upgradeJobs("channel")).filter((job) => (job.status?.active ?? 0) > 0).length);
      },
    );
    const status = (await planStatus("channel"))!;
    expect(status.latestVersion).toBe("v4.1.0");
    expect(findCondition(status, "LatestResolved")).toMatchObject({ status: "True", reason: "Channel" });
    expect(mostActive).toBeLessThanOrEqual(2);
    const all = await exampleNodes();
    for (const node of all) expect(node.metadata.labels?.["plan.update-manager.io/channel"], node.metadata.name).toBe(status.latestHash);
    expect(all.find((node) => node.metadata.name === "np-3")?.spec?.unschedulable).toBe(true);
    expect(status.nodes.find((result) => result.name === "np-3")?.cordonedByPlan).toBe(false);
    await rest.request({ method: "PATCH", path: "/api/v1/nodes/np-3", contentType: "application/merge-patch+json", body: { spec: { unschedulable: null } } });
  }, 150_000);

  it("stops a plan whose Job fails: no further node, the failed node cordoned and reported", async () => {
    const failing = { ...k3osExample(), metadata: { name: "fails", namespace } };
    failing.spec = { ...failing.spec, version: "v-fail", nodeSelector: { matchLabels: { [selectorLabel]: "true" } } };
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: failing });
    await until(async () => {
      const status = await planStatus("fails");
      return status !== undefined && findCondition(status, "Failed")?.status === "True";
    }, 100_000);
    const status = (await planStatus("fails"))!;
    const failed = status.nodes.filter((result) => result.phase === "Failed");
    expect(failed).toHaveLength(1);
    const failedNode = failed[0]!.name;
    expect(findCondition(status, "Failed")?.message).toContain(failedNode);
    expect(status.applying).toEqual([]);
    const all = await nodes();
    expect(all.find((node) => node.metadata.name === failedNode)?.spec?.unschedulable).toBe(true);
    for (const node of all.filter((each) => each.metadata.name !== failedNode)) {
      expect(node.spec?.unschedulable ?? false).toBe(false);
      expect(node.metadata.labels?.["plan.update-manager.io/fails"]).toBeUndefined();
    }
    expect(await upgradeJobs("fails")).toHaveLength(1);
    const events = await rest.request<{ items: { reason: string; involvedObject: { name: string } }[] }>({ method: "GET", path: `/api/v1/namespaces/${namespace}/events` });
    expect(events.items.some((event) => event.involvedObject.name === "fails" && event.reason === "JobFailed")).toBe(true);

    // Deleting the plan uncordons the node it cordoned and removes its Jobs (the finalizer).
    await rest.request({ method: "DELETE", path: objectPath(nodeUpgradePlanApi, namespace, "fails") });
    await until(async () => (await nodes()).every((node) => node.spec?.unschedulable !== true) && (await upgradeJobs("fails")).length === 0, 30_000);
  }, 150_000);

  it("fails a plan whose Job cannot create pods (a pods quota of 0) within 60 s, naming FailedCreate", async () => {
    await rest.request({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/resourcequotas`,
      body: { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "no-pods" }, spec: { hard: { pods: "0" } } },
    });
    const quota = { ...k3osExample(), metadata: { name: "quota", namespace } };
    quota.spec = { ...quota.spec, version: "v3" };
    const started = Date.now();
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: quota });
    await until(async () => {
      const status = await planStatus("quota");
      return status !== undefined && findCondition(status, "Failed")?.status === "True";
    }, 100_000);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(findCondition((await planStatus("quota"))!, "Failed")?.message).toContain("FailedCreate");
  }, 150_000);

  it("holds the next node until the owners of the pods the drain evicted are back at their ready replicas", async () => {
    // One Deployment pinned to each of np-1 and np-2 (spec.nodeName: no scheduler needed); whichever node goes first,
    // its pods are evicted and their replacements (pinned to it again) crash-loop until the test lets them run.
    // The quota case's leftovers: its quota (no pod at all) and its failed plan (deleting it uncordons its node).
    const gone = (error: unknown) => {
      if (statusCodeOf(error) !== 404) throw error;
    };
    await rest.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}/resourcequotas/no-pods` }).catch(gone);
    await rest.request({ method: "DELETE", path: objectPath(nodeUpgradePlanApi, namespace, "quota") }).catch(gone);
    await until(async () => (await nodes()).every((node) => node.spec?.unschedulable !== true), 30_000);
    const gateNamespace = "gate-shop";
    await rest.request({ method: "POST", path: "/api/v1/namespaces", body: { apiVersion: "v1", kind: "Namespace", metadata: { name: gateNamespace } } });
    await until(async () => {
      const accounts = await rest.request<{ items: { secrets?: unknown[] }[] }>({ method: "GET", path: `/api/v1/namespaces/${gateNamespace}/serviceaccounts` });
      return accounts.items.some((account) => (account.secrets ?? []).length > 0);
    }, 30_000);
    // Pods of the Deployments other than the first ones (their replacements) crash-loop while `hold` is set.
    const firstPods = new Set<string>();
    let hold = true;
    kubelet.behave({ crashLoop: (_image, pod) => hold && pod.metadata?.namespace === gateNamespace && firstPods.size > 0 && !firstPods.has(pod.metadata.name ?? "") });
    for (const node of ["np-1", "np-2"]) {
      await rest.request({
        method: "POST",
        path: `/apis/apps/v1/namespaces/${gateNamespace}/deployments`,
        body: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: `web-${node}` },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: `web-${node}` } },
            template: { metadata: { labels: { app: `web-${node}` } }, spec: { nodeName: node, containers: [{ name: "web", image: "registry.example.com/gate-app:1" }] } },
          },
        },
      });
      await rest.request({ method: "PATCH", path: `/api/v1/nodes/${node}`, contentType: "application/merge-patch+json", body: { metadata: { labels: { "gate-test": "true" } } } });
    }
    const readyOf = async (name: string) =>
      (await rest.request<{ status?: { readyReplicas?: number } }>({ method: "GET", path: `/apis/apps/v1/namespaces/${gateNamespace}/deployments/${name}` })).status?.readyReplicas ?? 0;
    await until(async () => (await readyOf("web-np-1")) === 2 && (await readyOf("web-np-2")) === 2, 60_000);
    const pods = await rest.request<{ items: { metadata: { name: string } }[] }>({ method: "GET", path: `/api/v1/namespaces/${gateNamespace}/pods` });
    for (const pod of pods.items) firstPods.add(pod.metadata.name);

    const gated = { ...k3osExample(), metadata: { name: "gated", namespace } };
    gated.spec = { ...gated.spec, version: "v5", nodeSelector: { matchLabels: { "gate-test": "true" } } };
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: gated });
    // The first node succeeds; its Deployment's replacements are not ready: the gate names the ReplicaSet.
    let waiting: NodePlanStatus | undefined;
    await until(async () => {
      const status = await planStatus("gated");
      if (status?.message?.includes("evicted pods' owners not back at their desired ready replicas") === true) waiting = status;
      return waiting !== undefined;
    }, 90_000);
    const first = waiting!.nodes.find((result) => result.phase === "Succeeded")!;
    expect(first.evictedOwners).toHaveLength(1);
    expect(first.evictedOwners![0]).toMatchObject({ kind: "ReplicaSet", namespace: gateNamespace });
    expect(first.evictedOwners![0]!.name).toMatch(new RegExp(`^web-${first.name}-`));
    expect(waiting!.message).toContain("(0/2 ready)");
    expect(waiting!.nodes.filter((result) => result.name !== first.name)).toEqual([]); // the next node waits
    expect((await upgradeJobs("gated")).length).toBe(1);

    hold = false; // the replacements start
    kubelet.behave({});
    await until(async () => {
      const status = await planStatus("gated");
      return status !== undefined && findCondition(status, "Complete")?.status === "True";
    }, 90_000);
    const status = (await planStatus("gated"))!;
    expect(status.nodes.map((result) => result.phase)).toEqual(["Succeeded", "Succeeded"]);
    expect(status.nodes.find((result) => result.name === first.name)?.evictedOwners).toBeUndefined();
  }, 200_000);

  it("drains through a PodDisruptionBudget: the second eviction waits until the first pod's replacement is Ready", async () => {
    // Two replicas pinned to np-3 under a budget of minAvailable 1, computed by the real disruption controller: one
    // pod may go; the other only once its replacement (held not ready by the test for a while) is Ready.
    const pdbNamespace = "pdb-shop";
    await rest.request({ method: "POST", path: "/api/v1/namespaces", body: { apiVersion: "v1", kind: "Namespace", metadata: { name: pdbNamespace } } });
    await until(async () => {
      const accounts = await rest.request<{ items: { secrets?: unknown[] }[] }>({ method: "GET", path: `/api/v1/namespaces/${pdbNamespace}/serviceaccounts` });
      return accounts.items.some((account) => (account.secrets ?? []).length > 0);
    }, 30_000);
    const firstPods = new Set<string>();
    let hold = true;
    kubelet.behave({ crashLoop: (_image, pod) => hold && pod.metadata?.namespace === pdbNamespace && firstPods.size > 0 && !firstPods.has(pod.metadata.name ?? "") });
    await rest.request({
      method: "POST",
      path: `/apis/apps/v1/namespaces/${pdbNamespace}/deployments`,
      body: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "db" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "db" } },
          template: { metadata: { labels: { app: "db" } }, spec: { nodeName: "np-3", containers: [{ name: "db", image: "registry.example.com/pdb-app:1" }] } },
        },
      },
    });
    await rest.request({
      method: "POST",
      path: `/apis/policy/v1beta1/namespaces/${pdbNamespace}/poddisruptionbudgets`,
      body: { apiVersion: "policy/v1beta1", kind: "PodDisruptionBudget", metadata: { name: "db" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "db" } } } },
    });
    const podNames = async () =>
      (await rest.request<{ items: { metadata: { name: string } }[] }>({ method: "GET", path: `/api/v1/namespaces/${pdbNamespace}/pods` })).items.map((pod) => pod.metadata.name);
    const budget = async () =>
      (await rest.request<{ status?: { disruptionsAllowed?: number; currentHealthy?: number } }>({ method: "GET", path: `/apis/policy/v1beta1/namespaces/${pdbNamespace}/poddisruptionbudgets/db` })).status;
    await until(async () => (await budget())?.disruptionsAllowed === 1, 60_000);
    for (const name of await podNames()) firstPods.add(name);
    await rest.request({ method: "PATCH", path: "/api/v1/nodes/np-3", contentType: "application/merge-patch+json", body: { metadata: { labels: { "pdb-test": "true" } } } });

    const plan = { ...k3osExample(), metadata: { name: "budgeted", namespace } };
    plan.spec = { ...plan.spec, version: "v6", nodeSelector: { matchLabels: { "pdb-test": "true" } } };
    await rest.request({ method: "POST", path: collectionPath(nodeUpgradePlanApi, namespace), body: plan });
    // One original pod evicted, the other still there while the budget allows no disruption.
    await until(async () => (await podNames()).filter((name) => firstPods.has(name)).length === 1, 60_000);
    await until(async () => (await budget())?.disruptionsAllowed === 0, 30_000);
    const observedUntil = Date.now() + 7_000; // longer than the drain's 5 s retry
    while (Date.now() < observedUntil) {
      expect((await podNames()).filter((name) => firstPods.has(name))).toHaveLength(1);
      expect(await upgradeJobs("budgeted")).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    hold = false; // the replacement becomes Ready: the budget allows the second eviction
    kubelet.behave({});
    await until(async () => {
      const status = await planStatus("budgeted");
      return status !== undefined && findCondition(status, "Complete")?.status === "True";
    }, 90_000);
    expect((await podNames()).filter((name) => firstPods.has(name))).toEqual([]);
  }, 200_000);
});

// The adapter against the port's contract, in a namespace of its own that no runner acts on.
const contractNamespace = "contract-plans";
let contractAdapter: KubernetesNodePlans | undefined;
describeNodePlansPortContract("the Kubernetes adapter on a 1.20 control plane", async (): Promise<NodePlansHarness> => {
  if (contractAdapter === undefined) {
    const kubeConfig = plane.kubeConfig();
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: contractNamespace } } });
    contractAdapter = createKubernetesNodePlans({ kubeConfig, rest, clock: systemClock, logger: silentLogger, namespace: contractNamespace, keyPrefix: "update-manager.io", onChange: () => {} });
    await contractAdapter.start();
  }
  const port = contractAdapter;
  const eventually = async (check: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("the adapter's caches did not show it within 20 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    port,
    namespace: contractNamespace,
    node: nodeNames[0]!,
    async createPlan(name, spec) {
      await rest.request({
        method: "POST",
        path: collectionPath(nodeUpgradePlanApi, contractNamespace),
        body: { apiVersion: "updatemanager.io/v1alpha1", kind: "NodeUpgradePlan", metadata: { name, namespace: contractNamespace }, spec },
      });
      await eventually(() => port.getPlan(name) !== undefined);
    },
    eventually,
  };
});
