import { readFile } from "node:fs/promises";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { V1Deployment, V1Job, V1ReplicaSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { UpdateEvent } from "../../gen/updatemanager/v1/event_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { RolloutState, TargetRole, WorkloadKind } from "../../gen/updatemanager/v1/workload_pb.js";
import { deploymentApi } from "../../src/cluster/kubernetes/kind-api.js";
import type { KubeWorkloadObject } from "../../src/cluster/kubernetes/kube-objects.js";
import { toWorkload } from "../../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../../src/core/domain/judge-rollout.js";
import { waitForObject } from "../cluster/kubernetes/kube-contract-harness.js";
import { startTcpProxy } from "../cluster/kubernetes/tcp-proxy.js";
import { kubectlOk, runKubectl } from "../kube/kubectl.js";
import { panelQueryProblems } from "../support/dashboard-panel-queries.js";
import { type PrometheusProcess, startPrometheus } from "../support/prometheus.js";
import { createRestClient } from "../../src/cluster/kubernetes/rest-client.js";
import {
  deploymentManifest,
  type DeploymentOptions,
  type KubeE2eEnvironment,
  type ManagerUnderTest,
  migrationTemplateManifest,
  recordWatch,
  startKubeE2eEnvironment,
  until,
  waitReady,
  type WatchRecorder,
} from "./kube-e2e-environment.js";

// One control plane (1.20.2) and one fake node for the file; each test works in its own namespace with its own
// image repository. The manager is the real server process (dist/src/main.js), outside the cluster, authenticating
// as ServiceAccount update-manager/update-manager with the ClusterRole kube/ installs: never as admin.
let env: KubeE2eEnvironment;
let manager: ManagerUnderTest;
let prometheus: PrometheusProcess;

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
  manager = await env.startManager();
  // Debian's Prometheus scraping the manager's /metrics every second (its first scrape comes ~5 s after its start:
  // waited for by the panel test, not here, so that the first update runs meanwhile); a failed start fails the file.
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${manager.server.adminPort}`] });
});

afterAll(async () => {
  await prometheus?.stop();
  await env?.stop();
});

const classifier = "shop";
const updateTimeout = { seconds: 60n };
const waitMs = 60_000;

type UpdateClient = Client<typeof UpdateService>;

/** Every event of an update's WatchUpdate stream until it ends; `onEvent` runs (awaited) as each arrives. */
async function collect(
  client: UpdateClient,
  updateId: string,
  onEvent: (event: UpdateEvent) => Promise<void> | void = () => {},
  afterSequence = 0n,
): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  for await (const message of client.watchUpdate({ updateId, afterSequence }, { timeoutMs: 120_000 })) {
    if (message.message.case !== "event") continue;
    events.push(message.message.value);
    await onEvent(message.message.value);
  }
  return events;
}

/** The stream's contract: sequences 1..n without gaps, exactly one `finished`, last. Returns its state. */
function terminalState(events: UpdateEvent[]): UpdateState {
  expect(events.map((event) => Number(event.sequence))).toEqual(events.map((_, index) => index + 1));
  const finished = events.filter((event) => event.kind.case === "finished");
  expect(finished).toHaveLength(1);
  const last = events.at(-1)!.kind;
  expect(last.case).toBe("finished");
  return last.case === "finished" ? last.value.state : UpdateState.UNSPECIFIED;
}

function kinds(events: UpdateEvent[]): string[] {
  return events.map((event) => event.kind.case ?? "");
}

/** Names of the workloads an event kind names, in stream order (e.g. `workloadPatched`). */
function workloadsOf(events: UpdateEvent[], kind: string): string[] {
  return events
    .filter((event) => event.kind.case === kind)
    .map((event) => (event.kind.value as { workload?: { name: string } }).workload?.name ?? "");
}

function errorInfo(error: unknown) {
  expect(error).toBeInstanceOf(ConnectError);
  return (error as ConnectError).findDetails(ErrorInfoSchema)[0];
}

function imageOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.spec?.template.spec?.containers[0]?.image;
}

async function readDeployment(namespace: string, name: string): Promise<V1Deployment> {
  return env.apps.readNamespacedDeployment({ name, namespace });
}

/** Creates opted-in Deployments and waits until each is rolled out, as the API server and the manager see it. */
async function seedDeployments(
  namespace: string,
  specs: { name: string; image: string; options?: DeploymentOptions }[],
): Promise<void> {
  for (const spec of specs) {
    await env.apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest(spec.name, spec.image, { classifier, ...spec.options }),
    });
  }
  const rest = createRestClient(env.adminKubeConfig);
  for (const spec of specs) {
    await waitForObject<KubeWorkloadObject>(
      env.adminKubeConfig,
      rest,
      deploymentApi,
      namespace,
      spec.name,
      (object) => judgeRollout(toWorkload("Deployment", object)).state === "complete",
      waitMs,
    );
  }
}

/** Polls ListTargets (bounded) until the manager's cache holds `count` targets of the namespace, all settled. */
async function waitForTargets(client: UpdateClient, namespace: string, count: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { targets } = await client.listTargets({ namespace });
    const settled = targets.every(
      (target) =>
        target.rollout?.state === RolloutState.COMPLETE || target.rollout?.state === RolloutState.NOT_APPLICABLE,
    );
    if (targets.length === count && settled) return targets;
    if (Date.now() > deadline) throw new Error(`the manager lists ${targets.length} settled targets of ${namespace}, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Records the namespace's Deployments (or Jobs) from now on, straight from the API server. */
async function recordDeployments(namespace: string): Promise<WatchRecorder<V1Deployment>> {
  const list = await env.apps.listNamespacedDeployment({ namespace });
  return recordWatch(env.adminKubeConfig, `/apis/apps/v1/namespaces/${namespace}/deployments`, list);
}

async function recordJobs(namespace: string): Promise<WatchRecorder<V1Job>> {
  const list = await env.batch.listNamespacedJob({ namespace });
  return recordWatch(env.adminKubeConfig, `/apis/batch/v1/namespaces/${namespace}/jobs`, list);
}

/**
 * The resourceVersion of an object as a number. With one etcd, resourceVersions are etcd revisions: one
 * counter across every kind, so they order changes of a Job and of a Deployment against each other.
 */
function revision(object: { metadata?: { resourceVersion?: string } }): number {
  return Number(object.metadata?.resourceVersion);
}

/** The distinct (generation, image) states a Deployment went through, in order. */
function specHistory(recorder: WatchRecorder<V1Deployment>, name: string): string[] {
  const history: string[] = [];
  for (const { object } of recorder.events) {
    if (object.metadata?.name !== name) continue;
    const state = `${object.metadata.generation} ${imageOf(object)}`;
    if (history.at(-1) !== state) history.push(state);
  }
  return history;
}

async function replicaSetsOf(namespace: string, app: string): Promise<V1ReplicaSet[]> {
  const list = await env.apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
  return list.items;
}

describe("Update on a real Kubernetes 1.20 control plane, over gRPC, by a least-privilege manager process", () => {
  it("talks to the API server as its own ServiceAccount, which may patch workloads but not delete them, nor list or watch Secrets", async () => {
    const kubeconfig = JSON.parse(await readFile(manager.kubeconfigPath, "utf8")) as { users: { user: { token: string } }[] };
    expect(kubeconfig.users[0]?.user.token).toBe(env.managerToken);
    const canI = async (verb: string, resource: string) =>
      (await runKubectl(["auth", "can-i", verb, resource, "--all-namespaces"], { kubeconfig: manager.kubeconfigPath })).stdout.trim();
    expect(await canI("patch", "deployments.apps")).toBe("yes");
    expect(await canI("delete", "deployments.apps")).toBe("no");
    expect(await canI("update", "deployments.apps")).toBe("no");
    // Pull secrets are read one by one, by the name a workload gives (registry watching): never listed.
    expect(await canI("list", "secrets")).toBe("no");
    expect(await canI("watch", "secrets")).toBe("no");
  });

  it("runs the migration Job copy to completion before it changes the first Deployment, then rolls both out", async () => {
    const namespace = await env.createNamespace("ok");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({
      namespace,
      body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier),
    });
    await seedDeployments(namespace, [
      { name: "api", image: `${repo}:1.0.0`, options: { replicas: 2 } },
      { name: "worker", image: `${repo}:1.0.0`, options: { replicas: 2 } },
    ]);
    await waitForTargets(manager.client, namespace, 3);
    const deployments = await recordDeployments(namespace);
    const jobs = await recordJobs(namespace);

    const { update } = await manager.client.update({ image: `${repo}:1.1.0`, classifier, updateTimeout });
    expect(update?.state).toBe(UpdateState.PENDING);
    const copyName = update!.plan!.migrations[0]!.jobName;
    expect(update!.plan!.workloads.map((w) => w.workload?.name)).toEqual(["api", "worker"]);
    const events = await collect(manager.client, update!.id);
    deployments.stop();
    jobs.stop();

    // The manager's account: migration first, then one workload after the other.
    expect(terminalState(events)).toBe(UpdateState.SUCCEEDED);
    const order = kinds(events);
    expect(order[0]).toBe("planned");
    expect(order.indexOf("migrationStarted")).toBeLessThan(order.indexOf("migrationSucceeded"));
    expect(order.indexOf("migrationSucceeded")).toBeLessThan(order.indexOf("workloadPatched"));
    expect(workloadsOf(events, "workloadPatched")).toEqual(["api", "worker"]);
    expect(workloadsOf(events, "workloadHealthy")).toEqual(["api", "worker"]);

    // The API server's account. The copy completed (etcd revision) before either Deployment's spec changed...
    const completed = jobs.events.find(
      ({ object }) =>
        object.metadata?.name === copyName &&
        object.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"),
    );
    expect(completed, `the copy ${copyName} completed`).toBeDefined();
    const firstChange = deployments.events.find(({ object }) => (object.metadata?.generation ?? 0) > 1);
    expect(firstChange?.object.metadata?.name).toBe("api");
    expect(revision(firstChange!.object)).toBeGreaterThan(revision(completed!.object));
    // ... and by wall clock: the manager's own write to api (its managedFields entry) is not older than the copy.
    const api = await readDeployment(namespace, "api");
    const managerWrite = api.metadata?.managedFields?.find((entry) => entry.manager === "update-manager");
    expect(managerWrite?.time).toBeDefined();
    const completionTime = completed!.object.status?.completionTime;
    expect(new Date(managerWrite!.time!).getTime()).toBeGreaterThanOrEqual(new Date(completionTime!).getTime());
    // Every Deployment went through exactly one spec change, old image to new.
    for (const name of ["api", "worker"]) {
      expect(specHistory(deployments, name)).toEqual([`1 ${repo}:1.0.0`, `2 ${repo}:1.1.0`]);
    }
    // Health-gated one after the other: worker changed only once api had rolled out completely.
    const apiDone = deployments.events.find(
      ({ object }) =>
        object.metadata?.name === "api" &&
        judgeRollout(toWorkload("Deployment", object as KubeWorkloadObject)).state === "complete" &&
        object.metadata.generation === 2,
    );
    const workerChange = deployments.events.find(
      ({ object }) => object.metadata?.name === "worker" && object.metadata.generation === 2,
    );
    expect(revision(workerChange!.object)).toBeGreaterThan(revision(apiDone!.object));

    // Final state: new images everywhere the update changed, the template itself untouched.
    for (const name of ["api", "worker"]) expect(imageOf(await readDeployment(namespace, name))).toBe(`${repo}:1.1.0`);
    const template = await env.batch.readNamespacedJob({ name: "migrate", namespace });
    expect(template.spec?.template.spec?.containers[0]?.image).toBe(`${repo}:1.0.0`);
    const copy = await env.batch.readNamespacedJob({ name: copyName, namespace });
    expect(copy.spec?.template.spec?.containers[0]?.image).toBe(`${repo}:1.1.0`);
    expect(copy.status?.succeeded).toBe(1);

    const { update: stored } = await manager.client.getUpdate({ updateId: update!.id });
    expect(stored?.state).toBe(UpdateState.SUCCEEDED);
  });

  it("shows on /metrics its API requests by verb, resource and code, informer lag and relists, synced caches, leadership and the update", async () => {
    // After the update above: its Job copy was created and its Deployments patched through the REST client.
    const text = await (await fetch(`${manager.server.adminUrl}/metrics`)).text();
    expect(text).toMatch(/update_manager_kubernetes_api_requests_total\{verb="patch",resource="deployments.apps",code="200"\} [1-9]/);
    expect(text).toMatch(/update_manager_kubernetes_api_requests_total\{verb="create",resource="jobs.batch",code="201"\} [1-9]/);
    expect(text).toMatch(/update_manager_kubernetes_api_requests_total\{verb="list",resource="deployments.apps",code="200"\} [1-9]/);
    expect(text).toContain("update_manager_caches_synced 1");
    expect(text).toContain("update_manager_leader 1");
    expect(text).toMatch(/update_manager_informer_restarts_total \d+/);
    // The informers delivered the manager's own patches and Job copy: timed by resource, relists counted by resource.
    expect(text).toMatch(/update_manager_informer_lag_seconds_count\{resource="deployments.apps"\} [1-9]/);
    expect(text).toMatch(/update_manager_informer_lag_seconds_count\{resource="jobs.batch"\} [1-9]/);
    expect(text).toMatch(/update_manager_informer_relists_total\{resource="deployments.apps"\} \d+/);
    expect(text).toMatch(/update_manager_updates_finished_total\{state="succeeded",requester_kind="\w[\w-]*"\} [1-9]/);
    // Bounded: no namespace or object name in any label.
    expect(text).not.toMatch(/resource="[^"]*namespaces/);
  });

  it("answers the dashboard's Kubernetes API and informer panels through Prometheus, with data", async () => {
    // A scrape after the update above: Prometheus has counted as many Deployment patches as /metrics shows now. (A
    // series born during the update, such as these, has no increase() yet: its first sample is its start.)
    const text = await (await fetch(`${manager.server.adminUrl}/metrics`)).text();
    const patches = /update_manager_kubernetes_api_requests_total\{verb="patch",resource="deployments.apps",code="200"\} (\d+)/.exec(text)?.[1];
    expect(Number(patches)).toBeGreaterThan(0);
    await prometheus.waitFor(
      `sum(update_manager_kubernetes_api_requests_total{verb="patch",resource="deployments.apps"}) >= ${patches}`,
      (samples) => samples.length === 1,
    );
    // The informer lag series are born with the update's writes; their rates need two samples each.
    await prometheus.waitFor("min(count_over_time(update_manager_informer_lag_seconds_count[5m])) >= 2", (s) => s.length === 1);
    // The panels the embedded cluster of test/kube/monitoring/monitoring.ops.test.ts leaves empty. The registry
    // panels are not among them: no workload of this file is watched, so this manager asks no registry
    // (registry-watch.kube.test.ts reads the registry requests panel back).
    const panels = [
      "Kubernetes API requests per second",
      "Informer restarts per hour",
      "Informer lag p90 by resource",
      "Informer relists per hour by resource",
    ];
    expect(await panelQueryProblems(prometheus, { panels })).toEqual([]);
  });

  it("fails the update when the migration Job fails, without touching any workload", async () => {
    const namespace = await env.createNamespace("migfail");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({
      namespace,
      body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier),
    });
    await seedDeployments(namespace, [
      { name: "api", image: `${repo}:1.0.0` },
      { name: "worker", image: `${repo}:1.0.0` },
    ]);
    await waitForTargets(manager.client, namespace, 3);
    env.rules.failJob.add(`${namespace}/${repo}:2.0.0`);
    const deployments = await recordDeployments(namespace);

    const { update } = await manager.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout });
    const events = await collect(manager.client, update!.id);
    deployments.stop();

    expect(terminalState(events)).toBe(UpdateState.FAILED);
    expect(kinds(events)).toContain("migrationFailed");
    expect(kinds(events)).not.toContain("workloadPatched");
    expect(kinds(events)).not.toContain("rollbackStarted");

    // The copy failed on the API server; no Deployment's spec changed at any moment.
    const copy = await env.batch.readNamespacedJob({ name: update!.plan!.migrations[0]!.jobName, namespace });
    expect(copy.status?.conditions?.some((c) => c.type === "Failed" && c.status === "True")).toBe(true);
    expect(deployments.events.every(({ object }) => object.metadata?.generation === 1)).toBe(true);
    for (const name of ["api", "worker"]) {
      const deployment = await readDeployment(namespace, name);
      expect(deployment.metadata?.generation).toBe(1);
      expect(imageOf(deployment)).toBe(`${repo}:1.0.0`);
    }
  });

  it("rolls a crash-looping rollout back to the exact previous images, reusing the old ReplicaSet", async () => {
    const namespace = await env.createNamespace("crash");
    const repo = `registry.example.com/${namespace}/web`;
    const previous = `${repo}:1.0.0@sha256:${"a".repeat(64)}`;
    await seedDeployments(namespace, [
      { name: "api", image: previous, options: { replicas: 2 } },
      { name: "worker", image: `${repo}:1.0.0` },
    ]);
    await waitForTargets(manager.client, namespace, 2);
    env.rules.crashLoop.add(`${namespace}/${repo}:2.0.0`);
    const before = await readDeployment(namespace, "api");
    const replicaSetsBefore = await replicaSetsOf(namespace, "api");
    expect(replicaSetsBefore).toHaveLength(1);
    const oldReplicaSet = replicaSetsBefore[0]!;

    const { update } = await manager.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout });
    const events = await collect(manager.client, update!.id);

    expect(terminalState(events)).toBe(UpdateState.ROLLED_BACK);
    expect(workloadsOf(events, "workloadPatched")).toEqual(["api"]);
    const failed = events.find((event) => event.kind.case === "workloadFailed")!.kind;
    expect(failed.case === "workloadFailed" && failed.value.reason).toContain("CrashLoopBackOff");
    const rollbackStarted = events.find((event) => event.kind.case === "rollbackStarted")!.kind;
    expect(rollbackStarted.case === "rollbackStarted" && rollbackStarted.value.workloads.map((w) => w.name)).toEqual(["api"]);
    const rolledBack = events.find((event) => event.kind.case === "workloadRolledBack")!.kind;
    expect(rolledBack.case === "workloadRolledBack" && rolledBack.value.containers.map((c) => [c.currentImage, c.newImage])).toEqual([
      [`${repo}:2.0.0`, previous],
    ]);
    const rollbackFinished = events.find((event) => event.kind.case === "rollbackFinished")!.kind;
    expect(rollbackFinished.case === "rollbackFinished" && rollbackFinished.value.success).toBe(true);

    // The exact previous image string (digest included), and the exact previous pod template: the Deployment
    // controller found the old ReplicaSet by its template hash and scaled it back up; no third one appeared.
    const after = await readDeployment(namespace, "api");
    expect(imageOf(after)).toBe(previous);
    expect(after.spec?.template).toEqual(before.spec?.template);
    const replicaSetsAfter = await replicaSetsOf(namespace, "api");
    expect(replicaSetsAfter).toHaveLength(2);
    const reused = replicaSetsAfter.find((rs) => rs.metadata?.uid === oldReplicaSet.metadata?.uid);
    expect(reused?.spec?.replicas).toBe(2);
    expect(reused?.metadata?.labels?.["pod-template-hash"]).toBe(oldReplicaSet.metadata?.labels?.["pod-template-hash"]);
    const failedReplicaSet = replicaSetsAfter.find((rs) => rs.metadata?.uid !== oldReplicaSet.metadata?.uid);
    expect(failedReplicaSet?.spec?.template?.spec?.containers[0]?.image).toBe(`${repo}:2.0.0`);
    expect(failedReplicaSet?.spec?.replicas).toBe(0);
    expect(judgeRollout(toWorkload("Deployment", after as KubeWorkloadObject)).state).toBe("complete");

    // The update stopped at the first failure: worker was never touched.
    const worker = await readDeployment(namespace, "worker");
    expect(worker.metadata?.generation).toBe(1);
    expect(imageOf(worker)).toBe(`${repo}:1.0.0`);
  });

  it("reports a container someone else changed mid-update as a conflict and never overwrites it", async () => {
    const namespace = await env.createNamespace("conflict");
    const repo = `registry.example.com/${namespace}/web`;
    const hotfix = `${repo}:1.0.1-hotfix`;
    // api's rollout is held open for 6 s after its pods are ready (minReadySeconds): the window for the edit.
    await seedDeployments(namespace, [
      { name: "api", image: `${repo}:1.0.0`, options: { minReadySeconds: 6 } },
      { name: "worker", image: `${repo}:1.0.0` },
    ]);
    await waitForTargets(manager.client, namespace, 2);

    const { update } = await manager.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout });
    let editedWhileGated = false;
    const events = await collect(manager.client, update!.id, async (event) => {
      if (event.kind.case !== "workloadPatched" || event.kind.value.workload?.name !== "api") return;
      // An operator's hotfix of worker while the manager waits for api to become healthy.
      await kubectlOk(["-n", namespace, "set", "image", "deployment/worker", `app=${hotfix}`], {
        kubeconfig: env.plane.kubeconfigPath,
      });
      const api = await readDeployment(namespace, "api");
      editedWhileGated = judgeRollout(toWorkload("Deployment", api as KubeWorkloadObject)).state !== "complete";
    });
    expect(editedWhileGated).toBe(true);

    // Rolled back: api (the only workload it changed) restored; worker keeps the hotfix.
    expect(terminalState(events)).toBe(UpdateState.ROLLED_BACK);
    const conflict = events.find((event) => event.kind.case === "workloadConflict")!.kind;
    expect(conflict.case === "workloadConflict" && conflict.value).toMatchObject({
      workload: { name: "worker", namespace, kind: WorkloadKind.DEPLOYMENT },
      container: "app",
      expectedImage: `${repo}:1.0.0`,
      actualImage: hotfix,
    });
    expect(workloadsOf(events, "workloadPatched")).toEqual(["api"]);
    expect(workloadsOf(events, "workloadRolledBack")).toEqual(["api"]);

    const worker = await readDeployment(namespace, "worker");
    expect(imageOf(worker)).toBe(hotfix);
    expect(worker.metadata?.generation).toBe(2);
    expect(worker.metadata?.managedFields?.some((entry) => entry.manager === "update-manager")).toBe(false);
    expect(imageOf(await readDeployment(namespace, "api"))).toBe(`${repo}:1.0.0`);
  });

  it("loses no event and still succeeds when its connection to the API server breaks mid-rollout", async () => {
    const namespace = await env.createNamespace("cut");
    const repo = `registry.example.com/${namespace}/web`;
    await seedDeployments(namespace, [
      { name: "api", image: `${repo}:1.0.0`, options: { minReadySeconds: 3 } },
      { name: "worker", image: `${repo}:1.0.0` },
    ]);
    const proxy = await startTcpProxy(new URL(env.plane.server));
    const proxied = await env.startManager({ server: proxy.url });
    try {
      await waitForTargets(proxied.client, namespace, 2);
      const rest = createRestClient(env.adminKubeConfig);
      const { update } = await proxied.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout });
      let outage: { refusedDuringOutage: boolean; completedDuringOutage: boolean } | undefined;
      const events = await collect(proxied.client, update!.id, async (event) => {
        if (event.kind.case !== "workloadPatched" || event.kind.value.workload?.name !== "api") return;
        // The link drops while api is gated; api completes its rollout while the manager cannot see it.
        proxy.refuse(true);
        proxy.cut();
        await waitForObject<KubeWorkloadObject>(
          env.adminKubeConfig,
          rest,
          deploymentApi,
          namespace,
          "api",
          (object) =>
            object.metadata?.generation === 2 && judgeRollout(toWorkload("Deployment", object)).state === "complete",
          waitMs,
        );
        const refusedDuringOutage = await proxy.whenRefused(1, waitMs).then(() => true);
        outage = { refusedDuringOutage, completedDuringOutage: true };
        proxy.refuse(false);
      });

      expect(outage).toEqual({ refusedDuringOutage: true, completedDuringOutage: true });
      expect(terminalState(events)).toBe(UpdateState.SUCCEEDED);
      expect(workloadsOf(events, "workloadHealthy")).toEqual(["api", "worker"]);
      // The manager noticed the broken watches and restarted them.
      expect(proxied.server.logs.some((line) => line.msg === "informer stopped by an error; restarting it with backoff")).toBe(
        true,
      );
      // A second watcher from the start gets the very same events.
      const replay = await collect(proxied.client, update!.id);
      expect(replay.map((event) => [event.sequence, event.kind.case])).toEqual(
        events.map((event) => [event.sequence, event.kind.case]),
      );
      for (const name of ["api", "worker"]) expect(imageOf(await readDeployment(namespace, name))).toBe(`${repo}:2.0.0`);
    } finally {
      await proxied.stop();
      await proxy.close();
    }
  });

  it("accepts one of two racing updates of the same target and refuses the other with TARGET_BUSY naming it", async () => {
    const namespace = await env.createNamespace("race");
    const repo = `registry.example.com/${namespace}/web`;
    await seedDeployments(namespace, [{ name: "api", image: `${repo}:1.0.0`, options: { minReadySeconds: 2 } }]);
    await waitForTargets(manager.client, namespace, 1);

    const images = [`${repo}:2.0.0`, `${repo}:2.1.0`];
    const outcomes = await Promise.allSettled(
      images.map((image) => manager.client.update({ image, classifier, updateTimeout })),
    );
    const accepted = outcomes.flatMap((outcome, index) => (outcome.status === "fulfilled" ? [{ index, outcome }] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as unknown] : []));
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = accepted[0]!.outcome.value.update!;
    expect((refused[0] as ConnectError).code).toBe(Code.Aborted);
    const info = errorInfo(refused[0]);
    expect(info?.reason).toBe("TARGET_BUSY");
    expect(info?.metadata.update_id).toBe(winner.id);

    const events = await collect(manager.client, winner.id);
    expect(terminalState(events)).toBe(UpdateState.SUCCEEDED);
    expect(imageOf(await readDeployment(namespace, "api"))).toBe(images[accepted[0]!.index]);
    const { updates } = await manager.client.listUpdates({ classifier });
    expect(updates.filter((u) => u.image.includes(namespace)).map((u) => u.id)).toEqual([winner.id]);
  });

  it("answers UNAVAILABLE / CACHE_NOT_SYNCED until it reached the API server, then lists the real cluster's targets", async () => {
    const namespace = await env.createNamespace("list");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({
      namespace,
      body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier),
    });
    await seedDeployments(namespace, [{ name: "api", image: `${repo}:1.0.0`, options: { replicas: 2 } }]);
    const proxy = await startTcpProxy(new URL(env.plane.server));
    proxy.refuse(true);
    const unsynced = await env.startManager({ server: proxy.url, waitReady: false });
    try {
      await proxy.whenRefused(1, waitMs);
      const listing = await unsynced.client.listTargets({ namespace }).catch((error: unknown) => error);
      expect((listing as ConnectError).code).toBe(Code.Unavailable);
      expect(errorInfo(listing)?.reason).toBe("CACHE_NOT_SYNCED");
      const updating = await unsynced.client
        .update({ image: `${repo}:2.0.0`, classifier, updateTimeout })
        .catch((error: unknown) => error);
      expect((updating as ConnectError).code).toBe(Code.Unavailable);
      expect(errorInfo(updating)?.reason).toBe("CACHE_NOT_SYNCED");
      expect((await fetch(`${unsynced.server.adminUrl}/readyz`)).status).toBe(503);

      proxy.refuse(false);
      await waitReady(unsynced.server, waitMs);
      const targets = await waitForTargets(unsynced.client, namespace, 2);
      expect(
        targets.map((t) => ({
          kind: t.workload?.kind,
          name: t.workload?.name,
          role: t.role,
          classifier: t.classifier,
          images: t.containers.map((c) => c.image),
        })),
      ).toEqual([
        { kind: WorkloadKind.DEPLOYMENT, name: "api", role: TargetRole.WORKLOAD, classifier, images: [`${repo}:1.0.0`] },
        { kind: WorkloadKind.JOB, name: "migrate", role: TargetRole.MIGRATION, classifier, images: [`${repo}:1.0.0`] },
      ]);
      const api = targets.find((t) => t.workload?.name === "api");
      expect(api?.rollout).toMatchObject({ state: RolloutState.COMPLETE, desiredReplicas: 2, availableReplicas: 2 });
    } finally {
      await unsynced.stop();
      await proxy.close();
    }
  });
});

// Step Events: a second manager process on the same control plane, with UpdateRuns (UPDATE_MANAGER_STORE=kubernetes)
// so that the update-level Events have their UpdateRun; it works in namespaces of its own. 1.20 serves
// events.k8s.io/v1. What it writes is read back as an operator reads it: with kubectl, as the cluster's admin.
describe("step Events of an update, as kubectl describe and kubectl get events show them", () => {
  const managerNamespace = "update-manager";
  const podName = "update-manager-events-0";
  let eventsManager: ManagerUnderTest;

  beforeAll(async () => {
    eventsManager = await env.startManager({
      env: { UPDATE_MANAGER_STORE: "kubernetes", POD_NAME: podName, POD_NAMESPACE: managerNamespace },
    });
  });

  afterAll(async () => {
    await eventsManager?.stop();
  });

  const kubectl = (args: string[]) => kubectlOk(args, { kubeconfig: env.plane.kubeconfigPath });

  async function finished(updateId: string) {
    return until(
      `update ${updateId} finishes`,
      async () => {
        const { update } = await eventsManager.client.getUpdate({ updateId });
        return update?.finishTime === undefined ? undefined : update;
      },
      120_000,
    );
  }

  /** The Events section of `kubectl describe`, once it names every reason (Events are written in the background). */
  async function describedEvents(args: string[], reasons: readonly string[]): Promise<string> {
    let last = "";
    try {
      return await until(
        `kubectl describe ${args.join(" ")} shows ${reasons.join(", ")}`,
        async () => {
          last = await kubectl(["describe", ...args]);
          const section = last.slice(last.indexOf("\nEvents:"));
          return reasons.every((reason) => section.includes(reason)) ? section : undefined;
        },
        30_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; it shows:\n${last}`);
    }
  }

  /** `kubectl get events --field-selector ...`: one line per event, oldest first, "type reason component instance message". */
  async function eventsOf(namespace: string, fieldSelector: string): Promise<string[]> {
    const output = await kubectl(["get", "events", "-n", namespace, "--field-selector", fieldSelector, "-o", "json"]);
    const { items } = JSON.parse(output) as {
      items: { eventTime?: string; type: string; reason: string; reportingComponent: string; reportingInstance: string; message: string }[];
    };
    return items
      .sort((a, b) => (a.eventTime ?? "").localeCompare(b.eventTime ?? ""))
      .map((event) => `${event.type} ${event.reason} ${event.reportingComponent} ${event.reportingInstance} ${event.message}`);
  }

  it("shows each step on the Deployment and the migration template, and the update's start and outcome on its UpdateRun", async () => {
    const namespace = await env.createNamespace("events");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({ namespace, body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier) });
    await seedDeployments(namespace, [{ name: "web", image: `${repo}:1.0.0`, options: { replicas: 2 } }]);
    await waitForTargets(eventsManager.client, namespace, 2);

    const { update } = await eventsManager.client.update({ image: `${repo}:1.1.0`, classifier, updateTimeout });
    const id = update!.id;
    expect((await finished(id)).state).toBe(UpdateState.SUCCEEDED);

    // "Type Reason Age From Message": Normal events from the manager naming the update and the images.
    const onDeployment = await describedEvents(["deployment", "web", "-n", namespace], ["WorkloadPatched", "WorkloadHealthy"]);
    expect(onDeployment).toMatch(
      new RegExp(`Normal\\s+WorkloadPatched\\s+.*update-manager.*\\s+Update ${id} set container app: ${repo}:1.0.0 -> ${repo}:1.1.0`),
    );
    expect(onDeployment).toMatch(new RegExp(`Normal\\s+WorkloadHealthy\\s+.*update-manager.*\\s+Update ${id} \\(${repo}:1.1.0\\): rolled out and healthy`));
    // The milestones only: never one per progress report.
    expect(onDeployment.match(/Workload[A-Za-z]+/g)).toEqual(["WorkloadPatched", "WorkloadHealthy"]);

    const onTemplate = await describedEvents(["job", "migrate", "-n", namespace], ["MigrationStarted", "MigrationSucceeded"]);
    expect(onTemplate).toContain(`migration Job ${update!.plan!.migrations[0]!.jobName} succeeded`);

    // The UpdateRun (named by the update's id) holds the update-level events, written by this pod.
    const runEvents = await until(
      "the UpdateRun's events",
      async () => {
        const lines = await eventsOf(managerNamespace, `involvedObject.kind=UpdateRun,involvedObject.name=${id}`);
        return lines.length >= 2 ? lines : undefined;
      },
      30_000,
    );
    expect(runEvents).toEqual([
      `Normal UpdateStarted update-manager ${podName} Update ${id} started: ${repo}:1.1.0 for classifier ${classifier}, 1 workload to patch, 1 migration`,
      `Normal UpdateSucceeded update-manager ${podName} Update ${id} (${repo}:1.1.0) succeeded`,
    ]);
    const onRun = await describedEvents(["updaterun", id, "-n", managerNamespace], ["UpdateStarted", "UpdateSucceeded"]);
    expect(onRun).toContain(`Update ${id} (${repo}:1.1.0) succeeded`);

    // Written through events.k8s.io/v1 (discovered on 1.20): about the Deployment by uid, related to the UpdateRun.
    const v1 = JSON.parse(await kubectl(["get", "events.v1.events.k8s.io", "-n", namespace, "-o", "json"])) as {
      items: {
        reason: string;
        reportingController: string;
        reportingInstance: string;
        regarding: { kind: string; name: string; uid: string };
        related?: { kind: string; name: string };
      }[];
    };
    const healthy = v1.items.filter((event) => event.reason === "WorkloadHealthy");
    const deployment = await readDeployment(namespace, "web");
    expect(healthy).toHaveLength(1);
    expect(healthy[0]).toMatchObject({
      reportingController: "update-manager",
      reportingInstance: podName,
      regarding: { kind: "Deployment", name: "web", uid: deployment.metadata?.uid },
      related: { kind: "UpdateRun", name: id },
    });
  });

  it("warns of a crash-looping rollout and tells of its rollback on the Deployment and the UpdateRun", async () => {
    const namespace = await env.createNamespace("events-crash");
    const repo = `registry.example.com/${namespace}/web`;
    await seedDeployments(namespace, [{ name: "web", image: `${repo}:1.0.0`, options: { replicas: 2 } }]);
    await waitForTargets(eventsManager.client, namespace, 1);
    env.rules.crashLoop.add(`${namespace}/${repo}:2.0.0`);

    const { update } = await eventsManager.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout });
    const id = update!.id;
    expect((await finished(id)).state).toBe(UpdateState.ROLLED_BACK);

    const onDeployment = await describedEvents(["deployment", "web", "-n", namespace], ["WorkloadPatched", "WorkloadFailed", "WorkloadRolledBack"]);
    expect(onDeployment).toMatch(/Warning\s+WorkloadFailed\s+.*update-manager.*CrashLoopBackOff/);
    expect(onDeployment).toContain(`Update ${id} restored container app: ${repo}:2.0.0 -> ${repo}:1.0.0`);
    // The outcome's Event is written after the Deployment's last one: wait for it too.
    const warnings = await until(
      "the UpdateRun's warnings",
      async () => {
        const lines = await eventsOf(managerNamespace, `involvedObject.name=${id},type=Warning`);
        return lines.length >= 2 ? lines : undefined;
      },
      30_000,
    );
    expect(warnings.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual(["Warning RollbackStarted", "Warning UpdateRolledBack"]);
  });
});
