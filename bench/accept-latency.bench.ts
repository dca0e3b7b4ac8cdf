/**
 * `Update` accept latency as kube/ deploys the manager, with 10,000 opted-in workloads (issue 13's floor: p99 <= 30 ms
 * sequential, p99 <= 100 ms with 200 sent back to back). The production entry point (dist/src/main.js, `npm run
 * serve`'s node arguments) as its own process on its own ServiceAccount token (kube/overlays/test-1.20's RBAC), with
 * UPDATE_MANAGER_STORE=kubernetes (UpdateRun store, run-held locks, Lease), on kube-apiserver + controller-manager
 * 1.20.2; the Deployments are bench/memory.bench.ts's (`replicas: 0`, one repository each: one target per update).
 *
 * Accept latency = the `Update` RPC's round trip over gRPC (HTTP/2) on one connection. Sequential: each update runs
 * to its terminal WatchUpdate event before the next is sent. Back to back: each is sent as soon as the previous was
 * accepted (up to 200 executions then run in the background). The API server's audit log (the ServiceAccount only)
 * says which requests the manager sent within each sequential accept window. CPU time per update of each process on
 * the shared cores (API server, etcd, controller-manager, manager, this client; /proc) is reported per phase, from
 * the first accept to the last terminal event, net of what each uses in a 5 s spell without updates (measured before
 * the sequential phase): it moves far less from run to run than the latency tails do.
 *
 * Run: `bash scripts/bench.sh bench/accept-latency.bench.ts`. BENCH_ACCEPT_WORKLOADS (default 10000),
 * BENCH_ACCEPT_SEQUENTIAL (default 100), BENCH_ACCEPT_BURST (default 200), BENCH_ACCEPT_WARMUP (default 20, sequential, not counted) override the sizes.
 * Raw numbers: bench/results/accept-latency.json.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type ManagerUnderTest, startKubeE2eEnvironment } from "../test/e2e-kube/kube-e2e-environment.js";
import { collect, cpuMs, cpuPer, finalState, percentile, pidsByCommand, pool, readAudit, until } from "./bench-support.js";
import { cachesSynced, createDeployments, createNamespaces, deploymentOf, type OptedInDeployments, waitForControllers } from "./opted-in-deployments.js";

const WORKLOADS = Number(process.env.BENCH_ACCEPT_WORKLOADS ?? 10_000);
const SEQUENTIAL = Number(process.env.BENCH_ACCEPT_SEQUENTIAL ?? 100);
const BURST = Number(process.env.BENCH_ACCEPT_BURST ?? 200);
/** Sequential updates run first and not counted: a long-running replica's code is optimised, a new process's is not. */
const WARMUP = Number(process.env.BENCH_ACCEPT_WARMUP ?? 20);
/** The quiet spell before the sequential updates in which each process's CPU use without updates is measured. */
const IDLE_MS = 5_000;
const managerUser = "system:serviceaccount:update-manager:update-manager";
const generous = "100000";
const set: OptedInDeployments = { namespaces: 100, prefix: "acc", concurrency: 32 };

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "results", "accept-latency.json");

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const summarize = (values: readonly number[]) => ({
  n: values.length,
  p50: round2(percentile(values, 50)),
  p90: round2(percentile(values, 90)),
  p99: round2(percentile(values, 99)),
  max: round2(Math.max(...values)),
});

async function main(): Promise<void> {
  if (SEQUENTIAL + BURST + 1 > WORKLOADS) throw new Error("more updates than workloads: each update needs a target of its own");
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), "update-manager-accept-bench-"));
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
  let manager: ManagerUnderTest | undefined;
  try {
    await createNamespaces(env.core, set);
    log(`creating ${WORKLOADS} Deployments`);
    const createMs = await createDeployments(env.apps, set, 0, WORKLOADS);
    const controllersMs = await waitForControllers(env.apps, WORKLOADS);
    log(`created in ${createMs} ms, processed by the controller-manager ${controllersMs} ms later`);

    manager = await env.startManager({
      waitReady: false,
      env: {
        UPDATE_MANAGER_STORE: "kubernetes",
        UPDATE_MANAGER_IDENTITY: "bench-accept-0",
        UPDATE_MANAGER_LOG_LEVEL: "info",
        UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: generous,
        UPDATE_MANAGER_WRITE_BURST: generous,
        UPDATE_MANAGER_READ_RATE_PER_MINUTE: generous,
        UPDATE_MANAGER_READ_BURST: generous,
      },
    });
    await until("the manager's caches synced", () => cachesSynced(manager!.server.adminUrl), 300_000, 100);
    const client = manager.client;
    let next = 0;
    const nextTarget = () => {
      const target = deploymentOf(set, next++);
      return { image: `${target.repository}:2.0.0`, classifier: target.classifier };
    };
    const send = async () => {
      const t0 = performance.now();
      const fromMs = Date.now();
      const { update } = await client.update({ ...nextTarget(), updateTimeout: { seconds: 300n } });
      return { id: update!.id, acceptMs: performance.now() - t0, fromMs, toMs: Date.now() };
    };
    // Warm-up (leadership, connection, the optimising compiler): not counted.
    const warmStates: string[] = [];
    for (let i = 0; i < WARMUP; i++) {
      const warm = await send();
      warmStates.push(finalState(await collect(client, warm.id)));
    }
    log(`${WARMUP} warm-up updates: ${[...new Set(warmStates)].join(", ")}`);

    // CPU time per update of each process on the shared cores, through the phase and its executions (the updates'
    // terminal events): a steadier measure of what an update costs than latency tails on two busy cores.
    const pids = { ...(await pidsByCommand(["kube-apiserver", "etcd", "kube-controller-manager"])), manager: manager.server.child.pid! };
    const cpuNow = async () => ({ ...(await cpuMs(pids)), bench: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000) });
    // What each process uses with no update running (the control plane's own loops, the Lease, 10,000 cached
    // Deployments), per second: subtracted from each phase for its net cost per update.
    const idleStarted = performance.now();
    const cpuBeforeIdle = await cpuNow();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idlePerSecond = cpuPer(cpuBeforeIdle, await cpuNow(), idleSeconds);
    const net = (before: Record<string, number>, after: Record<string, number>, seconds: number, n: number) =>
      Object.fromEntries(
        Object.entries(cpuPer(before, after, 1)).map(([name, ms]) => [name, round2((ms - (idlePerSecond[name] ?? 0) * seconds) / n)]),
      );
    log(`${SEQUENTIAL} sequential updates`);
    const loadBefore = loadavg()[0]!;
    const cpuBeforeSequential = await cpuNow();
    const sequentialStarted = performance.now();
    const sequential: { acceptMs: number; fromMs: number; toMs: number; state: string }[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const sent = await send();
      sequential.push({ ...sent, state: finalState(await collect(client, sent.id)) });
    }
    const loadSequential = loadavg()[0]!;
    const cpuSequential = net(cpuBeforeSequential, await cpuNow(), (performance.now() - sequentialStarted) / 1000, SEQUENTIAL);

    log(`${BURST} updates back to back`);
    const cpuBeforeBurst = await cpuNow();
    const burstStarted = performance.now();
    const burst: { id: string; acceptMs: number; fromMs: number; toMs: number }[] = [];
    for (let i = 0; i < BURST; i++) burst.push(await send());
    const loadBurst = loadavg()[0]!;
    const burstStates: string[] = [];
    await pool(burst, 50, async ({ id }) => {
      burstStates.push(finalState(await collect(client, id)));
    });
    const cpuBurst = net(cpuBeforeBurst, await cpuNow(), (performance.now() - burstStarted) / 1000, BURST);

    // The manager's requests inside each sequential accept window (ms resolution: the window is widened by 1 ms).
    const audit = (await readAudit(auditLog)).filter((record) => record.user === managerUser && !record.resource.startsWith("leases"));
    const perAccept = new Map<string, number>();
    for (const window of sequential) {
      for (const record of audit) {
        if (record.receivedMs < window.fromMs - 1 || record.receivedMs > window.toMs + 1) continue;
        const key = `${record.verb} ${record.resource}`;
        perAccept.set(key, (perAccept.get(key) ?? 0) + 1);
      }
    }
    const requestsPerAccept = Object.fromEntries(
      [...perAccept.entries()].sort((a, b) => b[1] - a[1]).map(([key, count]) => [key, round2(count / sequential.length)]),
    );

    // The API server's share of each accept: its time on the run's POST (received to response complete), the rest being
    // the manager, the network and the client.
    const creates = audit.filter((record) => record.verb === "create" && record.resource === "updateruns" && record.completedMs !== undefined);
    const apiServerShare = (windows: readonly { fromMs: number; toMs: number }[]) =>
      windows.flatMap((window) => {
        const create = creates.find((record) => record.receivedMs >= window.fromMs - 1 && record.receivedMs <= window.toMs + 1);
        return create ? [create.completedMs! - create.receivedMs] : [];
      });

    const results = {
      command: "bash scripts/bench.sh bench/accept-latency.bench.ts",
      composition:
        "production entry point (dist/src/main.js, npm run serve's node arguments), own ServiceAccount token (kube/overlays/test-1.20 RBAC), UPDATE_MANAGER_STORE=kubernetes, info logs",
      cluster: `${WORKLOADS} opted-in Deployments (replicas 0) in ${set.namespaces} namespaces, processed by the controller-manager before the manager starts`,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      loadAverage1m: { before: round2(loadBefore), afterSequential: round2(loadSequential), afterBurst: round2(loadBurst) },
      sequentialMs: summarize(sequential.map((s) => s.acceptMs)),
      backToBackMs: summarize(burst.map((b) => b.acceptMs)),
      requestsPerSequentialAccept: requestsPerAccept,
      runCreateInApiServerMs: { sequential: summarize(apiServerShare(sequential)), backToBack: summarize(apiServerShare(burst)) },
      cpuMsPerSecondIdle: idlePerSecond,
      cpuMsPerUpdate: { sequential: cpuSequential, backToBack: cpuBurst },
      notSucceeded: [...sequential.map((s) => s.state), ...burstStates].filter((state) => state !== "SUCCEEDED").length,
      createMs,
      controllersMs,
      runSeconds: Math.round((performance.now() - started) / 1000),
    };
    await mkdir(dirname(resultsPath), { recursive: true });
    await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    const f = (n: number) => n.toFixed(1);
    const verdict = (p99: number, floor: number) => `${p99 <= floor ? "met" : "NOT met"} (<= ${floor})`;
    process.stdout.write(
      [
        "",
        `accept latency (${cpus().length} CPUs, Node ${process.version}; production entry point, UpdateRun store, ${WORKLOADS} workloads)`,
        `  sequential (n=${SEQUENTIAL}): p50 ${f(results.sequentialMs.p50)} ms, p99 ${f(results.sequentialMs.p99)} ms, max ${f(results.sequentialMs.max)} ms: ${verdict(results.sequentialMs.p99, 30)}`,
        `  back to back (n=${BURST}): p50 ${f(results.backToBackMs.p50)} ms, p99 ${f(results.backToBackMs.p99)} ms, max ${f(results.backToBackMs.max)} ms: ${verdict(results.backToBackMs.p99, 100)}`,
        `  requests per sequential accept: ${JSON.stringify(requestsPerAccept)}`,
        `  the run's POST inside the API server: sequential p50 ${f(results.runCreateInApiServerMs.sequential.p50)} ms, p99 ${f(results.runCreateInApiServerMs.sequential.p99)} ms; back to back p50 ${f(results.runCreateInApiServerMs.backToBack.p50)} ms, p99 ${f(results.runCreateInApiServerMs.backToBack.p99)} ms`,
        `  CPU ms per second with no update running: ${JSON.stringify(idlePerSecond)}`,
        `  CPU ms per update, net of that (first accept to last terminal event): sequential ${JSON.stringify(cpuSequential)}; back to back ${JSON.stringify(cpuBurst)}`,
        `  not SUCCEEDED: ${results.notSucceeded}; load average ${results.loadAverage1m.before} / ${results.loadAverage1m.afterSequential} / ${results.loadAverage1m.afterBurst}`,
        `  run: ${results.runSeconds} s; raw: ${resultsPath}`,
        "",
      ].join("\n"),
    );
  } finally {
    await manager?.stop();
    await env.stop();
  }
}

await main();
