/**
 * Memory of the manager as kube/ deploys it (issue 13's memory floor: RSS <= 150 MiB with 2,000 and <= 200 MiB with
 * 10,000 opted-in workloads, synced). The production entry point (`npm run serve`: dist/src/main.js, what the
 * Dockerfile runs) as its own process on its own ServiceAccount token (kube/overlays/test-1.20's RBAC), with
 * UPDATE_MANAGER_STORE=kubernetes (UpdateRun store, run-held locks, Lease leader election), on a real API server
 * (kube-apiserver + controller-manager 1.20.2).
 *
 * For each size (0, 2,000, 10,000 opted-in Deployments, `replicas: 0`, created concurrently and processed by the
 * controller-manager first), a fresh manager process is started, its `/metrics` must report
 * `update_manager_caches_synced 1` and `/readyz` 200, then after a settle time its VmRSS (and VmHWM) is read from
 * /proc/<pid>/status, several times, keeping the last.
 *
 * Run: `bash scripts/bench.sh bench/memory.bench.ts`. BENCH_MEMORY_SIZES overrides the sizes (e.g. "0,2000").
 * BENCH_MEMORY_BASELINE=<package root with a built dist/> (e.g. a `git worktree` of an earlier commit after
 * `npm run build`) also measures that build at each size, on the same cluster, right after this one. Each build is
 * started with the node arguments of its own `npm run serve` (which the Dockerfile's ENTRYPOINT mirrors).
 * Raw numbers: bench/results/memory.json.
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type ManagerUnderTest, startKubeE2eEnvironment } from "../test/e2e-kube/kube-e2e-environment.js";
import { until } from "./bench-support.js";
import { cachesSynced, createDeployments, createNamespaces, type OptedInDeployments, waitForControllers } from "./opted-in-deployments.js";

const SIZES = (process.env.BENCH_MEMORY_SIZES ?? "0,2000,10000").split(",").map(Number);
const NAMESPACES = 100;
const CREATE_CONCURRENCY = 32;
const SETTLE_MS = Number(process.env.BENCH_MEMORY_SETTLE_MS ?? 10_000);
const SAMPLES = 5;
const FLOORS_MIB: Record<number, number> = { 2000: 150, 10000: 200 };
const BASELINE = process.env.BENCH_MEMORY_BASELINE;
/** Where to write a heap snapshot of this build's process after each size's measurement (SIGUSR2). Default: none. */
const HEAP_SNAPSHOTS = process.env.BENCH_MEMORY_HEAPSNAPSHOT_DIR;

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "results", "memory.json");
const deployments: OptedInDeployments = { namespaces: NAMESPACES, prefix: "mem", concurrency: CREATE_CONCURRENCY };

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function memoryOf(pid: number): Promise<{ rssMiB: number; peakRssMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const mib = (field: string) => Math.round((Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024) * 10) / 10;
  return { rssMiB: mib("VmRSS"), peakRssMiB: mib("VmHWM") };
}

/** The node arguments of a package's production entry point: its `npm run serve` script without `node`. */
async function serveArgs(packageRoot: string): Promise<string[]> {
  const scripts = (JSON.parse(await readFile(join(packageRoot, "package.json"), "utf8")) as { scripts: { serve: string } }).scripts;
  const [command, ...args] = scripts.serve.trim().split(/\s+/);
  if (command !== "node") throw new Error(`${packageRoot}: npm run serve is not a node command: ${scripts.serve}`);
  return args;
}

/** The V8 heap as the process's own /metrics reports it (prom-client's default metrics), in MiB. */
async function heapOf(adminUrl: string): Promise<{ heapUsedMiB: number; heapTotalMiB: number; externalMiB: number }> {
  const metrics = await fetch(`${adminUrl}/metrics`).then((response) => response.text());
  const mib = (name: string) => Math.round((Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]) / 2 ** 20) * 10) / 10;
  return {
    heapUsedMiB: mib("nodejs_heap_size_used_bytes"),
    heapTotalMiB: mib("nodejs_heap_size_total_bytes"),
    externalMiB: mib("nodejs_external_memory_bytes"),
  };
}

interface Row {
  /** "this build", or the baseline's package root. */
  readonly build: string;
  readonly workloads: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly samplesMiB: number[];
  readonly syncedMs: number;
  readonly createMs: number;
  readonly controllersMs: number;
  readonly floorMiB?: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  log("starting the control plane and applying kube/overlays/test-1.20");
  const env = await startKubeE2eEnvironment({ controllerManagerArgs: ["--kube-api-qps=400", "--kube-api-burst=800"] });
  const rows: Row[] = [];
  let manager: ManagerUnderTest | undefined;
  try {
    await createNamespaces(env.core, deployments);
    let created = 0;
    for (const size of [...SIZES].sort((a, b) => a - b)) {
      log(`creating Deployments ${created}..${size}`);
      const createMs = await createDeployments(env.apps, deployments, created, size);
      created = size;
      const controllersMs = await waitForControllers(env.apps, size);
      log(`${size} Deployments created in ${createMs} ms, processed by the controller-manager ${controllersMs} ms later`);

      for (const build of BASELINE === undefined ? [undefined] : [undefined, BASELINE]) {
        const startedAt = performance.now();
        manager = await env.startManager({
          waitReady: false,
          env: {
            UPDATE_MANAGER_STORE: "kubernetes",
            UPDATE_MANAGER_IDENTITY: "bench-memory-0",
            UPDATE_MANAGER_LOG_LEVEL: "info",
            ...(HEAP_SNAPSHOTS === undefined || build !== undefined
              ? {}
              : { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${HEAP_SNAPSHOTS}` }),
          },
          // Each build as its own `npm run serve` starts it (the flags may differ between them).
          nodeArgs: await serveArgs(build ?? join(here, "..")),
          ...(build === undefined ? {} : { cwd: build }),
        });
        await until("the manager's caches synced", () => cachesSynced(manager!.server.adminUrl), 300_000, 100);
        const syncedMs = Math.round(performance.now() - startedAt);
        const pid = manager.server.child.pid!;
        const samples: number[] = [];
        let last = await memoryOf(pid);
        for (let sample = 0; sample < SAMPLES; sample++) {
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS / SAMPLES));
          last = await memoryOf(pid);
          samples.push(last.rssMiB);
        }
        const heap = await heapOf(manager.server.adminUrl);
        const floorMiB = FLOORS_MIB[size];
        rows.push({
          build: build ?? "this build",
          workloads: size,
          ...last,
          ...heap,
          samplesMiB: samples,
          syncedMs,
          createMs,
          controllersMs,
          ...(floorMiB === undefined ? {} : { floorMiB }),
        });
        if (HEAP_SNAPSHOTS !== undefined && build === undefined) {
          const before = new Set(await readdir(HEAP_SNAPSHOTS));
          process.kill(pid, "SIGUSR2");
          // Written in pieces after its name appears: done once its size stopped changing for 3 s.
          let size = -1;
          let stableSince = Date.now();
          await until(
            "the heap snapshot",
            async () => {
              const name = (await readdir(HEAP_SNAPSHOTS)).find((f) => !before.has(f) && f.endsWith(".heapsnapshot"));
              const now = name === undefined ? 0 : (await stat(join(HEAP_SNAPSHOTS, name))).size;
              if (now !== size) {
                size = now;
                stableSince = Date.now();
              }
              return size > 0 && Date.now() - stableSince >= 3_000;
            },
            300_000,
            1_000,
          );
        }
        log(`${build ?? "this build"}, ${size} workloads: synced ${syncedMs} ms after start, RSS ${last.rssMiB} MiB (peak ${last.peakRssMiB} MiB), V8 heap ${heap.heapUsedMiB} used of ${heap.heapTotalMiB} MiB`);
        await manager.stop();
        manager = undefined;
      }
    }
  } finally {
    await manager?.stop();
    await env.stop();
  }

  const results = {
    command: "bash scripts/bench.sh bench/memory.bench.ts",
    composition:
      "production entry point (dist/src/main.js with the telemetry preload, as npm run serve and the Dockerfile run it), own ServiceAccount token (kube/overlays/test-1.20 RBAC), UPDATE_MANAGER_STORE=kubernetes, info logs",
    cluster: `opted-in Deployments (replicas 0, one container) in ${NAMESPACES} namespaces, processed by the controller-manager before the manager starts`,
    measured: `VmRSS from /proc/<pid>/status, ${SETTLE_MS} ms after update_manager_caches_synced 1 and /readyz 200 (last of ${SAMPLES} samples)`,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    kubernetes: "kube-apiserver + kube-controller-manager v1.20.2, etcd 3.4, loopback, same machine",
    rows,
    runSeconds: Math.round((performance.now() - started) / 1000),
  };
  await mkdir(dirname(resultsPath), { recursive: true });
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

  const lines = [
    "",
    `memory (${cpus().length} CPUs, Node ${process.version}; production entry point, UpdateRun store, own ServiceAccount)`,
    `  ${"build".padEnd(24)}  ${"workloads".padStart(9)}  ${"RSS MiB".padStart(8)}  ${"peak MiB".padStart(8)}  ${"heap MiB".padStart(13)}  ${"synced ms".padStart(9)}  floor`,
    ...rows.map(
      (row) =>
        `  ${row.build.slice(-24).padEnd(24)}  ${String(row.workloads).padStart(9)}  ${row.rssMiB.toFixed(1).padStart(8)}  ${row.peakRssMiB.toFixed(1).padStart(8)}  ${`${row.heapUsedMiB}/${row.heapTotalMiB}`.padStart(13)}  ${String(
          row.syncedMs,
        ).padStart(9)}  ${row.floorMiB === undefined ? "" : `<= ${row.floorMiB}: ${row.rssMiB <= row.floorMiB ? "met" : "NOT met"}`}`,
    ),
    `  run: ${results.runSeconds} s; raw: ${resultsPath}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
