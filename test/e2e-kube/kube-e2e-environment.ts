import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Job,
  Watch,
} from "@kubernetes/client-node";
import { stringify } from "yaml";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createMetadataKeys } from "../../src/core/domain/metadata-keys.js";
import { type ControlPlane, startControlPlane } from "../support/control-plane.js";
import { createFakeKubelet, type FakeKubelet } from "../support/fake-kubelet.js";
import { type ServerProcess, startServer } from "../support/server-process.js";
import { kubectlOk } from "../kube/kubectl.js";
import { type KubeObject, parseYamlDocuments } from "../kube/kustomize-files.js";

export const keys = createMetadataKeys();

/** The kustomization that installs the manager's ServiceAccount and least-privilege RBAC on a 1.20 server. */
export const managerOverlay = "kube/overlays/test-1.20";

/** A manager process on the real control plane, and a gRPC client that authenticates with its API key. */
export interface ManagerUnderTest {
  readonly server: ServerProcess;
  readonly client: Client<typeof UpdateService>;
  /** The kubeconfig the process was started with (its own ServiceAccount's token). */
  readonly kubeconfigPath: string;
  stop(): Promise<void>;
}

export interface StartManagerOptions {
  /** API server URL written into the manager's kubeconfig (a proxy in front of it). Default: the API server. */
  server?: string;
  /** PEM the kubeconfig trusts for `server` (a proxy's own CA). Default: the API server's. */
  caPem?: string;
  /** Wait for `/readyz` (caches synced) before returning. Default: true. */
  waitReady?: boolean;
  /** Extra environment for the process. Default: none. */
  env?: Record<string, string>;
  /** The package root whose dist/ is started (another build, for a benchmark's comparison). Default: this one. */
  cwd?: string;
  /** The node arguments that start it. Default: `serverEntryArgs` (this package's `npm run serve`). */
  nodeArgs?: readonly string[];
}

/** Pod behaviour of the fake node, keyed by `<namespace>/<image>` so that tests sharing the node stay apart. */
export interface KubeletRules {
  /** Pods of these images crash-loop. */
  readonly crashLoop: Set<string>;
  /** Job pods of these images fail. */
  readonly failJob: Set<string>;
}

export interface KubeE2eEnvironment {
  readonly plane: ControlPlane;
  readonly kubelet: FakeKubelet;
  readonly rules: KubeletRules;
  readonly adminKubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  /** The token of ServiceAccount `update-manager/update-manager`, bound to the ClusterRole of kube/. */
  readonly managerToken: string;
  /** The API key the manager processes are started with. */
  readonly apiKey: string;
  /** Starts a manager process with `UPDATE_MANAGER_CLUSTER=kubernetes` and the ServiceAccount's kubeconfig. */
  startManager(options?: StartManagerOptions): Promise<ManagerUnderTest>;
  /** A fresh namespace whose pods are admitted (its `default` ServiceAccount has its token). */
  createNamespace(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface KubeE2eEnvironmentOptions {
  /** Extra kube-apiserver flags (the benchmark's audit log). Default: none. */
  readonly apiServerArgs?: readonly string[];
  /** Extra kube-controller-manager flags. Default: none. */
  readonly controllerManagerArgs?: readonly string[];
  /** More nodes the fake kubelet plays besides `fake-node-1` (node upgrade plans). Default: none. */
  readonly extraNodeNames?: readonly string[];
}

/**
 * One real control plane (1.20.2), one fake node, and kube/'s test overlay applied with kubectl, so that the
 * manager runs as its own ServiceAccount with exactly the RBAC a production install grants it.
 */
export async function startKubeE2eEnvironment(options: KubeE2eEnvironmentOptions = {}): Promise<KubeE2eEnvironment> {
  // TTLAfterFinished is alpha in 1.20: without the gate the server drops the TTL set on succeeded migration copies.
  const plane = await startControlPlane({
    apiServerArgs: ["--feature-gates=TTLAfterFinished=true", ...(options.apiServerArgs ?? [])],
    controllerManagerArgs: [...(options.controllerManagerArgs ?? [])],
  });
  const managers = new Set<ManagerUnderTest>();
  let kubelet: FakeKubelet | undefined;
  try {
    const rules: KubeletRules = { crashLoop: new Set(), failJob: new Set() };
    const keyOf = (image: string, pod: KubernetesObject) => `${pod.metadata?.namespace}/${image}`;
    kubelet = createFakeKubelet(plane.kubeConfig(), {
      ...(options.extraNodeNames === undefined ? {} : { extraNodeNames: [...options.extraNodeNames] }),
      behaviour: {
        crashLoop: (image, pod) => rules.crashLoop.has(keyOf(image, pod)),
        failJob: (image, pod) => rules.failJob.has(keyOf(image, pod)),
      },
    });
    await kubelet.start();
    const adminKubeConfig = plane.kubeConfig();
    const core = adminKubeConfig.makeApiClient(CoreV1Api);
    const apps = adminKubeConfig.makeApiClient(AppsV1Api);
    const batch = adminKubeConfig.makeApiClient(BatchV1Api);

    await applyOverlay(managerOverlay, plane.kubeconfigPath);
    // The manager under test is a process outside the cluster; the in-cluster replicas would only be fake pods.
    await apps.patchNamespacedDeploymentScale(
      { name: "update-manager", namespace: "update-manager", body: { spec: { replicas: 0 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const managerToken = await serviceAccountToken(core, "update-manager", "update-manager");
    const apiKey = randomBytes(24).toString("hex");
    let kubeconfigs = 0;

    const startManager = async (options: StartManagerOptions = {}): Promise<ManagerUnderTest> => {
      const kubeconfigPath = join(plane.dir, `manager-${++kubeconfigs}.kubeconfig.json`);
      await writeFile(
        kubeconfigPath,
        JSON.stringify(kubeconfigFile(options.server ?? plane.server, options.caPem ?? plane.caPem, managerToken)),
        { mode: 0o600 },
      );
      const server = await startServer({
        env: {
          UPDATE_MANAGER_CLUSTER: "kubernetes",
          KUBECONFIG: kubeconfigPath,
          UPDATE_MANAGER_API_KEY: apiKey,
          // Updates recorded in this process: several managers of the file run side by side, and with UpdateRuns
          // only the leader of the shared Lease would execute.
          UPDATE_MANAGER_STORE: "memory",
          // The tests poll ListTargets while waiting for the cache; the default per-caller limits are for CI jobs.
          UPDATE_MANAGER_READ_RATE_PER_MINUTE: "6000",
          UPDATE_MANAGER_READ_BURST: "1000",
          UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: "600",
          UPDATE_MANAGER_WRITE_BURST: "100",
          UPDATE_MANAGER_LOG_LEVEL: "debug",
          ...options.env,
        },
        timeoutMs: 30_000,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
      });
      const bearer: Interceptor = (next) => (request) => {
        request.header.set("authorization", `Bearer ${apiKey}`);
        return next(request);
      };
      const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl, interceptors: [bearer] }));
      const manager: ManagerUnderTest = {
        server,
        client,
        kubeconfigPath,
        async stop() {
          managers.delete(manager);
          await server.stop();
        },
      };
      managers.add(manager);
      if (options.waitReady ?? true) await waitReady(server, 60_000);
      return manager;
    };

    const createNamespace = async (prefix = "e2e"): Promise<string> => {
      const name = `${prefix}-${randomBytes(3).toString("hex")}`;
      await core.createNamespace({ body: { metadata: { name } } });
      // Pods are refused until the namespace's default ServiceAccount has its token Secret.
      await serviceAccountToken(core, "default", name);
      return name;
    };

    return {
      plane,
      kubelet,
      rules,
      adminKubeConfig,
      core,
      apps,
      batch,
      managerToken,
      apiKey,
      startManager,
      createNamespace,
      async stop() {
        for (const manager of [...managers]) await manager.stop();
        await kubelet?.stop();
        await plane.stop();
      },
    };
  } catch (error) {
    for (const manager of [...managers]) await manager.stop();
    await kubelet?.stop();
    await plane.stop();
    throw error;
  }
}

/** Renders an overlay with kubectl's kustomize and applies it, Namespaces first (the rest lives in them). */
export async function applyOverlay(overlay: string, kubeconfig: string): Promise<KubeObject[]> {
  const objects = parseYamlDocuments(await kubectlOk(["kustomize", overlay]), overlay) as KubeObject[];
  const toYaml = (list: KubeObject[]) => list.map((object) => stringify(object)).join("---\n");
  const namespaces = objects.filter((object) => object.kind === "Namespace");
  const rest = objects.filter((object) => object.kind !== "Namespace");
  for (const part of [namespaces, rest]) {
    if (part.length > 0) await kubectlOk(["apply", "-f", "-"], { kubeconfig, input: toYaml(part) });
  }
  return objects;
}

/** A ServiceAccount's token from the Secret 1.20's token controller creates for it (bounded wait). */
export async function serviceAccountToken(core: CoreV1Api, name: string, namespace: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const account = await core.readNamespacedServiceAccount({ name, namespace }).catch(() => undefined);
    const secretName = account?.secrets?.[0]?.name;
    if (secretName) {
      const secret = await core.readNamespacedSecret({ name: secretName, namespace });
      const token = secret.data?.token;
      if (secret.type === "kubernetes.io/service-account-token" && token) return Buffer.from(token, "base64").toString("utf8");
    }
    if (Date.now() > deadline) throw new Error(`the token controller minted no token for ${namespace}/${name} in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls `probe` every 50 ms until it yields a value (errors count as none); throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls the manager's `/readyz` (bounded) until its cluster caches synced. */
export async function waitReady(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(`${server.adminUrl}/readyz`).catch((error: unknown) => error as Error);
    if (!(response instanceof Error)) {
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } else last = response.message;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the manager was not ready within ${timeoutMs} ms (last /readyz: ${last})`);
}

/** A kubeconfig document that authenticates with `token` against `server`. */
export function kubeconfigFile(server: string, caPem: string, token: string) {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "update-manager", user: { token } }],
    contexts: [{ name: "update-manager", context: { cluster: "e2e", user: "update-manager" } }],
    "current-context": "update-manager",
  };
}

export interface DeploymentOptions {
  /** Default: 1. */
  replicas?: number;
  /** Holds a rollout open this long after its pods are ready. Default: 0. */
  minReadySeconds?: number;
  /** Opt-in classifier label. Default: none (not opted in). */
  classifier?: string;
}

/** A Deployment with one container `app`, pods labelled `app: <name>`, a 10 s progress deadline. */
export function deploymentManifest(name: string, image: string, options: DeploymentOptions = {}): V1Deployment {
  const labels: Record<string, string> = { app: name };
  if (options.classifier !== undefined) labels[keys.classifierLabel] = options.classifier;
  return {
    metadata: { name, labels },
    spec: {
      replicas: options.replicas ?? 1,
      progressDeadlineSeconds: 10,
      minReadySeconds: options.minReadySeconds ?? 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
    },
  };
}

/**
 * A migration template: a Job held by `suspend: true` and by `parallelism: 0` (1.20 drops suspend), with no
 * retries so that a failing copy fails at once.
 */
export function migrationTemplateManifest(name: string, image: string, classifier: string): V1Job {
  return {
    metadata: { name, labels: { [keys.classifierLabel]: classifier } },
    spec: {
      suspend: true,
      parallelism: 0,
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "migrate", image }] } },
    },
  };
}

/** One recorded watch event of a collection, in the order the API server sent them. */
export interface RecordedEvent<T> {
  readonly type: string;
  readonly object: T;
}

export interface WatchRecorder<T> {
  readonly events: RecordedEvent<T>[];
  /** Resolves with the first object (seen so far or later) that satisfies `predicate`. */
  waitFor(predicate: (object: T, type: string) => boolean, timeoutMs: number): Promise<T>;
  stop(): void;
}

/**
 * Records a collection (as admin, directly on the API server): the objects of a list as `LIST` events, then every
 * change after it. The evidence of what happened, independent of the manager's own account.
 */
export async function recordWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  list: { items: T[]; metadata?: { resourceVersion?: string } },
): Promise<WatchRecorder<T>> {
  const events: RecordedEvent<T>[] = list.items.map((object) => ({ type: "LIST", object }));
  const resourceVersion = list.metadata?.resourceVersion;
  if (resourceVersion === undefined) throw new Error(`the list of ${path} has no resourceVersion to watch from`);
  const waiters = new Set<() => void>();
  let failure: unknown;
  const controller = await new Watch(kubeConfig).watch(
    path,
    { resourceVersion, allowWatchBookmarks: false },
    (type: string, object: T) => {
      events.push({ type, object });
      for (const waiter of [...waiters]) waiter();
    },
    (error: unknown) => {
      failure = error ?? new Error(`the watch of ${path} ended`);
      for (const waiter of [...waiters]) waiter();
    },
  );
  let stopped = false;
  return {
    events,
    waitFor(predicate, timeoutMs) {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const hit = events.find((event) => predicate(event.object, event.type));
          if (hit !== undefined) {
            done();
            resolve(hit.object);
          } else if (failure !== undefined && !stopped) {
            done();
            reject(failure);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no change of ${path} matched within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}
