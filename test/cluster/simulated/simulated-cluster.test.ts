import { describe, expect, it } from "vitest";
import { createSimulatedCluster, type SimulatedClusterOptions } from "../../../src/cluster/simulated/simulated-cluster.js";
import { imageIdOf } from "../../../src/cluster/simulated/image-failures.js";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import { judgeRollout } from "../../../src/core/domain/judge-rollout.js";
import type { PodProblem, Workload, WorkloadRef } from "../../../src/core/domain/workload.js";
import type { ClusterChange } from "../../../src/core/ports/cluster.js";
import { type ContractHarness, describeClusterPortContract } from "../../contract/cluster-port-contract.js";
import { describeRegistryAccessContract, type RegistryAccessHarness } from "../../contract/registry-access-contract.js";
import { createFakeClock, type FakeClock } from "../../support/fake-clock.js";

const namespace = "contract";

describeClusterPortContract("simulated cluster", async (options): Promise<ContractHarness> => {
  const clock = createFakeClock();
  const cluster = createSimulatedCluster({ clock, legacyAnnotation: options.legacyAnnotation });
  cluster.start();
  return {
    cluster,
    keys: cluster.keys,
    namespace,
    async seed(spec) {
      cluster.addWorkload({ ...spec, namespace });
      return { kind: spec.kind, namespace, name: spec.name };
    },
    async failJobsRunning(image) {
      cluster.failJobs(
        (request) =>
          request.images.some((i) => i.image === image) ||
          (cluster.getWorkload(request.template)?.containers.some((c) => c.image === image) ?? false),
      );
    },
    async crashLoopPodsRunning(image) {
      cluster.failImage(image, "crash-loop");
    },
    settle: (predicate, timeoutMs) => settle(clock, predicate, timeoutMs),
    async teardown() {
      cluster.stop();
    },
  };
});

describeRegistryAccessContract("simulated cluster", async (): Promise<RegistryAccessHarness> => {
  // The simulated kubelet reports image IDs as a real node does (a stable digest per image).
  const cluster = createSimulatedCluster({ clock: createFakeClock(), imageIdOf });
  cluster.start();
  return {
    access: cluster,
    namespace,
    async putSecret(name, type, dockerConfigJson) {
      cluster.putPullSecret({ namespace, name, type, dockerConfigJson });
    },
    async seedDeployment(name, image) {
      cluster.addWorkload({ kind: "Deployment", namespace, name, containers: [{ name: "app", image }] });
      return { kind: "Deployment", namespace, name };
    },
    async teardown() {
      cluster.stop();
    },
  };
});

/** Advances the fake clock in small steps until `predicate` holds; fails after `timeoutMs` of fake time. */
async function settle(clock: FakeClock, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const stepMs = 100;
  for (let waited = 0; waited <= timeoutMs; waited += stepMs) {
    if (predicate()) return;
    await clock.advanceAsync(stepMs);
  }
  if (!predicate()) throw new Error(`condition not met after ${timeoutMs} ms of simulated time`);
}

const v1 = "registry.example.com/shop/web:1.0.0";
const v2 = "registry.example.com/shop/web:2.0.0";
const broken = "registry.example.com/shop/web:2.0.0-broken";

function setup(options: SimulatedClusterOptions = {}) {
  const clock = createFakeClock();
  const cluster = createSimulatedCluster({ clock, ...options });
  cluster.start();
  const changes: ClusterChange[] = [];
  cluster.subscribe((change) => changes.push(change));
  const workloadChanges = (ref: WorkloadRef) =>
    changes.flatMap((c) =>
      c.type === "workload" && c.workload.ref.kind === ref.kind && c.workload.ref.name === ref.name ? [c.workload] : [],
    );
  return { clock, cluster, changes, workloadChanges };
}

const web: WorkloadRef = { kind: "Deployment", namespace: "shop", name: "web" };

function addWeb(cluster: ReturnType<typeof setup>["cluster"], extra: { replicas?: number; progressDeadlineSeconds?: number; paused?: boolean } = {}) {
  return cluster.addWorkload({
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    classifier: "shop",
    replicas: extra.replicas ?? 3,
    containers: [{ name: "web", image: v1 }],
    ...(extra.progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds: extra.progressDeadlineSeconds }),
    ...(extra.paused === undefined ? {} : { paused: extra.paused }),
  });
}

const patchTo = (image: string, expected = v1) => [{ container: "web", init: false, expectedImage: expected, newImage: image }];

describe("simulated cluster", () => {
  it("answers UNAVAILABLE-worthy isSynced() false until started, then emits synced", () => {
    const clock = createFakeClock();
    const cluster = createSimulatedCluster({ clock });
    const changes: ClusterChange[] = [];
    cluster.subscribe((change) => changes.push(change));
    expect(cluster.isSynced()).toBe(false);
    cluster.start();
    expect(cluster.isSynced()).toBe(true);
    expect(changes).toEqual([{ type: "synced" }]);
  });

  it("seeds complete rollouts with increasing resourceVersions and a fresh generation", () => {
    const { cluster } = setup();
    const first = addWeb(cluster);
    const second = cluster.addWorkload({
      kind: "StatefulSet",
      namespace: "shop",
      name: "cache",
      classifier: "shop",
      replicas: 2,
      containers: [{ name: "cache", image: "registry.example.com/cache:7" }],
    });
    const third = cluster.addWorkload({
      kind: "DaemonSet",
      namespace: "shop",
      name: "agent",
      classifier: "shop",
      nodes: 4,
      containers: [{ name: "agent", image: "registry.example.com/agent:1" }],
    });
    expect(Number(second.resourceVersion)).toBeGreaterThan(Number(first.resourceVersion));
    expect(Number(third.resourceVersion)).toBeGreaterThan(Number(second.resourceVersion));
    for (const workload of [first, second, third]) {
      expect(workload.rollout).toMatchObject({ generation: 1, observedGeneration: 1 });
      expect(judgeRollout(workload).state).toBe("complete");
    }
    expect(first.fieldManagers).toEqual(["kubectl-client-side-apply"]);
    expect(judgeRollout(third)).toMatchObject({ desired: 4, updated: 4, available: 4 });
  });

  it("hands out frozen copies that callers cannot change", () => {
    const { cluster } = setup();
    addWeb(cluster);
    const workload = cluster.getWorkload(web)!;
    expect(() => {
      (workload.labels as Record<string, string>)["update-manager.io/classifier"] = "other";
    }).toThrow(TypeError);
    expect(cluster.getWorkload(web)!.labels["update-manager.io/classifier"]).toBe("shop");
  });

  it("rolls a Deployment out step by step: the generation is observed first, then one new replica per step", async () => {
    const { clock, cluster, workloadChanges } = setup({ rolloutStepMs: 1000 });
    addWeb(cluster);
    const patched = await cluster.patchImages(web, patchTo(v2));
    expect(patched.rollout).toMatchObject({ generation: 2, observedGeneration: 1 });
    expect(patched.fieldManagers).toContain("update-manager");
    expect(judgeRollout(patched).message).toBe("Waiting for deployment spec update to be observed...");

    clock.advance(999);
    expect(cluster.getWorkload(web)!.rollout.observedGeneration).toBe(1);
    clock.advance(1);
    expect(cluster.getWorkload(web)!.rollout).toMatchObject({ observedGeneration: 2, status: { updatedReplicas: 0 } });

    clock.advance(10_000);
    const steps = workloadChanges(web).map((w) => [
      w.rollout.observedGeneration,
      w.rollout.status.updatedReplicas,
      w.rollout.status.replicas,
      w.rollout.status.availableReplicas,
    ]);
    // [observedGeneration, updated, replicas, available] after seeding, the patch, and each step:
    // maxSurge 1 / maxUnavailable 0 for 3 replicas, as the API defaults them.
    expect(steps).toEqual([
      [1, 3, 3, 3],
      [1, 3, 3, 3],
      [2, 0, 3, 3],
      [2, 1, 4, 4],
      [2, 2, 4, 4],
      [2, 3, 4, 4],
      [2, 3, 3, 3],
    ]);
    const final = cluster.getWorkload(web)!;
    expect(judgeRollout(final).message).toBe('deployment "web" successfully rolled out');
    expect(final.rollout.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" }),
    );
    expect(cluster.pods(web).every((pod) => pod.containers[0]!.image === v2 && pod.ready)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rolls out StatefulSets highest ordinal first and moves currentRevision at the end", async () => {
    const { clock, cluster } = setup();
    const ref: WorkloadRef = { kind: "StatefulSet", namespace: "shop", name: "cache" };
    const seeded = cluster.addWorkload({
      ...ref,
      classifier: "shop",
      replicas: 3,
      containers: [{ name: "cache", image: v1 }],
    });
    await cluster.patchImages(ref, [{ container: "cache", init: false, expectedImage: v1, newImage: v2 }]);
    clock.advance(2000);
    const midway = cluster.getWorkload(ref)!;
    expect(midway.rollout.status.updatedReplicas).toBe(1);
    expect(midway.rollout.status.updateRevision).not.toBe(midway.rollout.status.currentRevision);
    expect(cluster.pods(ref).map((pod) => [pod.name, pod.containers[0]!.image])).toEqual([
      ["cache-0", v1],
      ["cache-1", v1],
      ["cache-2", v2],
    ]);
    clock.runAll();
    const done = cluster.getWorkload(ref)!;
    expect(judgeRollout(done).state).toBe("complete");
    expect(done.rollout.status.currentRevision).toBe(done.rollout.status.updateRevision);
    expect(done.rollout.status.currentRevision).not.toBe(seeded.rollout.status.currentRevision);
  });

  it("rolls out DaemonSets node by node", async () => {
    const { clock, cluster, workloadChanges } = setup();
    const ref: WorkloadRef = { kind: "DaemonSet", namespace: "shop", name: "agent" };
    cluster.addWorkload({ ...ref, classifier: "shop", nodes: 3, containers: [{ name: "agent", image: v1 }] });
    await cluster.patchImages(ref, [{ container: "agent", init: false, expectedImage: v1, newImage: v2 }]);
    clock.runAll();
    const updated = workloadChanges(ref).map((w) => w.rollout.status.updatedNumberScheduled);
    expect(updated).toEqual([3, 3, 0, 1, 2, 3]);
    expect(judgeRollout(cluster.getWorkload(ref)!).state).toBe("complete");
  });

  it("replaces every pod at once with the Recreate strategy", async () => {
    const { clock, cluster, workloadChanges } = setup();
    cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      classifier: "shop",
      replicas: 2,
      strategy: "Recreate",
      containers: [{ name: "web", image: v1 }],
    });
    await cluster.patchImages(web, patchTo(v2));
    clock.runAll();
    const steps = workloadChanges(web).map((w) => [w.rollout.status.replicas, w.rollout.status.updatedReplicas]);
    expect(steps).toEqual([
      [2, 2],
      [2, 2],
      [2, 0],
      [0, 0],
      [2, 2],
    ]);
    expect(judgeRollout(cluster.getWorkload(web)!).state).toBe("complete");
  });

  it("still answers created: false for an existing copy after its template is gone", async () => {
    const { cluster } = setup();
    const template = { kind: "Job" as const, namespace: "shop", name: "web-migrate" };
    cluster.addWorkload({ ...template, classifier: "shop", containers: [{ name: "migrate", image: v1 }] });
    const request = { template, jobName: "web-migrate-u1", images: [], activeDeadlineSeconds: 60, labels: {} };
    expect(await cluster.createMigrationJob(request)).toEqual({ created: true });
    cluster.removeWorkload(template);
    expect(await cluster.createMigrationJob(request)).toEqual({ created: false });
  });

  it("observes but does not roll out a paused Deployment", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster, { paused: true });
    await cluster.patchImages(web, patchTo(v2));
    clock.runAll();
    const workload = cluster.getWorkload(web)!;
    expect(workload.rollout.observedGeneration).toBe(2);
    expect(workload.rollout.status.updatedReplicas).toBe(0);
    expect(judgeRollout(workload).state).toBe("paused");
  });

  it("reports crash-looping new pods and exceeds the progress deadline, then recovers when patched back", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster, { progressDeadlineSeconds: 30 });
    cluster.failImage(/-broken$/, "crash-loop");
    const reports: (readonly PodProblem[])[] = [];
    const stop = cluster.watchPodProblems(web, (problems) => reports.push(problems));

    await cluster.patchImages(web, patchTo(broken));
    clock.advance(5000);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toEqual([
      expect.objectContaining({
        container: "web",
        reason: "CrashLoopBackOff",
        restartCount: 1,
        imageId: expect.stringMatching(/^registry\.example\.com\/shop\/web@sha256:[0-9a-f]{64}$/),
      }),
    ]);
    // maxUnavailable 0: the old replicas keep serving while the one new pod crashes.
    expect(cluster.pods(web).filter((pod) => pod.ready)).toHaveLength(3);
    const stalled = cluster.getWorkload(web)!;
    expect(judgeRollout(stalled).state).toBe("progressing");

    clock.advance(30_000);
    const failed = cluster.getWorkload(web)!;
    expect(judgeRollout(failed)).toMatchObject({
      state: "failed",
      message: 'deployment "web" exceeded its progress deadline',
    });
    expect(failed.rollout.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }),
    );
    expect(clock.pendingTimers()).toBe(0);

    await cluster.patchImages(web, patchTo(v1, broken));
    clock.runAll();
    expect(judgeRollout(cluster.getWorkload(web)!).state).toBe("complete");
    expect(cluster.pods(web).map((pod) => pod.containers[0]!.image)).toEqual([v1, v1, v1]);
    expect(reports[reports.length - 1]).toEqual([]);
    stop();
  });

  it("reports ErrImagePull, then ImagePullBackOff, for images that cannot be pulled", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster);
    cluster.failImage(v2, "image-pull");
    const reports: string[][] = [];
    cluster.watchPodProblems(web, (problems) => reports.push(problems.map((p) => p.reason)));
    await cluster.patchImages(web, patchTo(v2));
    clock.advance(2000);
    expect(reports).toEqual([["ErrImagePull"]]);
    clock.advance(1000);
    expect(reports).toEqual([["ErrImagePull"], ["ImagePullBackOff"]]);
  });

  it("gives a new pod-problem watcher the current problems, asynchronously", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster);
    cluster.failImage(broken, "crash-loop");
    await cluster.patchImages(web, patchTo(broken));
    clock.advance(2000);
    const reports: (readonly PodProblem[])[] = [];
    const stop = cluster.watchPodProblems(web, (problems) => {
      reports.push(problems);
      stop();
    });
    expect(reports).toEqual([]);
    await clock.flush();
    expect(reports).toHaveLength(1);
    expect(reports[0]![0]!.reason).toBe("CrashLoopBackOff");
  });

  it("keeps a StatefulSet stalled on a broken pod even after its template is reverted, as Kubernetes does", async () => {
    const { clock, cluster } = setup();
    const ref: WorkloadRef = { kind: "StatefulSet", namespace: "shop", name: "cache" };
    cluster.addWorkload({ ...ref, classifier: "shop", replicas: 2, containers: [{ name: "cache", image: v1 }] });
    cluster.failImage(broken, "crash-loop");
    await cluster.patchImages(ref, [{ container: "cache", init: false, expectedImage: v1, newImage: broken }]);
    clock.runAll();
    await cluster.patchImages(ref, [{ container: "cache", init: false, expectedImage: broken, newImage: v1 }]);
    clock.runAll();
    expect(judgeRollout(cluster.getWorkload(ref)!)).toMatchObject({ state: "progressing", ready: 1 });
  });

  it("logs every write the manager attempts, with its outcome, and nothing for reads", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster);
    cluster.addWorkload({
      kind: "Job",
      namespace: "shop",
      name: "web-migrate",
      classifier: "shop",
      containers: [{ name: "migrate", image: v1 }],
    });
    cluster.listWorkloads();
    cluster.getWorkload(web);
    expect(cluster.writes()).toEqual([]);

    await cluster.patchImages(web, patchTo(v2));
    await expect(cluster.patchImages(web, patchTo(v2))).rejects.toBeInstanceOf(DomainError);
    await cluster.patchImages(web, patchTo(v2, v2));
    clock.advance(500);
    const request = {
      template: { kind: "Job" as const, namespace: "shop", name: "web-migrate" },
      jobName: "web-migrate-abc",
      images: [{ container: "migrate", init: false, image: v2 }],
      activeDeadlineSeconds: 60,
      labels: {},
    };
    await cluster.createMigrationJob(request);
    await cluster.createMigrationJob(request);
    cluster.setContainerImage(web, "web", v1);

    expect(cluster.writes().map((w) => [w.operation, w.target.kind, w.target.name, w.outcome, w.time.toISOString()])).toEqual([
      ["patch-images", "Deployment", "web", "applied", "2025-01-01T00:00:00.000Z"],
      ["patch-images", "Deployment", "web", "conflict", "2025-01-01T00:00:00.000Z"],
      ["patch-images", "Deployment", "web", "unchanged", "2025-01-01T00:00:00.000Z"],
      ["create-job", "Job", "web-migrate-abc", "applied", "2025-01-01T00:00:00.500Z"],
      ["create-job", "Job", "web-migrate-abc", "already-exists", "2025-01-01T00:00:00.500Z"],
    ]);
    expect(cluster.writes()[0]!.patches).toEqual(patchTo(v2));
  });

  it("does not bump the generation for a patch that changes nothing", async () => {
    const { cluster } = setup();
    const seeded = addWeb(cluster);
    const same = await cluster.patchImages(web, patchTo(v1));
    expect(same.rollout.generation).toBe(1);
    expect(same.resourceVersion).toBe(seeded.resourceVersion);
  });

  it("refuses to patch a Job template: its pod template is immutable", async () => {
    const { cluster } = setup();
    const ref: WorkloadRef = { kind: "Job", namespace: "shop", name: "web-migrate" };
    cluster.addWorkload({ ...ref, classifier: "shop", containers: [{ name: "migrate", image: v1 }] });
    await expect(
      cluster.patchImages(ref, [{ container: "migrate", init: false, expectedImage: v1, newImage: v2 }]),
    ).rejects.toMatchObject({ code: "failed-precondition", reason: "TARGET_NOT_UPDATABLE" });
    expect(cluster.getWorkload(ref)!.containers[0]!.image).toBe(v1);
  });

  it("updates CronJobs without a rollout", async () => {
    const { cluster } = setup();
    const ref: WorkloadRef = { kind: "CronJob", namespace: "shop", name: "report" };
    cluster.addWorkload({ ...ref, classifier: "shop", containers: [{ name: "report", image: v1 }] });
    const patched = await cluster.patchImages(ref, [{ container: "report", init: false, expectedImage: v1, newImage: v2 }]);
    expect(patched.rollout).toMatchObject({ generation: 2, observedGeneration: 2 });
    expect(judgeRollout(patched).state).toBe("not-applicable");
  });

  it("lets a test edit an image behind the manager's back, so the manager's next patch conflicts", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster);
    const edited = cluster.setContainerImage(web, "web", "registry.example.com/shop/web:1.0.1");
    expect(edited.fieldManagers).toContain("kubectl-set");
    expect(cluster.writes()).toEqual([]);
    await expect(cluster.patchImages(web, patchTo(v2))).rejects.toMatchObject({
      reason: "IMAGE_CONFLICT",
      metadata: { workload: "Deployment/shop/web", actual_image: "registry.example.com/shop/web:1.0.1" },
    });
    clock.runAll();
    expect(judgeRollout(cluster.getWorkload(web)!).state).toBe("complete");
  });

  it("fails a Job that outlives activeDeadlineSeconds with DeadlineExceeded", async () => {
    const { clock, cluster } = setup();
    cluster.addWorkload({
      kind: "CronJob",
      namespace: "shop",
      name: "report",
      classifier: "shop",
      containers: [{ name: "report", image: v1 }],
    });
    cluster.hangJobs(() => true);
    await cluster.createMigrationJob({
      template: { kind: "CronJob", namespace: "shop", name: "report" },
      jobName: "report-u1",
      images: [],
      activeDeadlineSeconds: 30,
      labels: { "update-manager.io/update-id": "u1" },
    });
    clock.advance(29_999);
    expect(cluster.getJob("shop", "report-u1")).toMatchObject({ active: 1, conditions: [] });
    clock.advance(1);
    expect(cluster.getJob("shop", "report-u1")!.conditions).toContainEqual(
      expect.objectContaining({ type: "Failed", status: "True", reason: "DeadlineExceeded" }),
    );
    expect(clock.pendingTimers()).toBe(0);
  });

  it("fails injected Jobs with BackoffLimitExceeded after jobDurationMs", async () => {
    const { clock, cluster, changes } = setup({ jobDurationMs: 5000 });
    cluster.addWorkload({
      kind: "Job",
      namespace: "shop",
      name: "web-migrate",
      classifier: "shop",
      containers: [{ name: "migrate", image: v1 }],
    });
    const undo = cluster.failJobs((request) => request.jobName.endsWith("-bad"));
    const template = { kind: "Job" as const, namespace: "shop", name: "web-migrate" };
    const base = { template, images: [], activeDeadlineSeconds: 600, labels: {} };
    await cluster.createMigrationJob({ ...base, jobName: "web-migrate-bad" });
    undo();
    await cluster.createMigrationJob({ ...base, jobName: "web-migrate-2-bad" });
    clock.advance(5000);
    expect(cluster.getJob("shop", "web-migrate-bad")!.conditions.map((c) => [c.type, c.reason])).toEqual([
      ["FailureTarget", "BackoffLimitExceeded"],
      ["Failed", "BackoffLimitExceeded"],
    ]);
    expect(cluster.getJob("shop", "web-migrate-2-bad")!.conditions.map((c) => c.type)).toContain("Complete");
    expect(changes.filter((c) => c.type === "job")).toHaveLength(4);
  });

  it("refuses a migration from a template that is missing or not a Job", async () => {
    const { cluster } = setup();
    addWeb(cluster);
    const base = { jobName: "x-1", images: [], activeDeadlineSeconds: 60, labels: {} };
    await expect(
      cluster.createMigrationJob({ ...base, template: { kind: "Job", namespace: "shop", name: "missing" } }),
    ).rejects.toMatchObject({ code: "not-found" });
    await expect(cluster.createMigrationJob({ ...base, template: web })).rejects.toMatchObject({
      code: "failed-precondition",
      reason: "TARGET_NOT_UPDATABLE",
    });
  });

  it("delivers changes raised by a listener after the current one reached every listener", async () => {
    const { cluster } = setup();
    addWeb(cluster);
    const order: string[] = [];
    let reacted = false;
    cluster.subscribe((change) => {
      if (change.type !== "workload") return;
      order.push(`first:${change.workload.rollout.generation}`);
      if (!reacted) {
        reacted = true;
        cluster.setContainerImage(web, "web", v2);
      }
    });
    cluster.subscribe((change) => {
      if (change.type === "workload") order.push(`second:${change.workload.rollout.generation}`);
    });
    await cluster.patchImages(web, patchTo("registry.example.com/shop/web:1.5.0"));
    expect(order).toEqual(["first:2", "second:2", "first:3", "second:3"]);
  });

  it("removes workloads with a workload-deleted change and stops their timers", async () => {
    const { clock, cluster, changes } = setup();
    addWeb(cluster);
    await cluster.patchImages(web, patchTo(v2));
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    expect(cluster.removeWorkload(web)).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    expect(changes[changes.length - 1]).toEqual({ type: "workload-deleted", ref: web });
    expect(cluster.getWorkload(web)).toBeUndefined();
    expect(cluster.removeWorkload(web)).toBe(false);
  });

  it("stop() cancels pending rollouts and Jobs", async () => {
    const { clock, cluster } = setup();
    addWeb(cluster);
    await cluster.patchImages(web, patchTo(v2));
    cluster.stop();
    expect(cluster.isSynced()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("neither lists nor announces objects that did not opt in", () => {
    const { cluster, changes } = setup();
    cluster.addWorkload({ kind: "Deployment", namespace: "shop", name: "plain", containers: [{ name: "c", image: v1 }] });
    expect(changes).toEqual([]);
    expect(cluster.listWorkloads()).toEqual([]);
    expect(cluster.getWorkload({ kind: "Deployment", namespace: "shop", name: "plain" })).toBeUndefined();
  });

  it("orders listWorkloads by namespace, kind and name", () => {
    const { cluster } = setup();
    const add = (kind: Workload["ref"]["kind"], ns: string, name: string) =>
      cluster.addWorkload({ kind, namespace: ns, name, classifier: "x", containers: [{ name: "c", image: v1 }] });
    add("StatefulSet", "b", "a");
    add("Deployment", "b", "z");
    add("Deployment", "a", "m");
    expect(cluster.listWorkloads().map((w) => `${w.ref.namespace}/${w.ref.kind}/${w.ref.name}`)).toEqual([
      "a/Deployment/m",
      "b/Deployment/z",
      "b/StatefulSet/a",
    ]);
  });
});
