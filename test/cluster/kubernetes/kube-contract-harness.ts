import { randomBytes } from "node:crypto";
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Container, Watch } from "@kubernetes/client-node";
import { cronJobApi, daemonSetApi, deploymentApi, jobApi, type KindApi, collectionPath, objectPath, statefulSetApi } from "../../../src/cluster/kubernetes/kind-api.js";
import type { KubeWorkloadObject } from "../../../src/cluster/kubernetes/kube-objects.js";
import { createKubernetesCluster, type KubernetesCluster } from "../../../src/cluster/kubernetes/kubernetes-cluster.js";
import type { KubernetesClusterOptions } from "../../../src/cluster/kubernetes/kubernetes-cluster-options.js";
import { isOptedIn } from "../../../src/cluster/kubernetes/opt-in.js";
import { createRestClient, type RestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { toWorkload } from "../../../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../../../src/core/domain/judge-rollout.js";
import { createMetadataKeys, type MetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import type { WorkloadKind } from "../../../src/core/domain/workload.js";
import type { ClusterPort } from "../../../src/core/ports/cluster.js";
import type { ContractHarness, ContractObjectSpec } from "../../contract/cluster-port-contract.js";
import type { FakeKubelet } from "../../support/fake-kubelet.js";

/** What the harness needs from the file's shared control plane. */
export interface KubeEnvironment {
  /** A fresh admin KubeConfig for each call (the adapter's may be instrumented). */
  readonly kubeConfig: () => KubeConfig;
  readonly kubelet: FakeKubelet;
  /** Images whose Job pods the kubelet fails; shared by every harness of the file. */
  readonly failingJobImages: Set<string>;
  /** Images whose pods the kubelet crash-loops; shared by every harness of the file. */
  readonly crashLoopImages: Set<string>;
}

export interface KubeHarness extends ContractHarness {
  readonly cluster: KubernetesCluster;
  /** Admin REST client for arranging and inspecting objects behind the adapter's back. */
  readonly admin: RestClient;
  readonly adminKubeConfig: KubeConfig;
}

/** Extra adapter options for one harness (the contract passes only legacyAnnotation). */
export type HarnessOverrides = Partial<Omit<KubernetesClusterOptions, "keys" | "namespaces">>;

/**
 * A ContractHarness on the real control plane: a fresh namespace, an adapter watching only it,
 * objects created through the API and waited for by watches (never polling).
 */
export async function createKubeHarness(
  env: KubeEnvironment,
  legacyAnnotation: boolean,
  overrides: HarnessOverrides = {},
): Promise<KubeHarness> {
  const keys: MetadataKeys = createMetadataKeys();
  const adminKubeConfig = env.kubeConfig();
  const admin = createRestClient(adminKubeConfig);
  const namespace = `t-${randomBytes(4).toString("hex")}`;
  await admin.request({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: namespace } } });
  const cluster = createKubernetesCluster({
    kubeConfig: env.kubeConfig(),
    keys,
    namespaces: [namespace],
    legacyAnnotation,
    backoff: { initialDelayMs: 100, maxDelayMs: 2_000 },
    ...overrides,
  });
  await cluster.start();
  let cronJobs: KindApi | undefined;

  const apiOf = async (kind: WorkloadKind): Promise<KindApi> => {
    switch (kind) {
      case "Deployment":
        return deploymentApi;
      case "StatefulSet":
        return statefulSetApi;
      case "DaemonSet":
        return daemonSetApi;
      case "Job":
        return jobApi;
      case "CronJob": {
        if (cronJobs === undefined) {
          const batch = await admin.request<{ resources: { name: string }[] }>({ method: "GET", path: "/apis/batch/v1" });
          cronJobs = cronJobApi(batch.resources.some((resource) => resource.name === "cronjobs") ? "v1" : "v1beta1");
        }
        return cronJobs;
      }
    }
  };

  return {
    cluster,
    keys,
    namespace,
    admin,
    adminKubeConfig,
    async seed(spec) {
      const api = await apiOf(spec.kind);
      const created = await admin.request<KubeWorkloadObject>({
        method: "POST",
        path: collectionPath(api, namespace),
        body: manifest(spec),
      });
      if (spec.kind === "Deployment" || spec.kind === "StatefulSet" || spec.kind === "DaemonSet") {
        const complete = await waitForObject(
          adminKubeConfig,
          admin,
          api,
          namespace,
          spec.name,
          (object) => judgeRollout(toWorkload(spec.kind, object)).state === "complete",
          60_000,
          created.metadata?.resourceVersion,
        );
        // "Fully rolled out" must hold for the port's view too, once it sees the object at all.
        if (isOptedIn(complete, keys, legacyAnnotation)) {
          const ref = { kind: spec.kind, namespace, name: spec.name };
          const doneVersion = Number(complete.metadata?.resourceVersion);
          await settle(cluster, () => Number(cluster.getWorkload(ref)?.resourceVersion ?? 0) >= doneVersion, 60_000);
        }
      }
      return { kind: spec.kind, namespace, name: spec.name };
    },
    async failJobsRunning(image) {
      env.failingJobImages.add(image);
      env.kubelet.behave({ failJob: (candidate) => env.failingJobImages.has(candidate) });
    },
    async crashLoopPodsRunning(image) {
      env.crashLoopImages.add(image);
      env.kubelet.behave({ crashLoop: (candidate) => env.crashLoopImages.has(candidate) });
    },
    settle: (predicate, timeoutMs) => settle(cluster, predicate, timeoutMs),
    async teardown() {
      await cluster.stop();
      await env
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: namespace })
        .catch(() => {});
    },
  };
}

/** The object a ContractObjectSpec describes; pods select on `app: <name>`. */
export function manifest(spec: ContractObjectSpec): KubernetesObject & { spec: unknown } {
  const toContainer = (container: { name: string; image: string }): V1Container => ({
    name: container.name,
    image: container.image,
  });
  const podSpec = {
    ...(spec.containers.some((c) => c.init) ? { initContainers: spec.containers.filter((c) => c.init).map(toContainer) } : {}),
    containers: spec.containers.filter((c) => !c.init).map(toContainer),
  };
  const podLabels = { app: spec.name };
  const metadata = { name: spec.name, labels: { ...spec.labels }, annotations: { ...spec.annotations } };
  const selector = { matchLabels: podLabels };
  const template = { metadata: { labels: podLabels }, spec: podSpec };
  switch (spec.kind) {
    case "Deployment":
      return { metadata, spec: { replicas: spec.replicas ?? 1, selector, template } };
    case "StatefulSet":
      return { metadata, spec: { replicas: spec.replicas ?? 1, serviceName: spec.name, selector, template } };
    case "DaemonSet":
      return { metadata, spec: { selector, template } };
    case "Job":
      // A template: held by suspend (1.21+) and by parallelism 0 (which 1.20 servers understand).
      // No retries, so that a failing copy fails at once instead of after the controller's backoff.
      return { metadata, spec: { suspend: true, parallelism: 0, backoffLimit: 0, template: { ...template, spec: { ...podSpec, restartPolicy: "Never" } } } };
    case "CronJob":
      return {
        metadata,
        spec: {
          schedule: "0 0 1 1 *",
          suspend: true,
          jobTemplate: { spec: { template: { ...template, spec: { ...podSpec, restartPolicy: "Never" } } } },
        },
      };
  }
}

/** Resolves once `predicate` holds, re-checking on every change the port reports (no polling). */
export function settle(cluster: ClusterPort, predicate: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`the cluster did not reach the expected state within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = cluster.subscribe(() => {
      if (!predicate()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/**
 * Reads one object and, unless it already satisfies `predicate`, watches it until it does.
 * @param fromResourceVersion start the watch here instead of at the read (so no change after a create is missed).
 */
export async function waitForObject<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  rest: RestClient,
  api: KindApi,
  namespace: string,
  name: string,
  predicate: (object: T) => boolean,
  timeoutMs: number,
  fromResourceVersion?: string,
): Promise<T> {
  const current = await rest.request<T>({ method: "GET", path: objectPath(api, namespace, name) });
  if (predicate(current)) return current;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let controller: AbortController | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`${api.resource} ${namespace}/${name} did not reach the expected state within ${timeoutMs} ms`))),
      timeoutMs,
    );
    new Watch(kubeConfig)
      .watch(
        collectionPath(api, namespace),
        { fieldSelector: `metadata.name=${name}`, resourceVersion: fromResourceVersion ?? current.metadata?.resourceVersion },
        (_type: string, object: T) => {
          if (predicate(object)) finish(() => resolve(object));
        },
        (error: unknown) => finish(() => reject(error ?? new Error(`the watch of ${api.resource} ${namespace}/${name} ended`))),
      )
      .then((started) => {
        controller = started;
        if (settled) started.abort();
      }, (error: unknown) => finish(() => reject(error)));
  });
}

