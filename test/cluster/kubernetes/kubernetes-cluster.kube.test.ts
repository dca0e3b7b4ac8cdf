import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { type CoreV1Event, KubeConfig, type V1Job } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deploymentApi, jobApi, objectPath } from "../../../src/cluster/kubernetes/kind-api.js";
import type { KubeWorkloadObject } from "../../../src/cluster/kubernetes/kube-objects.js";
import type { Workload } from "../../../src/core/domain/workload.js";
import { createKubernetesRegistryAccess } from "../../../src/cluster/kubernetes/kubernetes-registry-access.js";
import { createKubernetesStepEvents, type EventsApi } from "../../../src/cluster/kubernetes/kubernetes-step-events.js";
import { systemClock } from "../../../src/core/ports/clock.js";
import { silentLogger } from "../../../src/core/ports/logger.js";
import { statusCodeOf } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import { createRestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { describeClusterPortContract } from "../../contract/cluster-port-contract.js";
import { describeRegistryAccessContract, type RegistryAccessHarness } from "../../contract/registry-access-contract.js";
import { describeStepEventRecorderContract, type StepEventRecorderHarness } from "../../contract/step-event-recorder-contract.js";
import { type ControlPlane, startControlPlane } from "../../support/control-plane.js";
import { createFakeKubelet, type FakeKubelet } from "../../support/fake-kubelet.js";
import { countRequests } from "./counting-kube-config.js";
import { createKubeHarness, type HarnessOverrides, type KubeEnvironment, type KubeHarness, waitForObject } from "./kube-contract-harness.js";
import { startFaultProxy } from "../../support/fault-proxy.js";
import { startTcpProxy } from "./tcp-proxy.js";

// One control plane (Kubernetes 1.20.2) and one fake node for the file; every test works in its own
// namespace with its own images. TTLAfterFinished is alpha in 1.20: without the gate the server
// would drop the TTL the adapter sets on succeeded migration copies.
let plane: ControlPlane;
let kubelet: FakeKubelet;
const failingJobImages = new Set<string>();
const env: KubeEnvironment = {
  kubeConfig: () => plane.kubeConfig(),
  get kubelet() {
    return kubelet;
  },
  failingJobImages,
  crashLoopImages: new Set<string>(),
};

beforeAll(async () => {
  plane = await startControlPlane({ apiServerArgs: ["--feature-gates=TTLAfterFinished=true"] });
  kubelet = createFakeKubelet(plane.kubeConfig());
  await kubelet.start();
});

afterAll(async () => {
  await kubelet?.stop();
  await plane?.stop();
});

describeClusterPortContract("Kubernetes adapter on a 1.20 control plane", ({ legacyAnnotation }) =>
  createKubeHarness(env, legacyAnnotation),
);

describeRegistryAccessContract("Kubernetes on a 1.20 control plane", async (): Promise<RegistryAccessHarness> => {
  const h = await createKubeHarness(env, true);
  const secretsPath = `/api/v1/namespaces/${h.namespace}/secrets`;
  return {
    access: createKubernetesRegistryAccess({ rest: createRestClient(plane.kubeConfig()) }),
    namespace: h.namespace,
    async putSecret(name, type, dockerConfigJson) {
      const body = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: h.namespace },
        type,
        data: { ".dockerconfigjson": Buffer.from(dockerConfigJson).toString("base64") },
      };
      try {
        await h.admin.request({ method: "PUT", path: `${secretsPath}/${name}`, body });
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error;
        await h.admin.request({ method: "POST", path: secretsPath, body });
      }
    },
    seedDeployment: (name, image) => h.seed({ kind: "Deployment", name, containers: [{ name: "app", image, init: false }] }),
    teardown: () => h.teardown(),
  };
});

const settleMs = 60_000;
const execFileAsync = promisify(execFile);

/** The step event recorder in a fresh namespace, read back as `kubectl get events` does (the core/v1 view). */
async function stepEventsHarness(api: EventsApi | undefined): Promise<StepEventRecorderHarness> {
  const admin = createRestClient(plane.kubeConfig());
  const namespace = `t-${randomBytes(4).toString("hex")}`;
  await admin.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: namespace } } });
  const recorder = createKubernetesStepEvents({
    rest: createRestClient(plane.kubeConfig()),
    clock: systemClock,
    logger: silentLogger,
    instance: "contract",
    updateRunOf: (id) => ({ apiVersion: "updatemanager.io/v1alpha1", kind: "UpdateRun", namespace, name: id }),
    ...(api === undefined ? {} : { api }),
  });
  const eventsWhere = async (kind: string, name: string) => {
    const list = await admin.request<{ items: CoreV1Event[] }>({ method: "GET", path: `/api/v1/namespaces/${namespace}/events` });
    return list.items
      .filter((event) => event.involvedObject.kind === kind && event.involvedObject.name === name)
      .map((event) => ({
        reason: event.reason ?? "",
        type: event.type ?? "",
        note: event.message ?? "",
        count: event.series?.count ?? (event.count || 1),
      }));
  };
  return {
    recorder,
    namespace,
    settle: () => recorder.whenIdle(),
    eventsOn: (ref) => eventsWhere(ref.kind, ref.name),
    eventsOfUpdate: (id) => eventsWhere("UpdateRun", id),
  };
}

// 1.20 serves events.k8s.io/v1, which discovery finds; the core/v1 form is what servers before 1.19 get.
describeStepEventRecorderContract("Kubernetes Events on a 1.20 control plane (events.k8s.io/v1, discovered)", () => stepEventsHarness(undefined));
describeStepEventRecorderContract("Kubernetes Events on a 1.20 control plane (core/v1)", () => stepEventsHarness("v1"));

describe("Kubernetes adapter", () => {
  const harnesses: KubeHarness[] = [];
  const proxies: { close(): Promise<void> }[] = [];
  const open = async (overrides: HarnessOverrides = {}) => {
    const harness = await createKubeHarness(env, false, overrides);
    harnesses.push(harness);
    return harness;
  };
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.teardown();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  const optIn = (h: KubeHarness) => ({ [h.keys.classifierLabel]: "kube" });
  const imagesOf = (workload: Workload | undefined) =>
    Object.fromEntries((workload?.containers ?? []).map((c) => [c.name, c.image]));

  it("patches once when the answer to its patch is lost or the patch is refused for a while, instead of failing the update", async () => {
    const faults = await startFaultProxy({ target: plane.server, targetCaPem: plane.caPem });
    proxies.push(faults);
    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: [{ name: "faulty", server: faults.url, caData: Buffer.from(faults.caPem).toString("base64") }],
      users: [{ name: "admin", token: plane.adminToken }],
      contexts: [{ name: "admin", cluster: "faulty", user: "admin" }],
      currentContext: "admin",
    });
    const h = await open({ kubeConfig: viaProxy });
    const image = (tag: number) => `registry.example.com/kube/lost:${tag}`;
    const ref = await h.seed({ kind: "Deployment", name: "lost", labels: optIn(h), containers: [{ name: "app", image: image(1), init: false }] });
    await h.settle(() => h.cluster.getWorkload(ref) !== undefined, settleMs);
    const patchOfLost = (request: { method: string; path: string }) => request.method === "PATCH" && request.path.endsWith("/deployments/lost");

    // Applied, but the answer never arrives: the adapter finds its own change instead of calling it a conflict.
    faults.setFaults([{ name: "lost answer", match: patchOfLost, fault: { kind: "reset-after" }, times: 1 }]);
    const first = await h.cluster.patchImages(ref, [{ container: "app", init: false, expectedImage: image(1), newImage: image(2) }]);
    expect(imagesOf(first)).toEqual({ app: image(2) });
    expect(faults.faultCounts()).toEqual({ "lost answer": 1 });
    // Refused twice (503, then 429 with Retry-After): tried again after a pause.
    await h.settle(() => imagesOf(h.cluster.getWorkload(ref)).app === image(2), settleMs);
    faults.setFaults([
      { name: "503", match: patchOfLost, fault: { kind: "status", status: 503 }, times: 1 },
      { name: "429", match: patchOfLost, fault: { kind: "status", status: 429, retryAfterSeconds: 1 }, times: 1 },
    ]);
    const second = await h.cluster.patchImages(ref, [{ container: "app", init: false, expectedImage: image(2), newImage: image(3) }]);
    expect(imagesOf(second)).toEqual({ app: image(3) });
    expect(faults.faultCounts()).toEqual({ "503": 1, "429": 1 });
    // Each change was made once: two template changes after the first.
    const object = await h.admin.request<KubeWorkloadObject>({ method: "GET", path: objectPath(deploymentApi, h.namespace, "lost") });
    expect(object.metadata?.generation).toBe(3);
  });

  it("restarts its informers after the connection to the API server broke, and misses no change made meanwhile", async () => {
    const proxy = await startTcpProxy(new URL(plane.server));
    proxies.push(proxy);
    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: [{ name: "proxied", server: proxy.url, caData: Buffer.from(plane.caPem).toString("base64") }],
      users: [{ name: "admin", token: plane.adminToken }],
      contexts: [{ name: "admin", cluster: "proxied", user: "admin" }],
      currentContext: "admin",
    });
    const h = await open({ kubeConfig: viaProxy });
    const containers = [{ name: "app", image: "registry.example.com/kube/restart:1" }];
    const keep = await h.seed({ kind: "Deployment", name: "keep", labels: optIn(h), containers: containers.map((c) => ({ ...c, init: false })) });
    const doomed = await h.seed({ kind: "Deployment", name: "doomed", labels: optIn(h), containers: containers.map((c) => ({ ...c, init: false })) });
    await h.settle(() => h.cluster.getWorkload(keep) !== undefined && h.cluster.getWorkload(doomed) !== undefined, settleMs);
    const deleted: string[] = [];
    h.cluster.subscribe((change) => {
      if (change.type === "workload-deleted") deleted.push(change.ref.name);
    });

    // The link goes down: open watches break, reconnects are reset, so the informers fail and back off.
    proxy.refuse(true);
    proxy.cut();
    const restartsBefore = h.cluster.informerRestarts();
    await h.admin.request({
      method: "PATCH",
      path: objectPath(deploymentApi, h.namespace, "keep"),
      body: { metadata: { annotations: { changed: "while-disconnected" } } },
      contentType: "application/merge-patch+json",
    });
    await h.admin.request({
      method: "POST",
      path: `/apis/apps/v1/namespaces/${h.namespace}/deployments`,
      body: {
        metadata: { name: "born", labels: optIn(h) },
        spec: {
          selector: { matchLabels: { app: "born" } },
          template: { metadata: { labels: { app: "born" } }, spec: { containers: [{ name: "app", image: "registry.example.com/kube/restart:1" }] } },
        },
      },
    });
    await execFileAsync("kubectl", ["--kubeconfig", plane.kubeconfigPath, "-n", h.namespace, "delete", "deployment", "doomed", "--wait=false"]);
    // Every informer (5 workload kinds + migration copies) must have been turned away twice: really backing off.
    await proxy.whenRefused(12, settleMs);
    expect(h.cluster.informerRestarts()).toBeGreaterThan(restartsBefore);
    expect(h.cluster.isSynced()).toBe(true);
    expect(h.cluster.getWorkload({ kind: "Deployment", namespace: h.namespace, name: "born" })).toBeUndefined();

    proxy.refuse(false);
    await h.settle(
      () =>
        h.cluster.getWorkload(keep)?.annotations["changed"] === "while-disconnected" &&
        h.cluster.getWorkload({ kind: "Deployment", namespace: h.namespace, name: "born" }) !== undefined &&
        h.cluster.getWorkload(doomed) === undefined,
      settleMs,
    );
    expect(deleted).toContain("doomed");
    expect(h.cluster.isSynced()).toBe(true);
  });

  it("refuses to overwrite an image someone changed with kubectl set image mid-update (IMAGE_CONFLICT)", async () => {
    const h = await open();
    const ours = "registry.example.com/kube/conflict:1";
    const theirs = "registry.example.com/kube/conflict:hotfix";
    const ref = await h.seed({ kind: "Deployment", name: "web", labels: optIn(h), containers: [{ name: "app", image: ours, init: false }] });
    await h.settle(() => h.cluster.getWorkload(ref) !== undefined, settleMs);

    await execFileAsync("kubectl", ["--kubeconfig", plane.kubeconfigPath, "-n", h.namespace, "set", "image", "deployment/web", `app=${theirs}`]);
    const error = await h.cluster
      .patchImages(ref, [{ container: "app", init: false, expectedImage: ours, newImage: "registry.example.com/kube/conflict:2" }])
      .then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({
      code: "aborted",
      reason: "IMAGE_CONFLICT",
      metadata: { workload: `Deployment/${h.namespace}/web`, container: "app", expected_image: ours, actual_image: theirs },
    });
    const onServer = await h.admin.request<KubeWorkloadObject>({ method: "GET", path: objectPath(deploymentApi, h.namespace, "web") });
    expect((onServer as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0]!.image).toBe(theirs);
  });

  it("patches with a JSON patch and records itself as field manager", async () => {
    const h = await open();
    const ref = await h.seed({
      kind: "Deployment",
      name: "web",
      labels: optIn(h),
      containers: [{ name: "app", image: "registry.example.com/kube/fm:1", init: false }],
    });
    await h.settle(() => h.cluster.getWorkload(ref) !== undefined, settleMs);
    const patched = await h.cluster.patchImages(ref, [
      { container: "app", init: false, expectedImage: "registry.example.com/kube/fm:1", newImage: "registry.example.com/kube/fm:2" },
    ]);
    expect(imagesOf(patched)).toEqual({ app: "registry.example.com/kube/fm:2" });
    expect(patched.fieldManagers).toContain("update-manager");
  });

  it("creates a Job copy requested twice at once exactly once", async () => {
    const h = await open();
    const template = await h.seed({
      kind: "Job",
      name: "migrate",
      labels: optIn(h),
      containers: [{ name: "migrate", image: "registry.example.com/kube/once:1", init: false }],
    });
    await h.settle(() => h.cluster.getWorkload(template) !== undefined, settleMs);
    const request = {
      template,
      jobName: "migrate-once",
      images: [{ container: "migrate", init: false, image: "registry.example.com/kube/once:2" }],
      activeDeadlineSeconds: 300,
      labels: { [h.keys.updateIdLabel]: "u-once", [h.keys.migrationOfLabel]: "migrate" },
    };
    const results = await Promise.all([h.cluster.createMigrationJob(request), h.cluster.createMigrationJob(request)]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    const jobs = await h.admin.request<{ items: V1Job[] }>({
      method: "GET",
      path: `/apis/batch/v1/namespaces/${h.namespace}/jobs`,
      query: { labelSelector: `${h.keys.updateIdLabel}=u-once` },
    });
    expect(jobs.items.map((job) => job.metadata?.name)).toEqual(["migrate-once"]);
    const copy = jobs.items[0]!;
    expect(copy.spec?.template.spec?.containers[0]?.image).toBe("registry.example.com/kube/once:2");
    expect(copy.spec?.activeDeadlineSeconds).toBe(300);
    // The server generated a fresh selector for the copy, not the template's.
    const templateJob = await h.admin.request<V1Job>({ method: "GET", path: objectPath(jobApi, h.namespace, "migrate") });
    expect(copy.spec?.selector?.matchLabels?.["controller-uid"]).toBe(copy.metadata?.uid);
    expect(copy.spec?.selector?.matchLabels?.["controller-uid"]).not.toBe(templateJob.metadata?.uid);
  });

  it("sets a TTL on a succeeded migration copy only, so a failed one keeps its pods and logs", async () => {
    const h = await open({ successfulJobTtlSeconds: 1234 });
    const template = await h.seed({
      kind: "Job",
      name: "migrate",
      labels: optIn(h),
      containers: [{ name: "migrate", image: "registry.example.com/kube/ttl:1", init: false }],
    });
    await h.settle(() => h.cluster.getWorkload(template) !== undefined, settleMs);
    const failing = "registry.example.com/kube/ttl:2-broken";
    await h.failJobsRunning(failing);
    const copy = (jobName: string, image: string) =>
      h.cluster.createMigrationJob({
        template,
        jobName,
        images: [{ container: "migrate", init: false, image }],
        activeDeadlineSeconds: 300,
        labels: { [h.keys.updateIdLabel]: jobName, [h.keys.migrationOfLabel]: "migrate" },
      });
    const isTrue = (name: string, type: string) =>
      h.cluster.getJob(h.namespace, name)?.conditions.some((c) => c.type === type && c.status === "True") === true;

    await copy("migrate-fails", failing);
    await h.settle(() => isTrue("migrate-fails", "Failed"), settleMs);
    await copy("migrate-works", "registry.example.com/kube/ttl:2");
    await h.settle(() => isTrue("migrate-works", "Complete"), settleMs);

    const succeeded = await waitForObject<V1Job>(
      h.adminKubeConfig,
      h.admin,
      jobApi,
      h.namespace,
      "migrate-works",
      (job) => job.spec?.ttlSecondsAfterFinished !== undefined,
      settleMs,
    );
    expect(succeeded.spec?.ttlSecondsAfterFinished).toBe(1234);
    const failed = await h.admin.request<V1Job>({ method: "GET", path: objectPath(jobApi, h.namespace, "migrate-fails") });
    expect(failed.spec?.ttlSecondsAfterFinished).toBeUndefined();
  });

  it("serves listWorkloads, getWorkload and getJob from its caches: no API request after sync", async () => {
    const kubeConfig = plane.kubeConfig();
    const requests = countRequests(kubeConfig);
    const h = await open({ kubeConfig });
    const ref = await h.seed({
      kind: "Deployment",
      name: "web",
      labels: optIn(h),
      containers: [{ name: "app", image: "registry.example.com/kube/reads:1", init: false }],
    });
    await h.settle(() => h.cluster.getWorkload(ref) !== undefined, settleMs);
    const atSync = requests.count();
    for (let i = 0; i < 1_000; i++) {
      expect(h.cluster.listWorkloads().some((w) => w.ref.name === "web")).toBe(true);
      expect(h.cluster.getWorkload(ref)?.ref.name).toBe("web");
      h.cluster.getJob(h.namespace, "absent");
    }
    // Give any request a read might have started a turn of the event loop to show up.
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests.count()).toBe(atSync);
    // Discovery, then one list and one watch per informer (5 workload kinds + migration copies).
    expect(atSync).toBe(1 + 2 * 6);
  });
});
