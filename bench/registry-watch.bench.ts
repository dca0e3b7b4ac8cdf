/**
 * The registry watcher at scale: 1,000 watched workloads over 50 unique images, on the simulated cluster,
 * against a real registry (Debian's docker-registry, distribution 2.8, on loopback; images pushed with skopeo).
 *
 * - 40 images under `semver:patch` (a newer patch exists for each), 10 under `digest` (their `latest` tag);
 *   20 workloads per image in 50 namespaces; every workload in `notify` mode, so the cycles measure checking,
 *   not rollouts. Half of the digest workloads pin the digest in their spec, half rely on the pods' imageID.
 * - Per cycle: registry requests by kind (counted by the client's `onRequest`), pod lookups for running digests,
 *   pull-secret reads, and the cycle's wall time. Cycle 1 is cold (first-seen times recorded, findings emitted);
 *   cycles 2..N are warm. Every workload is due in every cycle (schedule 1 ms).
 * - Target: one tag list or one HEAD per unique image and cycle, zero manifest GETs.
 *
 * Run: `bash scripts/bench.sh bench/registry-watch.bench.ts`. Raw numbers go to bench/results/registry-watch.json.
 */
import { writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startRegistry } from "../test/support/registry.js";
import { createWatchHarness } from "../test/registry-watch/watch-harness.js";

const semverImages = 40;
const digestImages = 10;
const workloadsPerImage = 20;
const namespaces = 50;
const warmCycles = 5;

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  try {
    const pushStarted = performance.now();
    const digests = new Map<string, string>();
    await inBatches([...Array(semverImages).keys()], 8, async (i) => {
      for (const tag of ["1.0.0", "1.0.1"]) await registry.pushImage(`bench/semver-${i}`, tag);
    });
    await inBatches([...Array(digestImages).keys()], 8, async (i) => {
      digests.set(`bench/digest-${i}`, await registry.pushImage(`bench/digest-${i}`, "latest"));
    });
    const pushSeconds = (performance.now() - pushStarted) / 1000;

    const harness = createWatchHarness({
      insecureRegistries: [registry.host],
      cluster: {
        // Unpinned digest workloads' pods report the digest the tag named when they started.
        imageIdOf: (image) => {
          const match = /\/(bench\/digest-[0-9]+):latest$/.exec(image);
          return match === null ? undefined : `${registry.host}/${match[1]}@${digests.get(match[1]!)}`;
        },
      },
      watcher: { defaultScheduleMs: 1 },
    });
    let n = 0;
    for (let image = 0; image < semverImages + digestImages; image++) {
      for (let copy = 0; copy < workloadsPerImage; copy++) {
        const namespace = `team-${n % namespaces}`;
        const isDigest = image >= semverImages;
        const repository = isDigest ? `bench/digest-${image - semverImages}` : `bench/semver-${image}`;
        const pinned = isDigest && copy % 2 === 0 ? `@${digests.get(repository)}` : "";
        harness.cluster.addWorkload({
          kind: "Deployment",
          namespace,
          name: `w-${n}`,
          classifier: "bench",
          annotations: { "update-manager.io/policy": isDigest ? "digest" : "semver:patch", "update-manager.io/mode": "notify" },
          containers: [{ name: "app", image: `${registry.host}/${repository}:${isDigest ? "latest" : "1.0.0"}${pinned}` }],
        });
        n++;
      }
    }

    const cycles: Record<string, unknown>[] = [];
    for (let cycle = 1; cycle <= 1 + warmCycles; cycle++) {
      harness.requests.reset();
      await new Promise((resolve) => setTimeout(resolve, 2)); // Past the 1 ms schedule: every workload is due.
      const started = performance.now();
      const report = await harness.watcher.runOnce();
      const wallMs = performance.now() - started;
      cycles.push({
        cycle,
        kind: cycle === 1 ? "cold" : "warm",
        workloadsChecked: report.workloadsChecked,
        groupedChecks: { tagLists: report.tagLists, digests: report.digests },
        registryRequests: harness.requests.counts(),
        registryRequestsTotal: harness.requests.total(),
        runningImageLookups: report.runningImageLookups,
        available: report.available.length,
        errors: report.errors.length,
        wallMs: Math.round(wallMs * 10) / 10,
      });
    }
    await harness.stop();

    const warm = cycles.filter((cycle) => cycle.kind === "warm").map((cycle) => cycle.wallMs as number).sort((a, b) => a - b);
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      registry: "docker-registry (distribution 2.8, Debian) on 127.0.0.1, anonymous",
      setup: {
        workloads: n,
        uniqueImages: semverImages + digestImages,
        semverImages,
        digestImages,
        namespaces,
        workloadsPerImage,
        pushSeconds: Math.round(pushSeconds * 10) / 10,
      },
      target: "one tag list or HEAD per unique image per cycle, zero manifest GETs",
      perWorkloadPollingWouldBe: n,
      cycles,
      warmWallMs: { min: warm[0], median: warm[Math.floor(warm.length / 2)], max: warm.at(-1) },
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), "results", "registry-watch.json");
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
