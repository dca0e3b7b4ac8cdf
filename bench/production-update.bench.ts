/**
 * The manager composed as kube/ deploys it, on a real API server (kube-apiserver + controller-manager 1.20.2):
 * a manager process (`src/main.ts`) on its own ServiceAccount token (kube/overlays/test-1.20's RBAC) with
 * UPDATE_MANAGER_STORE=kubernetes: UpdateRun store, target locks, Lease leader election.
 *
 * 1. API requests per Update by verb and resource, from the API server's audit log (the ServiceAccount only),
 *    one window per update; Lease requests (time-based renewals) are reported apart. Checks the write formula.
 * 2. The same cluster with the original update manager's algorithm (every namespace, its Deployments and Jobs).
 * 3. Rollouts of a 2-replica Deployment: its status turning complete (admin watch) -> terminal WatchUpdate event,
 *    side by side with `kubectl rollout status` on the same rollout.
 * 4. RSS of the manager process, synced.
 *
 * Run: `npm run bench` or `bash scripts/bench.sh bench/production-update.bench.ts`.
 * Raw numbers: bench/results/production-update.json.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, totalmem, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Client } from "@connectrpc/connect";
import type { AppsV1Api, KubeConfig, V1Deployment } from "@kubernetes/client-node";
import { Watch } from "@kubernetes/client-node";
import type { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import type { KubeWorkloadObject } from "../src/cluster/kubernetes/kube-objects.js";
import { toWorkload } from "../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../src/core/domain/judge-rollout.js";
import { countRequests } from "../test/cluster/kubernetes/counting-kube-config.js";
import { keys, type ManagerUnderTest, startKubeE2eEnvironment } from "../test/e2e-kube/kube-e2e-environment.js";
import { type AuditRecord, collect, finalState, percentile, pool, readAudit, until } from "./bench-support.js";
import { originalAlgorithmUpdate } from "./original-algorithm.js";

const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 100);
const DEPLOYMENTS_PER_NAMESPACE = Number(process.env.BENCH_DEPLOYMENTS_PER_NAMESPACE ?? 5); // 500
const MEASURED_UPDATES = Number(process.env.BENCH_UPDATES ?? 20);
const ROLLOUT_ROUNDS = Number(process.env.BENCH_ROLLOUTS ?? 20);
const ORIGINAL_UPDATES = 5;
const CREATE_CONCURRENCY = 24;
const CLASSIFIERS = ["team-a", "team-b", "team-c", "team-d"];
const managerUser = "system:serviceaccount:update-manager:update-manager";
const generous = "100000";

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "results", "production-update.json");
const namespaceName = (index: number) => `prod-${String(index).padStart(3, "0")}`;
const repositoryOf = (namespace: string, service: number) => `registry.example.com/${namespace}/svc-${service}`;
const classifierOf = (namespaceIndex: number) => CLASSIFIERS[namespaceIndex % CLASSIFIERS.length]!;

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}


const round2 = (n: number) => Math.round(n * 100) / 100;

function summarize(values: readonly number[]) {
  return {
    n: values.length,
    p50: round2(percentile(values, 50)),
    p99: round2(percentile(values, 99)),
    max: round2(Math.max(...values)),
    mean: round2(values.reduce((sum, v) => sum + v, 0) / values.length),
  };
}




const isRead = (key: string) => /^(get|list|watch) /.test(key);
const isLease = (key: string) => key.endsWith(" leases");
/** The step Events (both Events APIs log resource `events`): off the update's path, counted apart. */
const isEvent = (key: string) => key.endsWith(" events");

/** `verb resource` -> count for the manager within [fromMs, toMs). */
function breakdown(records: readonly AuditRecord[], fromMs: number, toMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) {
    if (record.user !== managerUser || record.receivedMs < fromMs || record.receivedMs >= toMs) continue;
    const key = `${record.verb} ${record.resource}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

const sum = (counts: Record<string, number>, keep: (key: string) => boolean) =>
  Object.entries(counts).reduce((total, [key, n]) => (keep(key) ? total + n : total), 0);

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

async function waitForControllers(apps: AppsV1Api, expected: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await until(
    `the controller-manager processed ${expected} Deployments`,
    async () => {
      const list = await apps.listDeploymentForAllNamespaces();
      const observed = list.items.filter(
        (d) => d.status?.observedGeneration === d.metadata?.generation && (d.status?.conditions?.length ?? 0) > 0,
      ).length;
      return observed >= expected;
    },
    timeoutMs,
    1_000,
  );
  return Math.round(performance.now() - started);
}



async function rssOf(pid: number): Promise<{ rssMiB: number; peakRssMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const mib = (field: string) => Math.round((Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024) * 10) / 10;
  return { rssMiB: mib("VmRSS"), peakRssMiB: mib("VmHWM") };
}

function kubectlRolloutStatus(kubeconfig: string, namespace: string, name: string) {
  const child = spawn("kubectl", [`--kubeconfig=${kubeconfig}`, "-n", namespace, "rollout", "status", `deployment/${name}`, "--timeout=120s"], {
    stdio: ["ignore", "ignore", "ignore"],
  });
  return new Promise<{ exitedAt: number; code: number | null }>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve({ exitedAt: performance.now(), code }));
  });
}

interface Target {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly classifier: string;
}

/** The i-th target: one Deployment with a repository of its own, so that each update has exactly one target. */
function target(i: number, tag: string): Target {
  const namespaceIndex = i % NAMESPACES;
  const service = Math.floor(i / NAMESPACES) % DEPLOYMENTS_PER_NAMESPACE;
  const namespace = namespaceName(namespaceIndex);
  return { namespace, name: `svc-${service}`, image: `${repositoryOf(namespace, service)}:${tag}`, classifier: classifierOf(namespaceIndex) };
}

async function runUpdate(client: Client<typeof UpdateService>, t: Target) {
  const t0 = performance.now();
  const { update } = await client.update({ image: t.image, classifier: t.classifier, updateTimeout: { seconds: 120n } });
  const acceptMs = performance.now() - t0;
  const events = await collect(client, update!.id);
  const progress = events.filter((event) => event.kind.case === "workloadProgress").length;
  return { id: update!.id, acceptMs, totalMs: performance.now() - t0, state: finalState(events), events: events.length, progress };
}

/**
 * Rollouts of a 2-replica Deployment (fake kubelet pods): when an admin watch sees its new generation complete,
 * when the terminal WatchUpdate event arrives, and when `kubectl rollout status` (started once the patch is in)
 * exits. minReadySeconds keeps each rollout open 2 s after its pods are ready, so both watchers are in place.
 */
async function rolloutRounds(
  admin: KubeConfig,
  apps: AppsV1Api,
  kubeconfigPath: string,
  client: Client<typeof UpdateService>,
  namespace: string,
  repository: string,
  rounds: number,
) {
  const out: { managerLagMs: number; kubectlLagMs: number; managerMinusKubectlMs: number; state: string }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const before = await apps.readNamespacedDeployment({ name: "web", namespace });
    const newGeneration = (before.metadata?.generation ?? 0) + 1;
    let completeAt: number | undefined;
    const watch = await new Watch(admin).watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { fieldSelector: "metadata.name=web", resourceVersion: before.metadata?.resourceVersion },
      (_type: string, object: KubeWorkloadObject) => {
        if (completeAt !== undefined || (object.metadata?.generation ?? 0) < newGeneration) return;
        if (judgeRollout(toWorkload("Deployment", object)).state === "complete") completeAt = performance.now();
      },
      () => {},
    );
    let kubectl: ReturnType<typeof kubectlRolloutStatus> | undefined;
    let finishedAt: number | undefined;
    const { update } = await client.update({ image: `${repository}:${Date.now()}`, classifier: "probe", updateTimeout: { seconds: 120n } });
    const events = await collect(client, update!.id, (event, atMs) => {
      if (event.kind.case === "workloadPatched") kubectl = kubectlRolloutStatus(kubeconfigPath, namespace, "web");
      if (event.kind.case === "finished") finishedAt = atMs;
    });
    if (kubectl === undefined) throw new Error("the probe update patched nothing");
    const kubectlResult = await kubectl;
    watch.abort();
    if (completeAt === undefined || finishedAt === undefined) throw new Error("the probe rollout was not observed complete");
    out.push({
      managerLagMs: round2(finishedAt - completeAt),
      kubectlLagMs: round2(kubectlResult.exitedAt - completeAt),
      managerMinusKubectlMs: round2(finishedAt - kubectlResult.exitedAt),
      state: finalState(events),
    });
  }
  return out;
}

/**
 * Writes per Update the design allows (issue 13; docs/adr/0003-run-held-target-locks.md for the locks): creating
 * the run (1; the leader that accepts an update leaves its first status to the execution's first write, which carries
 * the same events; a follower's or a waiting update's first status would add 1); per migration its `migration-started` status and the Job (2m); per workload the
 * status recording the intent to patch (with what was batched before it: `started`, the previous workload's
 * `workload-patched`/`workload-healthy`) and the image patch (2n); the terminal status (1, never batched). Locks
 * add none. A rollout or Job still going after the group-commit window adds one write per window with progress
 * (time-based, like the Lease); the benchmark's one-workload targets (replicas 0) complete within one.
 */
export function expectedWrites(workloads: number, migrations: number): number {
  return 2 + 2 * workloads + 2 * migrations;
}

/**
 * Step Events of a successful Update (README "Kubernetes Events"), one `create events` each, written after the
 * step by a background queue: UpdateStarted and UpdateSucceeded on the UpdateRun (2), MigrationStarted and
 * MigrationSucceeded per migration (2m), WorkloadPatched and WorkloadHealthy per workload (2n).
 */
export function expectedEventWrites(workloads: number, migrations: number): number {
  return 2 + 2 * workloads + 2 * migrations;
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), "update-manager-prod-bench-"));
  const auditLog = join(work, "audit.log");
  const auditPolicy = join(work, "audit-policy.json");
  await writeFile(
    auditPolicy,
    JSON.stringify({
      apiVersion: "audit.k8s.io/v1",
      kind: "Policy",
      omitStages: ["RequestReceived"],
      rules: [{ level: "Metadata", users: [managerUser] }, { level: "None" }],
    }),
  );
  log("starting the control plane and applying kube/overlays/test-1.20");
  const env = await startKubeE2eEnvironment({
    apiServerArgs: [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, "--audit-log-mode=blocking"],
    controllerManagerArgs: ["--kube-api-qps=400", "--kube-api-burst=800"],
  });
  const deployments = NAMESPACES * DEPLOYMENTS_PER_NAMESPACE;
  const results: Record<string, unknown> = {
    command: "bash scripts/bench.sh bench/production-update.bench.ts",
    composition:
      "manager process (src/main.ts via tsx), own ServiceAccount token (kube/overlays/test-1.20 RBAC), UPDATE_MANAGER_STORE=kubernetes",
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    kubernetes: "kube-apiserver + kube-controller-manager v1.20.2, etcd 3.4, loopback, same machine",
  };
  let manager: ManagerUnderTest | undefined;
  try {
    const { apps, core } = env;
    log(`creating ${NAMESPACES} namespaces and ${deployments} Deployments (replicas 0)`);
    await pool(
      Array.from({ length: NAMESPACES }, (_, i) => namespaceName(i)),
      CREATE_CONCURRENCY,
      async (name) => {
        await core.createNamespace({ body: { metadata: { name } } });
      },
    );
    const work: { namespace: string; service: number; classifier: string }[] = [];
    for (let n = 0; n < NAMESPACES; n++) {
      for (let s = 0; s < DEPLOYMENTS_PER_NAMESPACE; s++) work.push({ namespace: namespaceName(n), service: s, classifier: classifierOf(n) });
    }
    await pool(work, CREATE_CONCURRENCY, async ({ namespace, service, classifier }) => {
      await apps.createNamespacedDeployment({
        namespace,
        body: deploymentManifest(`svc-${service}`, `${repositoryOf(namespace, service)}:1.0.0`, classifier, 0),
      });
    });
    const probeNamespace = await env.createNamespace("prod-rollout");
    const probeRepo = `registry.example.com/${probeNamespace}/web`;
    await apps.createNamespacedDeployment({ namespace: probeNamespace, body: deploymentManifest("web", `${probeRepo}:0`, "probe", 2, 2) });
    const settleMs = await waitForControllers(apps, deployments + 1, 300_000);
    log(`controller-manager done after ${settleMs} ms`);

    const startedAt = performance.now();
    manager = await env.startManager({
      env: {
        UPDATE_MANAGER_STORE: "kubernetes",
        UPDATE_MANAGER_IDENTITY: "bench-manager-0",
        UPDATE_MANAGER_LOG_LEVEL: "info",
        UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: generous,
        UPDATE_MANAGER_WRITE_BURST: generous,
        UPDATE_MANAGER_READ_RATE_PER_MINUTE: generous,
        UPDATE_MANAGER_READ_BURST: generous,
      },
    });
    const readyMs = Math.round(performance.now() - startedAt);
    const client = manager.client;
    // Warm-up (leadership, connection, JIT): not counted.
    const warm = await runUpdate(client, target(0, "warm"));
    log(`manager ready ${readyMs} ms after start; warm-up update ${warm.state}`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const rss = { synced: await rssOf(manager.server.child.pid!), cachedWorkloads: deployments + 1 };

    log(`${MEASURED_UPDATES} sequential one-workload updates, counted from the audit log`);
    const windows: { fromMs: number; toMs: number; acceptMs: number; totalMs: number; state: string; events: number; progress: number }[] =
      [];
    for (let i = 1; i <= MEASURED_UPDATES; i++) {
      const fromMs = Date.now();
      const result = await runUpdate(client, target(i, "2.0.0"));
      // What follows the terminal event (the pod watch stopped, the lock released) belongs to this update.
      await new Promise((resolve) => setTimeout(resolve, 300));
      windows.push({
        fromMs,
        toMs: Date.now(),
        acceptMs: result.acceptMs,
        totalMs: result.totalMs,
        state: result.state,
        events: result.events,
        progress: result.progress,
      });
    }

    log(`${ROLLOUT_ROUNDS} rollouts of a 2-replica Deployment beside kubectl rollout status`);
    const rounds = await rolloutRounds(env.adminKubeConfig, apps, env.plane.kubeconfigPath, client, probeNamespace, probeRepo, ROLLOUT_ROUNDS);
    await manager.stop();
    manager = undefined;

    log(`${ORIGINAL_UPDATES} updates with the original's algorithm (admin credentials, counted client-side)`);
    const originalKubeConfig = env.plane.kubeConfig();
    const counter = countRequests(originalKubeConfig);
    const originalRequests: number[] = [];
    for (let i = 0; i < ORIGINAL_UPDATES; i++) {
      const t = target(MEASURED_UPDATES + 1 + i, "3.0.0");
      const before = counter.count();
      await originalAlgorithmUpdate(originalKubeConfig, t.image, t.classifier, keys.classifierLabel);
      originalRequests.push(counter.count() - before);
    }

    // --- Report
    const audit = await readAudit(auditLog);
    const perUpdate = windows.map((w) => ({ ...w, requests: breakdown(audit, w.fromMs, w.toMs) }));
    const totals: Record<string, number> = {};
    for (const u of perUpdate) for (const [key, n] of Object.entries(u.requests)) totals[key] = (totals[key] ?? 0) + n;
    const mean = Object.fromEntries(
      Object.entries(totals)
        .sort((a, b) => b[1] - a[1])
        .map(([key, n]) => [key, round2(n / perUpdate.length)]),
    );
    const reads = perUpdate.map((u) => sum(u.requests, (key) => isRead(key) && !isLease(key)));
    const writes = perUpdate.map((u) => sum(u.requests, (key) => !isRead(key) && !isLease(key) && !isEvent(key)));
    // Per update only roughly (an update's last Event may be written in the next window): checked in total.
    const eventWrites = sum(totals, (key) => !isRead(key) && isEvent(key));
    const eventFormula = expectedEventWrites(1, 0);
    const leases = perUpdate.map((u) => sum(u.requests, isLease));
    const windowSeconds = perUpdate.reduce((total, u) => total + (u.toMs - u.fromMs) / 1000, 0);
    const formula = expectedWrites(1, 0);
    const ours = {
      reads: summarize(reads),
      writes: summarize(writes),
      leaseRequests: { total: sum(totals, isLease), perSecond: round2(sum(totals, isLease) / windowSeconds), perUpdate: summarize(leases) },
      perUpdateByVerbAndResource: mean,
      formulaWritesOneWorkload: formula,
      // Each progress event can cost at most one group commit of its own (a rollout still going after a window).
      formulaHolds: writes.every((w, i) => w <= formula + perUpdate[i]!.progress),
      withinFloor: writes.filter((w) => w <= formula).length,
      eventWrites: { total: eventWrites, perUpdate: round2(eventWrites / perUpdate.length), formulaOneWorkload: eventFormula },
    };
    const originalMean = originalRequests.reduce((a, b) => a + b, 0) / originalRequests.length;
    Object.assign(results, {
      setup: { namespaces: NAMESPACES, deployments, settleMs, readyMs },
      ours,
      original: { requests: summarize(originalRequests) },
      ratioRequests: round2(originalMean / (ours.reads.mean + ours.writes.mean)),
      acceptMs: summarize(windows.map((w) => w.acceptMs)),
      updateMs: summarize(windows.map((w) => w.totalMs)),
      states: windows.map((w) => w.state),
      completeToTerminal: {
        managerLagMs: summarize(rounds.map((r) => r.managerLagMs)),
        kubectlLagMs: summarize(rounds.map((r) => r.kubectlLagMs)),
        managerMinusKubectlMs: summarize(rounds.map((r) => r.managerMinusKubectlMs)),
        managerFirst: rounds.filter((r) => r.managerMinusKubectlMs <= 0).length,
        rounds,
      },
      rss,
      runSeconds: Math.round((performance.now() - started) / 1000),
      perUpdate,
    });
    await mkdir(dirname(resultsPath), { recursive: true });
    await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : String(n));
    const table = Object.entries(mean).map(([key, n]) => `    ${key.padEnd(36)} ${f(n)}`);
    const lag = (values: number[]) => `p50 ${f(percentile(values, 50))} ms, max ${f(Math.max(...values))} ms`;
    const lines = [
      "",
      `production-update (${cpus().length} CPUs; ${deployments} Deployments in ${NAMESPACES} namespaces; manager process, UpdateRun store)`,
      `  per Update (mean of ${perUpdate.length}, one workload each; states ${JSON.stringify(countByState(windows.map((w) => w.state)))}):`,
      `    reads ${f(ours.reads.mean)} (max ${ours.reads.max}), writes ${f(ours.writes.mean)} (max ${ours.writes.max}); formula 2 + 2n + 2m (+1 per progress window) for n=1, m=0: <= ${formula}: ${
        ours.formulaHolds ? "holds" : "VIOLATED"
      } (${ours.withinFloor}/${writes.length} updates within ${formula})`,
      `    step Events: ${f(ours.eventWrites.perUpdate)} writes per update (formula 2 + 2n + 2m = ${eventFormula}), off the update's path`,
      "  by verb and resource (leases excluded):",
      ...table.filter((line) => !line.includes(" leases")),
      `  Lease requests (time-based): ${ours.leaseRequests.total} in ${f(windowSeconds)} s = ${f(ours.leaseRequests.perSecond)}/s`,
      `  original's algorithm: ${f(originalMean)} requests per update; original / ours = ${f(originalMean / (ours.reads.mean + ours.writes.mean))}x`,
      `  accept latency: p50 ${f(percentile(windows.map((w) => w.acceptMs), 50))} ms, p99 ${f(percentile(windows.map((w) => w.acceptMs), 99))} ms`,
      `  complete -> terminal WatchUpdate event: ${lag(rounds.map((r) => r.managerLagMs))}; kubectl rollout status exit: ${lag(
        rounds.map((r) => r.kubectlLagMs),
      )}; manager minus kubectl ${lag(rounds.map((r) => r.managerMinusKubectlMs))}; manager first in ${
        rounds.filter((r) => r.managerMinusKubectlMs <= 0).length
      }/${rounds.length}`,
      `  RSS synced (${deployments + 1} workloads): ${rss.synced.rssMiB} MiB (peak ${rss.synced.peakRssMiB} MiB)`,
      `  run: ${Math.round((performance.now() - started) / 1000)} s; raw: ${resultsPath}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await manager?.stop();
    await env.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function countByState(states: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const state of states) out[state] = (out[state] ?? 0) + 1;
  return out;
}

await main();
