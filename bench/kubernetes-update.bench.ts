/**
 * The manager against a real API server (kube-apiserver + controller-manager 1.20.2 on loopback, see scripts/kube):
 *
 * 1. API requests per Update, reads and writes, counted with the counting KubeConfig and cross-checked against
 *    the API server's audit log; and the same for the original update manager's algorithm (list every namespace,
 *    then the Deployments and Jobs of each, per update).
 * 2. Update accept latency over gRPC, with 2,000 Deployments (200 namespaces) cached.
 * 3. From a Deployment's status turning complete (seen on an admin watch) to the terminal WatchUpdate event,
 *    side by side with `kubectl rollout status` on the same rollout.
 * 4. RSS of a manager process (dist/src/main.js) with 0, 2,000 and 10,000 cached workloads.
 *
 * Run: `npm run bench` (scripts/bench.sh). Prints a summary; raw numbers go to bench/results/kubernetes-update.json.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, totalmem, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type RequestContext,
  type V1Deployment,
  Watch,
} from "@kubernetes/client-node";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import { createAccessControl } from "../src/auth/access-control.js";
import { registerUpdateService } from "../src/api/update-service.js";
import type { KubeWorkloadObject } from "../src/cluster/kubernetes/kube-objects.js";
import { createKubernetesCluster } from "../src/cluster/kubernetes/kubernetes-cluster.js";
import { toWorkload } from "../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../src/core/domain/judge-rollout.js";
import { createMetadataKeys } from "../src/core/domain/metadata-keys.js";
import { systemClock } from "../src/core/ports/clock.js";
import { silentLogger } from "../src/core/ports/logger.js";
import { createUpdateManager } from "../src/core/use-cases/update-manager.js";
import { createApiServer } from "../src/server/api-server.js";
import { createMemoryQuarantineStore } from "../src/store/memory/memory-quarantine-store.js";
import { createMemoryTargetLocks } from "../src/store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "../src/store/memory/memory-update-store.js";
import { countRequests } from "../test/cluster/kubernetes/counting-kube-config.js";
import { type AuditRecord, collect, finalState, percentile, pool, readAudit, until } from "./bench-support.js";
import { originalAlgorithmUpdate } from "./original-algorithm.js";
import { type ControlPlane, startControlPlane } from "../test/support/control-plane.js";
import { createFakeKubelet } from "../test/support/fake-kubelet.js";
import { type ServerProcess, startServer } from "../test/support/server-process.js";

const NAMESPACES = 200;
const DEPLOYMENTS_PER_NAMESPACE = 10; // 2,000
const LARGE_DEPLOYMENTS_PER_NAMESPACE = 50; // 10,000
const CLASSIFIERS = ["team-a", "team-b", "team-c", "team-d"];
const MEASURED_UPDATES = 50;
const SEQUENTIAL_UPDATES = 100;
const SEQUENTIAL_UPDATES_LARGE = 50;
const LOAD_UPDATES = 200;
const ORIGINAL_UPDATES = 10;
const ROLLOUT_ROUNDS = 6;
const CREATE_CONCURRENCY = 24;
/** Per-caller rate limits high enough never to refuse the benchmark's single caller. */
const generousLimit = { perMinute: 100_000, burst: 10_000 };

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "results", "kubernetes-update.json");
const keys = createMetadataKeys();
const managerUser = "bench-manager";
const originalUser = "bench-original";

const namespaceName = (index: number) => `bench-${String(index).padStart(3, "0")}`;
const repositoryOf = (namespace: string, service: number) => `registry.example.com/${namespace}/svc-${service}`;
const classifierOf = (namespaceIndex: number) => CLASSIFIERS[namespaceIndex % CLASSIFIERS.length]!;

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}


function summarize(values: readonly number[]) {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    n: values.length,
    min: round(Math.min(...values)),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((sum, v) => sum + v, 0) / values.length),
  };
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}


/** Requests sent with a KubeConfig by HTTP method: GET (list, watch, get) are reads, the rest writes. */
interface MethodCounter {
  snapshot(): Record<string, number>;
}

/**
 * Wraps the same two credential hooks as test/cluster/kubernetes/counting-kube-config.ts, reading the method:
 * the adapter's REST client sets it before asking for credentials; client-node's Watch leaves it unset (GET).
 */
function countByMethod(kubeConfig: KubeConfig): MethodCounter {
  const counts: Record<string, number> = {};
  const add = (method: string | undefined) => {
    const key = (method ?? "GET").toUpperCase();
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const applyToHTTPSOptions = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
  const applySecurityAuthentication = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applyToHTTPSOptions = (options) => {
    add(options.method);
    return applyToHTTPSOptions(options);
  };
  kubeConfig.applySecurityAuthentication = (context: RequestContext) => {
    add(context.getHttpMethod());
    return applySecurityAuthentication(context);
  };
  return { snapshot: () => ({ ...counts }) };
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta !== 0) out[key] = delta;
  }
  return out;
}

const readsOf = (byMethod: Record<string, number>) => byMethod.GET ?? 0;
const writesOf = (byMethod: Record<string, number>) =>
  Object.entries(byMethod).reduce((sum, [method, n]) => (method === "GET" ? sum : sum + n), 0);


/** `verb resource` -> count, for a user within [fromMs, toMs]. */
function auditBreakdown(records: AuditRecord[], user: string, fromMs: number, toMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) {
    if (record.user !== user || record.receivedMs < fromMs || record.receivedMs > toMs) continue;
    const key = `${record.verb} ${record.resource}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function deploymentManifest(name: string, image: string, classifier: string, replicas: number, minReadySeconds = 0): V1Deployment {
  return {
    metadata: { name, labels: { app: name, [keys.classifierLabel]: classifier } },
    spec: {
      replicas,
      minReadySeconds,
      progressDeadlineSeconds: 30,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
    },
  };
}

async function createDeployments(apps: AppsV1Api, services: { from: number; to: number }): Promise<number> {
  const work: { namespace: string; service: number; classifier: string }[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    for (let s = services.from; s < services.to; s++) work.push({ namespace: namespaceName(n), service: s, classifier: classifierOf(n) });
  }
  const started = performance.now();
  await pool(work, CREATE_CONCURRENCY, async ({ namespace, service, classifier }) => {
    const image = `${repositoryOf(namespace, service)}:1.0.0`;
    await apps.createNamespacedDeployment({ namespace, body: deploymentManifest(`svc-${service}`, image, classifier, 0) });
  });
  return performance.now() - started;
}




interface ManagerProcess {
  readonly server: ServerProcess;
  readonly client: Client<typeof UpdateService>;
  readonly cachedWorkloads: number;
  readonly startToReadyMs: number;
}

/** Starts the real server (dist/src/main.js) on the Kubernetes cluster and waits until its caches synced. */
async function startManagerProcess(plane: ControlPlane, apiKey: string): Promise<ManagerProcess> {
  const started = performance.now();
  const server = await startServer({
    env: {
      UPDATE_MANAGER_CLUSTER: "kubernetes",
      KUBECONFIG: plane.kubeconfigPath,
      UPDATE_MANAGER_API_KEY: apiKey,
      UPDATE_MANAGER_STORE: "memory",
      // The benchmark is one caller sending hundreds of updates a minute; the defaults are for CI jobs.
      UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: String(generousLimit.perMinute),
      UPDATE_MANAGER_WRITE_BURST: String(generousLimit.burst),
      UPDATE_MANAGER_READ_RATE_PER_MINUTE: String(generousLimit.perMinute),
      UPDATE_MANAGER_READ_BURST: String(generousLimit.burst),
      UPDATE_MANAGER_LOG_LEVEL: "info",
    },
    timeoutMs: 60_000,
  });
  try {
    await until(
      "the manager process synced",
      async () => (await fetch(`${server.adminUrl}/readyz`).catch(() => undefined))?.status === 200,
      300_000,
      50,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  const startToReadyMs = Math.round(performance.now() - started);
  const synced = server.logs.find((line) => line.msg === "cluster caches synced") as { workloads?: number } | undefined;
  return { server, client: grpcClient(server.apiUrl, apiKey), cachedWorkloads: synced?.workloads ?? Number.NaN, startToReadyMs };
}

function grpcClient(baseUrl: string, apiKey: string): Client<typeof UpdateService> {
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${apiKey}`);
    return next(request);
  };
  return createClient(UpdateService, createGrpcTransport({ baseUrl, interceptors: [bearer] }));
}

/** VmRSS and VmHWM of a process, in MiB. */
async function rssOf(pid: number): Promise<{ rssMiB: number; peakRssMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const mib = (field: string) => {
    const kib = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return Math.round((kib / 1024) * 10) / 10;
  };
  return { rssMiB: mib("VmRSS"), peakRssMiB: mib("VmHWM") };
}

/** A manager process's RSS once synced and idle for a few seconds (start-up garbage collected). */
async function idleRss(manager: ManagerProcess, when: string) {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  return {
    when,
    cachedWorkloads: manager.cachedWorkloads,
    startToReadyMs: manager.startToReadyMs,
    ...(await rssOf(manager.server.child.pid!)),
  };
}

/**
 * Waits until the controller-manager has processed every Deployment (status observed, conditions set): until
 * then the API server and etcd are busy with its backlog and every measurement would measure that instead.
 */
async function waitForControllers(apps: AppsV1Api, expected: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await until(
    `the controller-manager processed ${expected} Deployments`,
    async () => {
      let observed = 0;
      let continueToken: string | undefined;
      do {
        const page = await apps.listDeploymentForAllNamespaces({ limit: 2000, ...(continueToken ? { _continue: continueToken } : {}) });
        for (const d of page.items) {
          if (d.status?.observedGeneration === d.metadata?.generation && (d.status?.conditions?.length ?? 0) > 0) observed++;
        }
        continueToken = page.metadata?._continue || undefined;
      } while (continueToken !== undefined);
      return observed >= expected;
    },
    timeoutMs,
    2_000,
  );
  return Math.round(performance.now() - started);
}

/** Runs `kubectl rollout status`; resolves with the time it exited (performance.now()) and its output. */
function kubectlRolloutStatus(kubeconfig: string, namespace: string, name: string) {
  const child = spawn("kubectl", [`--kubeconfig=${kubeconfig}`, "-n", namespace, "rollout", "status", `deployment/${name}`, "--timeout=120s"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise<{ exitedAt: number; code: number | null; output: string }>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve({ exitedAt: performance.now(), code, output: output.trim() }));
  });
}

interface Target {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly classifier: string;
}

/** The i-th target: one Deployment with a repository of its own, so that each update has exactly one target. */
function target(i: number): Target {
  const namespaceIndex = i % NAMESPACES;
  const service = Math.floor(i / NAMESPACES);
  const namespace = namespaceName(namespaceIndex);
  return { namespace, name: `svc-${service}`, image: `${repositoryOf(namespace, service)}:1.0.1`, classifier: classifierOf(namespaceIndex) };
}

const targets = (from: number, count: number) => Array.from({ length: count }, (_, i) => target(from + i));

/** Updates one after the other, each awaited to its terminal event. */
async function sequentialUpdates(client: Client<typeof UpdateService>, list: readonly Target[]) {
  const acceptMs: number[] = [];
  const totalMs: number[] = [];
  const states: string[] = [];
  for (const t of list) {
    const t0 = performance.now();
    const { update } = await client.update({ image: t.image, classifier: t.classifier, updateTimeout: { seconds: 120n } });
    acceptMs.push(performance.now() - t0);
    states.push(finalState(await collect(client, update!.id)));
    totalMs.push(performance.now() - t0);
  }
  return { acceptMs, totalMs, states: countBy(states) };
}

/** Updates sent back to back (each as soon as the previous was accepted); their executions pile up meanwhile. */
async function backToBackUpdates(client: Client<typeof UpdateService>, list: readonly Target[]) {
  const acceptMs: number[] = [];
  const ids: string[] = [];
  for (const t of list) {
    const t0 = performance.now();
    const { update } = await client.update({ image: t.image, classifier: t.classifier, updateTimeout: { seconds: 300n } });
    acceptMs.push(performance.now() - t0);
    ids.push(update!.id);
  }
  const states: string[] = [];
  for (const id of ids) states.push(finalState(await collect(client, id)));
  return { acceptMs, states: countBy(states) };
}

const probeNamespace = "bench-rollout";
const probeRepo = "registry.example.com/bench-rollout/web";

/**
 * Rollouts of a 2-replica Deployment (fake kubelet pods): when the API server's watch shows its status complete,
 * when the terminal WatchUpdate event arrives, and when `kubectl rollout status` (started once the patch is in)
 * exits. minReadySeconds keeps each rollout open 2 s after its pods are ready, so both watchers are in place.
 */
async function rolloutRounds(plane: ControlPlane, client: Client<typeof UpdateService>, rounds: number) {
  const admin = plane.kubeConfig();
  const apps = admin.makeApiClient(AppsV1Api);
  const out: { managerLagMs: number; kubectlLagMs: number; managerMinusKubectlMs: number; state: string; kubectlExit: number | null }[] =
    [];
  for (let round = 1; round <= rounds; round++) {
    const before = await apps.readNamespacedDeployment({ name: "web", namespace: probeNamespace });
    const newGeneration = (before.metadata?.generation ?? 0) + 1;
    let completeAt: number | undefined;
    const watch = await new Watch(admin).watch(
      `/apis/apps/v1/namespaces/${probeNamespace}/deployments`,
      { fieldSelector: "metadata.name=web", resourceVersion: before.metadata?.resourceVersion },
      (_type: string, object: KubeWorkloadObject) => {
        if (completeAt !== undefined || (object.metadata?.generation ?? 0) < newGeneration) return;
        if (judgeRollout(toWorkload("Deployment", object)).state === "complete") completeAt = performance.now();
      },
      () => {},
    );
    let kubectl: ReturnType<typeof kubectlRolloutStatus> | undefined;
    let finishedAt: number | undefined;
    const { update } = await client.update({ image: `${probeRepo}:${Date.now()}`, classifier: "probe", updateTimeout: { seconds: 120n } });
    const events = await collect(client, update!.id, (event, atMs) => {
      // Only once the patch is in: before it, kubectl would report the previous rollout as complete.
      if (event.kind.case === "workloadPatched") kubectl = kubectlRolloutStatus(plane.kubeconfigPath, probeNamespace, "web");
      if (event.kind.case === "finished") finishedAt = atMs;
    });
    if (kubectl === undefined) throw new Error("the probe update patched nothing");
    const kubectlResult = await kubectl;
    watch.abort();
    if (completeAt === undefined || finishedAt === undefined) throw new Error("the probe rollout was not observed complete");
    out.push({
      managerLagMs: finishedAt - completeAt,
      kubectlLagMs: kubectlResult.exitedAt - completeAt,
      managerMinusKubectlMs: finishedAt - kubectlResult.exitedAt,
      state: finalState(events),
      kubectlExit: kubectlResult.code,
    });
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), "update-manager-bench-"));
  const auditLog = join(work, "audit.log");
  const auditPolicy = join(work, "audit-policy.json");
  await writeFile(
    auditPolicy,
    JSON.stringify({
      apiVersion: "audit.k8s.io/v1",
      kind: "Policy",
      omitStages: ["RequestReceived"],
      rules: [{ level: "Metadata", users: [managerUser, originalUser] }, { level: "None" }],
    }),
  );
  const managerToken = randomBytes(24).toString("hex");
  const originalToken = randomBytes(24).toString("hex");
  const apiKey = randomBytes(24).toString("hex");
  const small = NAMESPACES * DEPLOYMENTS_PER_NAMESPACE;
  const large = NAMESPACES * LARGE_DEPLOYMENTS_PER_NAMESPACE;

  log("starting the control plane");
  const plane = await startControlPlane({
    users: [
      { name: managerUser, token: managerToken, groups: ["system:masters"] },
      { name: originalUser, token: originalToken, groups: ["system:masters"] },
    ],
    apiServerArgs: [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, "--audit-log-mode=blocking"],
    // At the default 20 QPS the controller-manager would need many minutes to give 10,000 Deployments their
    // ReplicaSets and status.
    controllerManagerArgs: ["--kube-api-qps=400", "--kube-api-burst=800"],
  });
  const kubelet = createFakeKubelet(plane.kubeConfig());
  const managers = new Set<ManagerProcess>();
  const results: Record<string, unknown> = {
    command: "npm run bench",
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    kubernetes: "kube-apiserver + kube-controller-manager v1.20.2, etcd 3.4, all on loopback of the same machine",
  };
  try {
    await kubelet.start();
    const admin = plane.kubeConfig();
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    const rss: unknown[] = [];

    // --- RSS with no workloads
    log("manager process on an empty cluster");
    const process0 = await startManagerProcess(plane, apiKey);
    managers.add(process0);
    rss.push(await idleRss(process0, "empty cluster"));
    await process0.server.stop();
    managers.delete(process0);

    // --- 2,000 Deployments in 200 namespaces, and the probe Deployment with pods
    log(`creating ${NAMESPACES} namespaces and ${small} Deployments (replicas 0)`);
    await pool(
      Array.from({ length: NAMESPACES }, (_, i) => namespaceName(i)),
      CREATE_CONCURRENCY,
      async (name) => {
        await core.createNamespace({ body: { metadata: { name } } });
      },
    );
    const createSmallMs = await createDeployments(apps, { from: 0, to: DEPLOYMENTS_PER_NAMESPACE });
    await core.createNamespace({ body: { metadata: { name: probeNamespace } } });
    await until(
      "the probe namespace's default ServiceAccount token",
      async () =>
        (await core.listNamespacedSecret({ namespace: probeNamespace })).items.some((s) => s.type === "kubernetes.io/service-account-token"),
      30_000,
    );
    await apps.createNamespacedDeployment({ namespace: probeNamespace, body: deploymentManifest("web", `${probeRepo}:0`, "probe", 2, 2) });
    const settleSmallMs = await waitForControllers(apps, small + 1, 300_000);
    log(`created in ${Math.round(createSmallMs)} ms; controller-manager done ${settleSmallMs} ms later`);

    // --- 1. Requests per Update: the manager in-process on a counting KubeConfig, serving gRPC on loopback
    const managerKubeConfig = plane.kubeConfigForToken(managerToken, managerUser);
    const total = countRequests(managerKubeConfig);
    const byMethod = countByMethod(managerKubeConfig);
    const cluster = createKubernetesCluster({ kubeConfig: managerKubeConfig, keys, logger: silentLogger });
    const syncStarted = performance.now();
    await cluster.start();
    const syncMs = performance.now() - syncStarted;
    const startupRequests = total.count();
    const manager = createUpdateManager(
      {
        cluster,
        store: createMemoryUpdateStore({ clock: systemClock }),
        quarantines: createMemoryQuarantineStore(),
        locks: createMemoryTargetLocks(),
        clock: systemClock,
        newId: randomUUID,
        keys,
        logger: silentLogger,
      },
      { legacyAnnotation: true },
    );
    const api = createApiServer({
      routes: (router, context) => registerUpdateService(router, manager, { shutdownSignal: context.shutdownSignal }),
      host: "127.0.0.1",
      port: 0,
      interceptors: [
        createAccessControl({
          config: { keys: [], writeLimit: generousLimit, readLimit: generousLimit, reflection: "open" },
          fullScopeKey: apiKey,
          clock: systemClock,
          audit: silentLogger,
        }),
      ],
    });
    await api.listen();
    const inProcess = grpcClient(`http://127.0.0.1:${api.address().port}`, apiKey);
    log(`in-process manager synced ${cluster.listWorkloads().length} workloads in ${Math.round(syncMs)} ms with ${startupRequests} requests`);
    // Warm-up (connection, JIT): not counted.
    await sequentialUpdates(inProcess, targets(0, 1));
    log(`${MEASURED_UPDATES} updates, one after the other, counting API requests`);
    const perUpdate: { acceptMs: number; totalMs: number; requests: number; byMethod: Record<string, number>; state: string }[] = [];
    const measuredFrom = Date.now();
    for (const t of targets(1, MEASURED_UPDATES)) {
      const totalBefore = total.count();
      const methodsBefore = byMethod.snapshot();
      const t0 = performance.now();
      const { update } = await inProcess.update({ image: t.image, classifier: t.classifier, updateTimeout: { seconds: 120n } });
      const acceptMs = performance.now() - t0;
      const events = await collect(inProcess, update!.id);
      const totalMs = performance.now() - t0;
      // The health gate's pod watch is stopped when the rollout settles: let that land inside this window.
      await new Promise((resolve) => setTimeout(resolve, 20));
      perUpdate.push({
        acceptMs,
        totalMs,
        requests: total.count() - totalBefore,
        byMethod: difference(byMethod.snapshot(), methodsBefore),
        state: finalState(events),
      });
    }
    const measuredTo = Date.now();
    await api.close();
    await manager.shutdown();
    await cluster.stop();

    // --- 1b. The original's algorithm, same cluster, same kind of target
    log(`${ORIGINAL_UPDATES} updates with the original's algorithm`);
    const originalKubeConfig = plane.kubeConfigForToken(originalToken, originalUser);
    const originalTotal = countRequests(originalKubeConfig);
    const originalMethods = countByMethod(originalKubeConfig);
    const originalRuns: { ms: number; requests: number; byMethod: Record<string, number>; patched: number }[] = [];
    const originalFrom = Date.now();
    for (const t of targets(100, ORIGINAL_UPDATES)) {
      const before = originalTotal.count();
      const methodsBefore = originalMethods.snapshot();
      const t0 = performance.now();
      const patched = await originalAlgorithmUpdate(originalKubeConfig, t.image, t.classifier, keys.classifierLabel);
      originalRuns.push({
        ms: performance.now() - t0,
        requests: originalTotal.count() - before,
        byMethod: difference(originalMethods.snapshot(), methodsBefore),
        patched,
      });
    }
    const originalTo = Date.now();

    // --- 2.-4. The manager as a process, with 2,000 cached workloads
    log("manager process with 2,000 workloads: RSS, accept latency, rollout status");
    const process2k = await startManagerProcess(plane, apiKey);
    managers.add(process2k);
    rss.push(await idleRss(process2k, `${small} Deployments, synced`));
    await sequentialUpdates(process2k.client, targets(200, 1)); // warm-up
    const sequential2k = await sequentialUpdates(process2k.client, targets(201, SEQUENTIAL_UPDATES));
    const backToBack2k = await backToBackUpdates(process2k.client, targets(201 + SEQUENTIAL_UPDATES, LOAD_UPDATES));
    const rounds = await rolloutRounds(plane, process2k.client, ROLLOUT_ROUNDS);
    rss.push(await idleRss(process2k, `${small} Deployments, after ${2 + SEQUENTIAL_UPDATES + LOAD_UPDATES + ROLLOUT_ROUNDS} updates`));
    await process2k.server.stop();
    managers.delete(process2k);

    // --- 10,000
    log(`creating ${large - small} more Deployments`);
    const createLargeMs = await createDeployments(apps, { from: DEPLOYMENTS_PER_NAMESPACE, to: LARGE_DEPLOYMENTS_PER_NAMESPACE });
    const settleLargeMs = await waitForControllers(apps, large + 1, 600_000);
    log(`created in ${Math.round(createLargeMs)} ms; controller-manager done ${settleLargeMs} ms later`);
    const process10k = await startManagerProcess(plane, apiKey);
    managers.add(process10k);
    rss.push(await idleRss(process10k, `${large} Deployments, synced`));
    await sequentialUpdates(process10k.client, targets(small, 1)); // warm-up
    const sequential10k = await sequentialUpdates(process10k.client, targets(small + 1, SEQUENTIAL_UPDATES_LARGE));
    rss.push(await idleRss(process10k, `${large} Deployments, after ${1 + SEQUENTIAL_UPDATES_LARGE} updates`));
    await process10k.server.stop();
    managers.delete(process10k);

    // --- Report
    const audit = await readAudit(auditLog);
    const managerAudit = auditBreakdown(audit, managerUser, measuredFrom - 1, measuredTo + 1);
    const originalAudit = auditBreakdown(audit, originalUser, originalFrom - 1, originalTo + 1);
    const perOperation = (breakdown: Record<string, number>, n: number) =>
      Object.fromEntries(Object.entries(breakdown).map(([key, count]) => [key, Math.round((count / n) * 100) / 100]));
    const workloadReads = Object.entries(managerAudit)
      .filter(([key]) => /^(get|list|watch) /.test(key) && !key.endsWith(" pods"))
      .reduce((sum, [, n]) => sum + n, 0);
    const ours = {
      requests: summarize(perUpdate.map((u) => u.requests)),
      reads: summarize(perUpdate.map((u) => readsOf(u.byMethod))),
      writes: summarize(perUpdate.map((u) => writesOf(u.byMethod))),
      states: countBy(perUpdate.map((u) => u.state)),
      auditPerUpdate: perOperation(managerAudit, MEASURED_UPDATES),
      auditReadsOfWorkloadsJobsNamespaces: workloadReads,
    };
    const original = {
      requests: summarize(originalRuns.map((u) => u.requests)),
      reads: summarize(originalRuns.map((u) => readsOf(u.byMethod))),
      writes: summarize(originalRuns.map((u) => writesOf(u.byMethod))),
      lookupAndPatchMs: summarize(originalRuns.map((u) => u.ms)),
      auditPerUpdate: perOperation(originalAudit, ORIGINAL_UPDATES),
    };
    Object.assign(results, {
      setup: {
        namespaces: NAMESPACES,
        deployments: small,
        classifiers: CLASSIFIERS,
        createMs: Math.round(createSmallMs),
        controllerSettleMs: settleSmallMs,
        inProcessSyncMs: Math.round(syncMs),
        inProcessStartupRequests: startupRequests,
      },
      requestsPerUpdate: {
        updates: MEASURED_UPDATES,
        ours,
        original,
        ratioRequests: original.requests.mean / ours.requests.mean,
        ratioReads: ours.reads.mean === 0 ? null : original.reads.mean / ours.reads.mean,
        inProcessAcceptMs: summarize(perUpdate.map((u) => u.acceptMs)),
        inProcessUpdateMs: summarize(perUpdate.map((u) => u.totalMs)),
      },
      acceptLatencyMs: {
        process2kSequential: { ...summarize(sequential2k.acceptMs), states: sequential2k.states },
        process2kBackToBack: { ...summarize(backToBack2k.acceptMs), states: backToBack2k.states },
        process10kSequential: { ...summarize(sequential10k.acceptMs), states: sequential10k.states },
      },
      updateDurationMs: { process2kSequential: summarize(sequential2k.totalMs), process10kSequential: summarize(sequential10k.totalMs) },
      completeToTerminal: {
        rounds,
        managerLagMs: summarize(rounds.map((r) => r.managerLagMs)),
        kubectlLagMs: summarize(rounds.map((r) => r.kubectlLagMs)),
        managerMinusKubectlMs: summarize(rounds.map((r) => r.managerMinusKubectlMs)),
      },
      rss,
      large: { deployments: large, createMs: Math.round(createLargeMs), controllerSettleMs: settleLargeMs },
      runSeconds: Math.round((performance.now() - started) / 1000),
      perUpdate,
      originalRuns,
    });
    await mkdir(dirname(resultsPath), { recursive: true });
    await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
    const latency = (label: string, values: number[]) =>
      `    ${label}: p50 ${f(percentile(values, 50))} ms, p99 ${f(percentile(values, 99))} ms, max ${f(Math.max(...values))} ms (n=${values.length})`;
    const lines = [
      "",
      `kubernetes-update (${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB; control plane on the same machine)`,
      `  requests per Update, ${small} Deployments in ${NAMESPACES} namespaces (mean of ${MEASURED_UPDATES}, one target each):`,
      `    ours:     ${f(ours.requests.mean)} = ${f(ours.reads.mean)} reads + ${f(ours.writes.mean)} writes; states ${JSON.stringify(ours.states)}`,
      `              audit log: ${JSON.stringify(ours.auditPerUpdate)}; reads of workloads, Jobs or namespaces: ${workloadReads}`,
      `    original: ${f(original.requests.mean)} = ${f(original.reads.mean)} reads + ${f(original.writes.mean)} writes; ${f(original.lookupAndPatchMs.p50)} ms p50 per update`,
      `              audit log: ${JSON.stringify(original.auditPerUpdate)}`,
      `    original / ours: ${f(original.requests.mean / ours.requests.mean)}x requests, ${
        ours.reads.mean === 0 ? "ours has no reads" : `${f(original.reads.mean / ours.reads.mean)}x reads`
      }`,
      "  Update accept latency over gRPC (manager process):",
      latency(`${small} workloads, sequential`, sequential2k.acceptMs),
      latency(`${small} workloads, back to back`, backToBack2k.acceptMs),
      latency(`${large} workloads, sequential`, sequential10k.acceptMs),
      `  status complete -> terminal WatchUpdate event: p50 ${f(percentile(rounds.map((r) => r.managerLagMs), 50))} ms, max ${f(
        Math.max(...rounds.map((r) => r.managerLagMs)),
      )} ms; kubectl rollout status exit: p50 ${f(percentile(rounds.map((r) => r.kubectlLagMs), 50))} ms, max ${f(
        Math.max(...rounds.map((r) => r.kubectlLagMs)),
      )} ms; manager first in ${rounds.filter((r) => r.managerMinusKubectlMs <= 0).length}/${rounds.length}`,
      "  RSS of a manager process:",
      ...rss.map((r) => {
        const x = r as { when: string; cachedWorkloads: number; rssMiB: number; peakRssMiB: number; startToReadyMs: number };
        return `    ${x.when}: ${x.rssMiB} MiB (peak ${x.peakRssMiB} MiB; ${x.cachedWorkloads} cached workloads, ready ${x.startToReadyMs} ms after start)`;
      }),
      `  run: ${Math.round((performance.now() - started) / 1000)} s; raw: ${resultsPath}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    for (const m of managers) await m.server.stop();
    await kubelet.stop();
    await plane.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
