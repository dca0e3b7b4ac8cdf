import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import { createRestClient, type RestClient } from "../../src/cluster/kubernetes/rest-client.js";
import type { KubeWorkloadObject } from "../../src/cluster/kubernetes/kube-objects.js";
import { toWorkload } from "../../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../../src/core/domain/judge-rollout.js";
import { type UpdateRunObject, updateRunsPath } from "../../src/store/kubernetes/update-run-codec.js";
import {
  deploymentManifest,
  type KubeE2eEnvironment,
  type ManagerUnderTest,
  migrationTemplateManifest,
  startKubeE2eEnvironment,
  until,
} from "../e2e-kube/kube-e2e-environment.js";
import { type FaultProxy, type FaultRule, type ProxiedRequest, startFaultProxy } from "../support/fault-proxy.js";
import { type AuditEntry, auditPolicy, readAuditLog, writeVerbs, writesAfterLosingLease } from "./audit-log.js";
import { addRun, emptyFigures, figuresTable, type ScenarioFigures } from "./fault-scenario.js";

// The fault suite: the manager (UpdateRuns, leader Lease) talks to the API server through a fault-injecting TLS
// proxy; real updates run through the gRPC API under each fault, and under a SIGKILL at each step of the engine;
// the invariants are then read from the API server's own state (UpdateRuns, Deployments, ReplicaSets, the audit
// log), never from the manager's account. The figures go to RELIABILITY.md.

const managerNamespace = "update-manager";
const managerUser = `system:serviceaccount:${managerNamespace}:update-manager`;
const leaseName = "update-manager-leader";
// Short Lease timings, as in test/ha: a takeover takes seconds.
const lease = { durationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 };
const terminalPhases = new Set(["Succeeded", "Failed", "RolledBack", "RollbackFailed", "Cancelled"]);
/** Bound on one scenario's updates reaching a terminal phase. */
const settleMs = 90_000;

let env: KubeE2eEnvironment;
let proxy: FaultProxy;
let admin: RestClient;
let work: string;
let auditPath: string;
/** The single-replica scenarios' policies (UPDATE_MANAGER_POLICIES_FILE); only the wait rows' classifiers match. */
let policiesPath: string;
let keysPath: string;
let manager: ManagerUnderTest | undefined;
let managers = 0;
const figures = new Map<string, ScenarioFigures>();

function row(scenario: string): ScenarioFigures {
  let found = figures.get(scenario);
  if (found === undefined) {
    found = emptyFigures(scenario);
    figures.set(scenario, found);
  }
  return found;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "update-manager-faults-"));
  auditPath = join(work, "audit.log");
  const policyPath = join(work, "audit-policy.json");
  await writeFile(policyPath, auditPolicy([managerUser]));
  policiesPath = join(work, "policies.yaml");
  await writePolicies();
  // An approver other than the requester (the full-scope key the tests' client sends).
  keysPath = join(work, "api-keys.yaml");
  await writeFile(
    keysPath,
    `keys:\n  - name: carol\n    sha256: ${hashApiKeyHex(approverKey)}\n    rpcs: [approve, read]\n    classifiers: "*"\n    namespaces: "*"\n    repositories: "*"\n`,
  );
  env = await startKubeE2eEnvironment({
    apiServerArgs: [`--audit-policy-file=${policyPath}`, `--audit-log-path=${auditPath}`, "--audit-log-mode=blocking"],
  });
  admin = createRestClient(env.adminKubeConfig);
  proxy = await startFaultProxy({ target: env.plane.server, targetCaPem: env.plane.caPem });
});

afterAll(async () => {
  // The figures, as RELIABILITY.md's table (copied there by hand after a run).
  if (figures.size > 0) console.log(`\nfault suite figures:\n${figuresTable([...figures.values()])}\n`);
  await proxy?.close();
  await prometheusStandIn?.close();
  await env?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** A manager replica (its own pod name, so its own User-Agent) talking to the API server through the proxy. */
function startReplica(pod = `fault-${++managers}`): Promise<ManagerUnderTest> {
  return env.startManager({
    server: proxy.url,
    caPem: proxy.caPem,
    env: {
      UPDATE_MANAGER_STORE: "kubernetes",
      POD_NAME: pod,
      POD_NAMESPACE: managerNamespace,
      UPDATE_MANAGER_LEASE_DURATION: `${lease.durationMs / 1000}s`,
      UPDATE_MANAGER_LEASE_RENEW_DEADLINE: `${lease.renewDeadlineMs}ms`,
      UPDATE_MANAGER_LEASE_RETRY_PERIOD: `${lease.retryPeriodMs}ms`,
      UPDATE_MANAGER_LOG_LEVEL: "info",
      UPDATE_MANAGER_POLICIES_FILE: policiesPath,
      UPDATE_MANAGER_API_KEYS_FILE: keysPath,
    },
  });
}

/** The one replica of the single-replica scenarios, started when missing (after a crash). */
async function currentManager(): Promise<ManagerUnderTest> {
  if (manager === undefined || manager.server.child.exitCode !== null || manager.server.child.signalCode !== null) {
    manager = await startReplica();
  }
  return manager;
}

async function signal(target: ManagerUnderTest, name: "SIGKILL" | "SIGSTOP" | "SIGCONT"): Promise<void> {
  if (name !== "SIGKILL") {
    target.server.child.kill(name);
    return;
  }
  const exited = new Promise((resolve) => target.server.child.once("exit", resolve));
  target.server.child.kill("SIGKILL");
  await exited;
}

async function leaseHolder(): Promise<string | undefined> {
  const object = await admin.request<{ spec: { holderIdentity?: string } }>({
    method: "GET",
    path: `/apis/coordination.k8s.io/v1/namespaces/${managerNamespace}/leases/${leaseName}`,
  });
  return object.spec.holderIdentity ?? undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// A scene: one namespace, workloads opted in under scene-specific classifiers, one image repository.

interface SceneWorkload {
  readonly name: string;
  readonly classifier: string;
}

interface Scene {
  readonly namespace: string;
  readonly repo: string;
  readonly oldImage: string;
  readonly workloads: readonly SceneWorkload[];
  /** Classifiers with a migration template (its copies count as the update's Jobs). */
  readonly migrations: ReadonlySet<string>;
}

interface SceneOptions {
  /** Workloads per classifier. */
  readonly workloads: Readonly<Record<string, readonly string[]>>;
  /** Classifiers that get a migration template. Default: none. */
  readonly migrations?: readonly string[];
  /** Default: 1 (the health gate lasts a second at least). */
  readonly minReadySeconds?: number;
}

async function seedScene(prefix: string, options: SceneOptions): Promise<Scene> {
  const namespace = await env.createNamespace(prefix);
  const repo = `registry.example.com/${namespace}/app`;
  const oldImage = `${repo}:1.0.0`;
  const workloads: SceneWorkload[] = [];
  for (const [classifier, names] of Object.entries(options.workloads)) {
    for (const name of names) workloads.push({ name, classifier });
  }
  for (const classifier of options.migrations ?? []) {
    await env.batch.createNamespacedJob({ namespace, body: migrationTemplateManifest(`migrate-${classifier}`, oldImage, classifier) });
  }
  for (const { name, classifier } of workloads) {
    await env.apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest(name, oldImage, { classifier, minReadySeconds: options.minReadySeconds ?? 1 }),
    });
  }
  for (const { name } of workloads) {
    await until(`${namespace}/${name} rolled out`, async () => {
      const object = await env.apps.readNamespacedDeployment({ namespace, name });
      return judgeRollout(toWorkload("Deployment", object as KubeWorkloadObject)).state === "complete" ? true : undefined;
    });
  }
  return { namespace, repo, oldImage, workloads, migrations: new Set(options.migrations ?? []) };
}

/** Waits until the replica's cache lists every workload of the scene (its classifiers' targets). */
async function waitForTargets(target: ManagerUnderTest, scene: Scene): Promise<void> {
  await until(`${scene.namespace}: targets listed`, async () => {
    const { targets } = await target.client.listTargets({ namespace: scene.namespace });
    return targets.length >= scene.workloads.length + scene.migrations.size ? true : undefined;
  });
}

function imageOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.spec?.template.spec?.containers[0]?.image;
}

interface UpdateRequest {
  readonly image: string;
  readonly classifier: string;
  readonly idempotencyKey: string;
}

/**
 * Sends an update as a CI client does under faults: the same idempotency key on every attempt, retried (bounded)
 * while the answer is an error. Returns the id, or undefined when no attempt was answered with one.
 */
async function sendUpdate(target: () => Promise<ManagerUnderTest>, request: UpdateRequest, attempts = 8): Promise<string | undefined> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const { client } = await target();
      const { update } = await client.update(
        { image: request.image, classifier: request.classifier, idempotencyKey: request.idempotencyKey, updateTimeout: { seconds: 60n } },
        { timeoutMs: 15_000 },
      );
      if (update?.id) return update.id;
    } catch {
      // Retried: the answer may have been lost while the update was recorded; the key finds it again.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

async function runsOf(scene: Scene): Promise<UpdateRunObject[]> {
  const classifiers = new Set(scene.workloads.map((workload) => workload.classifier));
  const list = await admin.request<{ items: UpdateRunObject[] }>({ method: "GET", path: updateRunsPath(managerNamespace) });
  return list.items.filter((run) => classifiers.has(run.spec.classifier) && run.spec.image.startsWith(`${scene.repo}:`));
}

/** What the replica said (warnings, leading, resuming) and the runs' status, for a failure message. */
async function whatHappened(scene: Scene): Promise<string> {
  const said = (manager?.server.logs ?? [])
    .filter((line) => ["warn", "error", "fatal"].includes(String(line["level"])) || /lead|resum|orphan|update|halt/i.test(String(line["msg"])))
    .map((line) => `${String(line["time"])} ${String(line["msg"])} ${JSON.stringify(line["err"] ?? line["update_id"] ?? "")}`.slice(0, 400));
  const runs = (await runsOf(scene)).map((run) => ({ phase: run.status?.phase, step: run.status?.step, executor: run.status?.executor, seq: run.status?.lastSequence }));
  return `${said.join("\n")}\nruns: ${JSON.stringify(runs)}`;
}

/** Waits (bounded) until every UpdateRun of the scene is terminal; resolves with the time it happened. */
async function settle(scene: Scene, expectedRuns: number): Promise<number> {
  await until(
    `${scene.namespace}: ${expectedRuns} update(s) terminal`,
    async () => {
      const runs = await runsOf(scene);
      return runs.length >= expectedRuns && runs.every((run) => terminalPhases.has(run.status?.phase ?? "")) ? true : undefined;
    },
    settleMs,
  );
  return Date.now();
}

interface Invariants {
  readonly updates: number;
  readonly terminal: number;
  readonly halfApplied: number;
  readonly duplicates: number;
  readonly writesAfterLosingLease: number;
  /** UpdateRun phase -> count. */
  readonly outcomes: Record<string, number>;
  /** What was found wrong, for the assertion message. */
  readonly problems: string[];
}

/**
 * The invariants, from the API server's state: every UpdateRun of the scene terminal; every workload on the image
 * its update's outcome explains (new when Succeeded, the old one when rolled back, failed or cancelled, either
 * when RollbackFailed names it); each workload changed to a new image at most once (its ReplicaSets); each
 * migration copied at most once per update (the audit log's successful Job creates); no successful write by a
 * replica after another took the Lease from it.
 */
async function checkInvariants(scene: Scene, since: number): Promise<Invariants> {
  const problems: string[] = [];
  const runs = await runsOf(scene);
  const terminal = runs.filter((run) => terminalPhases.has(run.status?.phase ?? "")).length;
  if (terminal < runs.length) problems.push(`${runs.length - terminal} run(s) not terminal`);
  let halfApplied = 0;
  let duplicates = 0;
  // Every request of a scenario has its own idempotency key: two runs with one key are one request run twice.
  const byKey = new Map<string, number>();
  for (const run of runs) byKey.set(run.spec.idempotencyKey ?? run.spec.id, (byKey.get(run.spec.idempotencyKey ?? run.spec.id) ?? 0) + 1);
  for (const [key, count] of byKey) {
    if (count > 1) {
      duplicates += count - 1;
      problems.push(`${key}: ${count} runs for one request`);
    }
  }
  for (const { name, classifier } of scene.workloads) {
    const image = imageOf(await env.apps.readNamespacedDeployment({ namespace: scene.namespace, name }));
    // A workload's updates one after the other: the last explains its image, from the image the ones before left.
    const mine = runs.filter((run) => run.spec.classifier === classifier).sort((a, b) => a.spec.createTime.localeCompare(b.spec.createTime));
    const run = mine[mine.length - 1];
    const before = mine
      .slice(0, -1)
      .reduce((current, earlier) => (earlier.status?.phase === "Succeeded" ? earlier.spec.image : current), scene.oldImage);
    const phase = run?.status?.phase;
    const target = run?.status?.targets?.find((entry) => entry.target.endsWith(`/${name}`));
    const explained =
      run === undefined || phase === "RolledBack" || phase === "Failed" || phase === "Cancelled"
        ? image === before
        : phase === "Succeeded"
          ? image === run.spec.image
          : phase === "RollbackFailed"
            ? image === before || (image === run.spec.image && target?.phase === "rollback-failed")
            : false;
    if (!explained) {
      halfApplied++;
      problems.push(
        `${name}: on ${image}, its update ${run?.spec.id ?? "(none)"} is ${phase ?? "absent"} (${run?.status?.reason ?? ""}; targets ${JSON.stringify(run?.status?.targets ?? [])})`,
      );
    }
    // Every time the template changed to a new image, a ReplicaSet with that template exists (none is deleted:
    // revisionHistoryLimit is 10).
    const sets = await env.apps.listNamespacedReplicaSet({ namespace: scene.namespace, labelSelector: `app=${name}` });
    const changes = new Map<string, number>();
    for (const set of sets.items) {
      const setImage = set.spec?.template?.spec?.containers[0]?.image ?? "";
      if (setImage !== scene.oldImage) changes.set(setImage, (changes.get(setImage) ?? 0) + 1);
    }
    for (const [setImage, count] of changes) {
      if (count > 1) {
        duplicates += count - 1;
        problems.push(`${name}: changed to ${setImage} ${count} times`);
      }
    }
  }
  const audit = (await readAuditLog(auditPath)).filter((entry) => entry.receivedMs >= since - 1000);
  const jobCreates = audit.filter(
    (entry) => entry.resource === "jobs" && entry.verb === "create" && entry.namespace === scene.namespace && entry.code === 201,
  ).length;
  const migratingRuns = runs.filter((run) => scene.migrations.has(run.spec.classifier)).length;
  if (jobCreates > migratingRuns) {
    duplicates += jobCreates - migratingRuns;
    problems.push(`${jobCreates} migration Jobs created for ${migratingRuns} update(s)`);
  }
  const late = writesAfterLosingLease(audit, leaseName);
  if (late.length > 0) problems.push(`writes after losing the Lease: ${late.map(describeAudit).join(", ")}`);
  const outcomes: Record<string, number> = {};
  for (const run of runs) {
    const phase = run.status?.phase ?? "Pending";
    outcomes[phase] = (outcomes[phase] ?? 0) + 1;
  }
  return { updates: runs.length, terminal, halfApplied, duplicates, writesAfterLosingLease: late.length, outcomes, problems };
}

function describeAudit(entry: AuditEntry): string {
  return `${entry.userAgent} ${entry.verb} ${entry.resource} ${entry.namespace}/${entry.name} ${entry.code}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Fault scenarios: each runs two updates at once, one that succeeds (with a migration Job) and one whose image
// crash-loops (rolled back), while the proxy injects its faults into the manager's requests.

const notWatch = (request: ProxiedRequest) => !request.watch;
const isWrite = (request: ProxiedRequest) => ["POST", "PUT", "PATCH", "DELETE"].includes(request.method);
/** A resumed watch: one that names where to start (not a fresh list-then-watch from "0" or nothing). */
const isResumedWatch = (request: ProxiedRequest) => request.watch && !["", "0"].includes(request.query.get("resourceVersion") ?? "");

interface FaultScenario {
  readonly name: string;
  readonly rules: readonly FaultRule[];
}

const faultScenarios: readonly FaultScenario[] = [
  { name: "No faults (baseline)", rules: [] },
  {
    name: "5xx bursts",
    rules: [
      { name: "503", match: notWatch, fault: { kind: "status", status: 503 }, times: 3, every: 10 },
      { name: "500", match: isWrite, fault: { kind: "status", status: 500 }, times: 1, every: 7 },
    ],
  },
  {
    name: "429 with Retry-After",
    rules: [{ name: "429", match: notWatch, fault: { kind: "status", status: 429, retryAfterSeconds: 1 }, times: 2, every: 8 }],
  },
  { name: "Latency spikes", rules: [{ name: "2 s", match: notWatch, fault: { kind: "delay", ms: 2000 }, times: 1, every: 4 }] },
  {
    name: "409 storms on writes",
    rules: [{ name: "409", match: (request) => request.method === "PUT" || request.method === "PATCH", fault: { kind: "status", status: 409 }, times: 3, every: 6 }],
  },
  {
    name: "Watch dropped mid-stream",
    rules: [{ name: "cut", match: (request) => request.watch, fault: { kind: "drop-watch", afterMs: 1500 } }],
  },
  {
    name: "410 Gone on watch resume",
    rules: [
      { name: "410", match: isResumedWatch, fault: { kind: "watch-gone" }, times: 1, every: 2 },
      { name: "cut", match: (request) => request.watch, fault: { kind: "drop-watch", afterMs: 2000 } },
    ],
  },
  {
    name: "Connection resets",
    rules: [
      { name: "reset after applying", match: isWrite, fault: { kind: "reset-after" }, times: 1, every: 5 },
      { name: "reset", match: notWatch, fault: { kind: "reset" }, times: 1, every: 7 },
    ],
  },
];

describe("updates under API server faults", () => {
  it.each(faultScenarios.map((scenario) => [scenario.name, scenario] as const))("%s: every update terminal and explained", async (_name, scenario) => {
    const target = await currentManager();
    const scene = await seedScene("fault", { workloads: { good: ["api"], bad: ["web"] }, migrations: ["good"] });
    await waitForTargets(target, scene);
    env.rules.crashLoop.add(`${scene.namespace}/${scene.repo}:3.0.0`);
    proxy.setFaults(scenario.rules);
    const started = Date.now();
    let settledAt = started;
    let injected = 0;
    try {
      const ids = await Promise.all([
        sendUpdate(currentManager, { image: `${scene.repo}:2.0.0`, classifier: "good", idempotencyKey: `${scene.namespace}-good` }),
        sendUpdate(currentManager, { image: `${scene.repo}:3.0.0`, classifier: "bad", idempotencyKey: `${scene.namespace}-bad` }),
      ]);
      settledAt = await settle(scene, ids.filter((id) => id !== undefined).length).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await whatHappened(scene)}`);
      });
    } finally {
      injected = Object.values(proxy.faultCounts()).reduce((sum, count) => sum + count, 0);
      proxy.setFaults([]);
    }
    const found = await checkInvariants(scene, started);
    addRun(row(scenario.name), { ...found, recoverMs: settledAt - started, faultsInjected: injected });
    expect(found.problems).toEqual([]);
    expect(found.updates).toBeGreaterThan(0);
    expect(found.terminal).toBe(found.updates);
    if (scenario.rules.length > 0) expect(injected).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// SIGKILL at the engine's step boundaries: the proxy kills the manager when it sees the step's request (before it
// is forwarded, or once the API server applied it), a new replica (another pod name) starts, and the same
// invariants hold. The steps, in the engine's order (execute-update.ts: record, lock, migrate, roll out and gate
// each workload, roll back, record the outcome).

interface StatusBody {
  status?: { phase?: string; step?: string; targets?: { target: string; phase: string; patched: boolean }[] };
}

function statusWrite(request: ProxiedRequest): StatusBody | undefined {
  if (request.method !== "PUT" || !request.path.includes("/updateruns/") || !request.path.endsWith("/status")) return undefined;
  try {
    return JSON.parse(request.body) as StatusBody;
  } catch {
    return undefined;
  }
}

const patchOf = (name: string, tag: string) => (request: ProxiedRequest) =>
  request.method === "PATCH" && request.path.endsWith(`/deployments/${name}`) && request.body.includes(`:${tag}"`);

interface CrashStep {
  readonly step: string;
  /** The update that runs: `good` (two workloads and a migration), or `bad` (its image crash-loops: rollback). */
  readonly update: "good" | "bad";
  readonly when: "before" | "after";
  readonly match: (request: ProxiedRequest) => boolean;
}

const crashSteps: readonly CrashStep[] = [
  // Killed right after the UpdateRun's POST, before its first status: the replacement took over the killed
  // replica's Lease, so the run is not left to it (no wait for the orphan grace).
  { step: "after recording", update: "good", when: "after", match: (r) => r.method === "POST" && r.path.endsWith("/updateruns") },
  { step: "after locking (first status write)", update: "good", when: "after", match: (r) => statusWrite(r)?.status?.phase === "Running" },
  { step: "after the migration Job was created", update: "good", when: "after", match: (r) => r.method === "POST" && r.path.endsWith("/jobs") },
  { step: "after the first patch", update: "good", when: "after", match: patchOf("api", "2.0.0") },
  { step: "after the second patch", update: "good", when: "after", match: patchOf("worker", "2.0.0") },
  {
    step: "mid health gate",
    update: "good",
    when: "after",
    match: (r) => statusWrite(r)?.status?.targets?.some((target) => target.patched && target.phase === "rolling-out") ?? false,
  },
  { step: "mid rollback", update: "bad", when: "after", match: (r) => statusWrite(r)?.status?.step === "rolling-back" },
  { step: "before the final write", update: "good", when: "before", match: (r) => terminalPhases.has(statusWrite(r)?.status?.phase ?? "") },
];

describe("a manager killed with SIGKILL at a step boundary and replaced", () => {
  it.each(crashSteps.map((step) => [step.step, step] as const))("%s: the update ends terminal, applied once", async (_name, step) => {
    const first = await currentManager();
    const scene = await seedScene("kill", { workloads: { [step.update]: ["api", "worker"] }, migrations: step.update === "good" ? ["good"] : [] });
    const tag = step.update === "good" ? "2.0.0" : "3.0.0";
    if (step.update === "bad") env.rules.crashLoop.add(`${scene.namespace}/${scene.repo}:${tag}`);
    await waitForTargets(first, scene);
    let killedAt = 0;
    const crashed = proxy.crashOn({
      when: step.when,
      match: (request) => step.match(request) && inScene(request, scene),
      action: async () => {
        await signal(first, "SIGKILL");
        killedAt = Date.now();
      },
    });
    const request = { image: `${scene.repo}:${tag}`, classifier: step.update, idempotencyKey: `${scene.namespace}-${step.update}` };
    const started = Date.now();
    // One attempt: the kill may take the answer with it.
    await sendUpdate(async () => first, request, 1);
    await Promise.race([
      crashed,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`the crash point "${step.step}" was never reached`)), settleMs)),
    ]);
    proxy.disarmCrash();
    // The client retries with its key once the service answers again; the replacement resumes the run.
    const id = await sendUpdate(currentManager, request);
    expect(id).toBeDefined();
    const settledAt = await settle(scene, 1).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await whatHappened(scene)}`);
    });
    // Resumed when the replacement took the Lease, not by a later check (a run without status waited 30 s for one).
    const replacement = await currentManager();
    const loggedAt = (match: (line: Record<string, unknown>) => boolean) => {
      const line = replacement.server.logs.find(match);
      return line === undefined ? Number.NaN : Date.parse(String(line["time"]));
    };
    const ledAt = loggedAt((line) => line["msg"] === "started leading");
    const resumedAt = loggedAt((line) => line["msg"] === "resuming update" && line["update_id"] === id);
    expect(resumedAt - ledAt).toBeLessThan(5000);
    const found = await checkInvariants(scene, started);
    addRun(row("SIGKILL at every step boundary"), { ...found, recoverMs: settledAt - killedAt, faultsInjected: 1 });
    expect(found.problems).toEqual([]);
    expect(found.updates).toBe(1);
    const [run] = await runsOf(scene);
    expect(run?.spec.id).toBe(id);
    // A good image succeeds; a bad one is rolled back (or, when its restored pods are not ready again within the
    // rollback's timeout, ends RollbackFailed: the invariants above hold either way).
    expect(run?.status?.phase).toBeOneOf(step.update === "good" ? ["Succeeded"] : ["RolledBack", "RollbackFailed"]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Waits are steps too: an update held by a policy (approval, a window, the alert gate) when the manager is SIGKILLed
// right after the status write recording the wait; the replacement keeps it waiting (no patch, no lock) and runs it
// once the wait ends. Their classifiers are theirs alone: the policies match no other scenario.

const approverKey = "fault-approver-carol-0123456789abcdef";
const approvalClassifier = "wait-approval";
const windowClassifier = "wait-window";
const alertClassifier = "wait-alert";

/** What the policies file holds besides the approval row's approval policy. */
interface WaitPolicies {
  /** A window for the window row's classifier, open from `opensAt` for 10 minutes. */
  readonly window?: { readonly opensAt: Date };
  /** An alert gate for the alert row's classifier, querying the Prometheus API at `prometheusUrl`. */
  readonly alert?: { readonly prometheusUrl: string };
}

/** The policies file: one approval for the approval row's classifier, a window and an alert gate for theirs. */
async function writePolicies(policies: WaitPolicies = {}): Promise<void> {
  const clock = (time: Date) => time.toISOString().slice(11, 19);
  const { window, alert } = policies;
  const windows =
    window === undefined
      ? ""
      : // Open from `opensAt` for 10 minutes (UTC; an end before the start spans midnight).
        `windows:\n  - name: fault-window\n    classifiers: [${windowClassifier}]\n    startTime: "${clock(window.opensAt)}"\n    endTime: "${clock(new Date(window.opensAt.getTime() + 600_000))}"\n    timeZone: UTC\n`;
  const alertGates =
    alert === undefined
      ? ""
      : `alertGates:\n  prometheus:\n    url: ${alert.prometheusUrl}\n  policies:\n    - name: fault-alert\n      classifiers: [${alertClassifier}]\n      query: 'ALERTS{alertstate="firing"}'\n      whenFiring: wait\n      recheckInterval: 1s\n`;
  await writeFile(
    policiesPath,
    `approvals:\n  policies:\n    - name: fault-approval\n      classifiers: [${approvalClassifier}]\n      approvers: 1\n      deadline: 1h\n${windows}${alertGates}`,
  );
}

/**
 * The alert row's Prometheus: an instant-query endpoint answering one firing alert until `firing` is cleared. A
 * stand-in, since this row is about the manager's crash, not Prometheus (the ops tier runs the gate against Debian's
 * Prometheus).
 */
interface PrometheusStandIn {
  readonly url: string;
  firing: boolean;
  /** Queries answered. */
  queries: number;
  close(): Promise<void>;
}

async function startPrometheusStandIn(): Promise<PrometheusStandIn> {
  const server: Server = createServer((request, response) => {
    const firing = standIn.firing;
    standIn.queries++;
    const result = firing
      ? [{ metric: { __name__: "ALERTS", alertname: "FaultDrill", alertstate: "firing" }, value: [Date.now() / 1000, "1"] }]
      : [];
    response.writeHead(request.url?.startsWith("/api/v1/query") ? 200 : 404, { "content-type": "application/json" });
    response.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const standIn: PrometheusStandIn = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firing: true,
    queries: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return standIn;
}

let prometheusStandIn: PrometheusStandIn | undefined;

/** A client of `target` that authenticates with `key`. */
function clientAs(target: ManagerUnderTest, key: string): Client<typeof UpdateService> {
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  return createClient(UpdateService, createGrpcTransport({ baseUrl: target.server.apiUrl, interceptors: [bearer] }));
}

/** Lead time of the window: long enough for the kill and the replacement to happen while it is closed. */
const windowLeadMs = 30_000;

interface WaitStep {
  readonly step: string;
  readonly classifier: string;
  /** The phase the killed replica's status write records. */
  readonly phase: "WaitingForApproval" | "WaitingForGate";
  /** Sets the wait up before the first replica starts; resolves with when the wait may end by itself (a window). */
  readonly prepare: () => Promise<number | undefined>;
  /** Ends the wait once the replacement is up (an approval). */
  readonly release: (replacement: ManagerUnderTest, id: string) => Promise<void>;
}

const waitSteps: readonly WaitStep[] = [
  {
    step: "waiting for approval",
    classifier: approvalClassifier,
    phase: "WaitingForApproval",
    prepare: async () => undefined,
    release: async (replacement, id) => {
      const { update } = await clientAs(replacement, approverKey).approveUpdate({ updateId: id });
      expect(update?.approvers).toEqual(["carol"]);
    },
  },
  {
    step: "waiting for a window",
    classifier: windowClassifier,
    phase: "WaitingForGate",
    prepare: async () => {
      // A window that opens shortly, read at start-up: the replica running now restarts with it.
      const opensAt = new Date(Math.ceil((Date.now() + windowLeadMs) / 1000) * 1000);
      await writePolicies({ window: { opensAt } });
      await stopSingleReplica();
      return opensAt.getTime();
    },
    release: async () => undefined,
  },
  {
    step: "waiting for the alert gate",
    classifier: alertClassifier,
    phase: "WaitingForGate",
    prepare: async () => {
      // The alert fires from the start; the replica running now restarts with the gate.
      prometheusStandIn = await startPrometheusStandIn();
      await writePolicies({ alert: { prometheusUrl: prometheusStandIn.url } });
      await stopSingleReplica();
      return undefined;
    },
    release: async () => {
      const standIn = prometheusStandIn!;
      // The replacement asked too (it checks the gate again every second) and was told the alert still fires.
      const seen = standIn.queries;
      await until("the replacement queries the alert gate", async () => (standIn.queries > seen ? true : undefined));
      standIn.firing = false;
    },
  },
];

describe("a manager killed with SIGKILL while an update waits, and replaced", () => {
  it.each(waitSteps.map((step) => [step.step, step] as const))("%s: the replacement keeps it waiting, then runs it once", async (_name, step) => {
    const scene = await seedScene("wait", { workloads: { [step.classifier]: ["api"] } });
    const opensAt = await step.prepare();
    const first = await currentManager();
    await waitForTargets(first, scene);
    let killedAt = 0;
    const crashed = proxy.crashOn({
      when: "after",
      match: (request) => statusWrite(request)?.status?.phase === step.phase && inScene(request, scene),
      action: async () => {
        await signal(first, "SIGKILL");
        killedAt = Date.now();
      },
    });
    const request = { image: `${scene.repo}:2.0.0`, classifier: step.classifier, idempotencyKey: `${scene.namespace}-${step.classifier}` };
    const started = Date.now();
    await sendUpdate(async () => first, request, 1);
    await Promise.race([
      crashed,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`the crash point "${step.step}" was never reached`)), settleMs)),
    ]);
    proxy.disarmCrash();
    const id = await sendUpdate(currentManager, request);
    expect(id).toBeDefined();
    const replacement = await currentManager();
    const replacementAgent = `update-manager/fault-${managers}`;
    // The replacement is up while the wait lasts: it still waits, nothing patched.
    if (opensAt !== undefined) expect(Date.now(), "the replacement came up after the window opened: raise windowLeadMs").toBeLessThan(opensAt);
    const [waiting] = await runsOf(scene);
    expect(waiting?.status?.phase).toBe(step.phase);
    expect(imageOf(await env.apps.readNamespacedDeployment({ namespace: scene.namespace, name: "api" }))).toBe(scene.oldImage);
    const releasedAt = Date.now();
    await step.release(replacement, id!);
    const settledAt = await settle(scene, 1).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await whatHappened(scene)}`);
    });
    const found = await checkInvariants(scene, started);
    addRun(row("SIGKILL while an update waits (approval, window, alert gate)"), { ...found, recoverMs: settledAt - killedAt, faultsInjected: 1 });
    expect(found.problems).toEqual([]);
    expect(found.updates).toBe(1);
    const [run] = await runsOf(scene);
    expect(run?.spec.id).toBe(id);
    expect(run?.status?.phase).toBe("Succeeded");
    // Patched once, by the replacement, and only once the wait ended (approved, the window open, the alert cleared).
    const patches = (await readAuditLog(auditPath)).filter(
      (entry) => entry.resource === "deployments" && entry.verb === "patch" && entry.namespace === scene.namespace && entry.code === 200,
    );
    expect(patches.map((entry) => entry.userAgent)).toEqual([replacementAgent]);
    expect(patches[0]!.receivedMs).toBeGreaterThanOrEqual(releasedAt);
    if (opensAt !== undefined) expect(patches[0]!.receivedMs).toBeGreaterThanOrEqual(opensAt);
  });
});

/** Whether a request touches the scene: its namespace, or an UpdateRun (which lives in the manager's). */
function inScene(request: ProxiedRequest, scene: Scene): boolean {
  if (request.path.includes(`/namespaces/${scene.namespace}/`)) return true;
  return request.path.includes("/updateruns") && request.body.includes(scene.repo);
}

// ---------------------------------------------------------------------------------------------------------------
// Two replicas: the leader lost under load, and the leader frozen past its Lease (fencing).

/** The first successful Lease write (an acquire or a renewal) by `pod` received at or after `fromMs`. */
async function firstLeaseWrite(pod: string, fromMs: number): Promise<AuditEntry | undefined> {
  const audit = await readAuditLog(auditPath);
  return audit.find(
    (entry) =>
      entry.userAgent === `update-manager/${pod}` &&
      entry.resource === "leases" &&
      (entry.verb === "update" || entry.verb === "create") &&
      entry.code >= 200 &&
      entry.code < 300 &&
      entry.receivedMs >= fromMs - 1000,
  );
}

async function stopSingleReplica(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}

describe("two replicas", () => {
  it("leader loss under load: 20 updates in flight and 30 more as they finish, the leader SIGKILLed; all 50 terminal, the follower leads within the Lease + 5 s", async () => {
    await stopSingleReplica();
    const names = Array.from({ length: 20 }, (_, index) => `w${String(index).padStart(2, "0")}`);
    const scene = await seedScene("load", { workloads: Object.fromEntries(names.map((name) => [`load-${name}`, [name]])), minReadySeconds: 2 });
    const leader = await startReplica("load-a");
    const follower = await startReplica("load-b");
    const total = 50;
    try {
      await until("load-a leads", async () => ((await leaseHolder()) === "load-a" ? true : undefined));
      await waitForTargets(follower, scene);
      let patches = 0;
      let killedAt = 0;
      const killed = proxy.crashOn({
        when: "after",
        // Under load: the fifth workload patched by the leader.
        match: (request) =>
          request.userAgent === "update-manager/load-a" && request.method === "PATCH" && inScene(request, scene) && ++patches === 5,
        action: async () => {
          await signal(leader, "SIGKILL");
          killedAt = Date.now();
        },
      });
      const started = Date.now();
      // Accepted by the follower (the client's replica survives), executed by the leader, then by the follower.
      let sent = 0;
      const send = (name: string, round: number) => {
        sent++;
        return sendUpdate(async () => follower, {
          image: `${scene.repo}:${round + 1}.0.0`,
          classifier: `load-${name}`,
          idempotencyKey: `${scene.namespace}-${name}-${round}`,
        });
      };
      const first = await Promise.all(names.map((name) => send(name, 1)));
      expect(first.filter((id) => id !== undefined)).toHaveLength(20);
      // One update per workload at a time: as a workload's update finishes, its next one starts, until 50 were sent.
      const rounds = new Map(names.map((name) => [name, 1]));
      const unanswered: string[] = [];
      await until(
        `${scene.namespace}: ${total} updates sent and terminal`,
        async () => {
          const runs = await runsOf(scene);
          const done = (run: UpdateRunObject) => terminalPhases.has(run.status?.phase ?? "");
          for (const name of names) {
            const round = rounds.get(name)!;
            const current = runs.find((run) => run.spec.idempotencyKey === `${scene.namespace}-${name}-${round}`);
            if (sent < total && current !== undefined && done(current)) {
              rounds.set(name, round + 1);
              if ((await send(name, round + 1)) === undefined) unanswered.push(`${name} #${round + 1}`);
            }
          }
          return unanswered.length > 0 || (sent >= total && runs.length >= total && runs.every(done)) ? true : undefined;
        },
        settleMs * 2,
      );
      expect(unanswered).toEqual([]);
      await killed;
      proxy.disarmCrash();
      const takeover = await firstLeaseWrite("load-b", killedAt);
      expect(takeover).toBeDefined();
      const takeoverMs = takeover!.receivedMs - killedAt;
      const found = await checkInvariants(scene, started);
      addRun(row("Leader loss under load (50 updates, 20 at a time, leader SIGKILLed)"), { ...found, recoverMs: takeoverMs, faultsInjected: 1 });
      expect(found.problems).toEqual([]);
      expect(found.terminal).toBe(total);
      expect(found.outcomes).toEqual({ Succeeded: total });
      expect(takeoverMs).toBeLessThan(lease.durationMs + 5000);
    } finally {
      proxy.disarmCrash();
      await leader.stop();
      await follower.stop();
    }
  });

  it("fencing: the leader frozen past its Lease and let go on writes nothing after the new leader's first acquire", async () => {
    await stopSingleReplica();
    const scene = await seedScene("fence", { workloads: { fence: ["api", "worker"] }, minReadySeconds: 2 });
    const old = await startReplica("fence-a");
    const next = await startReplica("fence-b");
    try {
      await until("fence-a leads", async () => ((await leaseHolder()) === "fence-a" ? true : undefined));
      await waitForTargets(next, scene);
      let frozenAt = 0;
      const frozen = proxy.crashOn({
        when: "after",
        match: (request) => request.userAgent === "update-manager/fence-a" && patchOf("api", "2.0.0")(request) && inScene(request, scene),
        action: async () => {
          await signal(old, "SIGSTOP");
          frozenAt = Date.now();
        },
      });
      const started = Date.now();
      const id = await sendUpdate(async () => next, { image: `${scene.repo}:2.0.0`, classifier: "fence", idempotencyKey: `${scene.namespace}-fence` });
      expect(id).toBeDefined();
      await frozen;
      proxy.disarmCrash();
      await until("fence-b leads", async () => ((await leaseHolder()) === "fence-b" ? true : undefined), lease.durationMs + 10_000);
      // Frozen for the Lease duration + 5 s, then let go on, as a paused VM or a long GC pause would.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, frozenAt + lease.durationMs + 5000 - Date.now())));
      await signal(old, "SIGCONT");
      const settledAt = await settle(scene, 1);
      // Whatever the old leader would still write, it has had the time to try.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const acquire = await firstLeaseWrite("fence-b", frozenAt);
      expect(acquire).toBeDefined();
      const audit = await readAuditLog(auditPath);
      const late = audit.filter(
        (entry) =>
          entry.userAgent === "update-manager/fence-a" && writeVerbs.has(entry.verb) && entry.code >= 200 && entry.code < 300 && entry.receivedMs > acquire!.receivedMs,
      );
      // The old leader did come back and talk to the API server (its attempts are refused or reads).
      const afterResume = audit.filter((entry) => entry.userAgent === "update-manager/fence-a" && entry.receivedMs > frozenAt + lease.durationMs + 5000);
      const found = await checkInvariants(scene, started);
      addRun(row("Fencing (leader frozen past the Lease, then resumed)"), {
        ...found,
        writesAfterLosingLease: late.length,
        recoverMs: settledAt - frozenAt,
        faultsInjected: 1,
      });
      expect(late.map(describeAudit)).toEqual([]);
      expect(afterResume.length).toBeGreaterThan(0);
      expect(found.problems).toEqual([]);
      expect(found.outcomes).toEqual({ Succeeded: 1 });
    } finally {
      proxy.disarmCrash();
      if (old.server.child.exitCode === null && old.server.child.signalCode === null) old.server.child.kill("SIGCONT");
      await old.stop();
      await next.stop();
    }
  });
});
