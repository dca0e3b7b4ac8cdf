/**
 * Start-up and idle memory of the server on the embedded cluster, by entry point, in one run:
 *
 * - `production`: `npm run serve` (`node --enable-source-maps --import ./dist/src/telemetry/preload.js
 *   ./dist/src/main.js`): compiled JavaScript from dist/, the prebuilt dashboard; no TypeScript loader, no bundler.
 * - `tsx`: `node --import tsx --import ./src/telemetry/preload.ts src/main.ts`, the TypeScript sources through tsx
 *   (how `npm start` ran before `npm run build` existed), same sources as production.
 * - `tsx, before the build step`: the same command in a checkout of `BENCH_BASELINE_REF` (default b0e1cb1, the
 *   last commit before `npm run build`), whose dashboard was bundled by esbuild at every start. Skipped when the
 *   ref is not in the repository.
 *
 * Per run (embedded cluster, JSON logs, loopback ports; as test/support/server-process.ts starts it): the time from
 * spawn to the first `/readyz` 200 (polled every 10 ms), then, after 5 s idle, the VmRSS of
 * the server and of every process it started (the esbuild service, if any). Each entry point starts `runs` times,
 * interleaved; medians are reported. Floors (production): idle RSS <= 120 MiB, no child process, ready <= 1 s.
 *
 * Run: `bash scripts/bench.sh bench/startup.bench.ts` (builds dist/ when stale). Raw numbers go to
 * bench/results/startup.json.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { serverEntryArgs, startServer } from "../test/support/server-process.js";

const root = join(import.meta.dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const idleMs = 5000;
const baselineRef = process.env.BENCH_BASELINE_REF ?? "b0e1cb1";
const floors = { idleRssMiB: 120, readyMs: 1000 };

interface EntryPoint {
  readonly name: string;
  readonly cwd: string;
  readonly args: readonly string[];
}

interface Sample {
  readonly readyMs: number;
  readonly rssMiB: number;
  readonly children: { readonly command: string; readonly rssMiB: number }[];
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round((Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024) * 10) / 10;
}

/** Every process below `pid` (children, grandchildren), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // The process ended while listing.
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

async function measure(entry: EntryPoint): Promise<Sample> {
  const started = performance.now();
  const server = await startServer({ nodeArgs: entry.args, cwd: entry.cwd, timeoutMs: 60_000 });
  try {
    for (;;) {
      const status = await fetch(`${server.adminUrl}/readyz`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (performance.now() - started > 60_000) throw new Error(`${entry.name}: not ready within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const readyMs = Math.round(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const pid = server.child.pid!;
    const children = descendants(pid).map((child) => ({
      command: readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").slice(0, 2).join(" "),
      rssMiB: rssMiB(child),
    }));
    return { readyMs, rssMiB: rssMiB(pid), children };
  } finally {
    await server.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** A checkout of the baseline ref sharing this checkout's node_modules; undefined when the ref is unknown. */
function baselineCheckout(): string | undefined {
  try {
    execFileSync("git", ["cat-file", "-e", `${baselineRef}^{commit}`], { cwd: root, stdio: "ignore" });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "um-baseline-"));
  execFileSync("git", ["worktree", "add", "--detach", dir, baselineRef], { cwd: root, stdio: "ignore" });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

async function main(): Promise<void> {
  if (!existsSync(join(root, "dist", "src", "main.js"))) throw new Error("dist/ is missing: run npm run build");
  const tsxArgs = ["--import", "tsx", "--import", "./src/telemetry/preload.ts", "src/main.ts"];
  const entries: EntryPoint[] = [
    { name: "production", cwd: root, args: serverEntryArgs },
    { name: "tsx", cwd: root, args: tsxArgs },
  ];
  const baseline = baselineCheckout();
  if (baseline !== undefined) entries.push({ name: `tsx, before the build step (${baselineRef})`, cwd: baseline, args: tsxArgs });
  const samples = new Map<string, Sample[]>(entries.map((entry) => [entry.name, []]));
  try {
    for (let run = 0; run < runs; run++) {
      for (const entry of entries) samples.get(entry.name)!.push(await measure(entry));
    }
  } finally {
    if (baseline !== undefined) execFileSync("git", ["worktree", "remove", "--force", baseline], { cwd: root, stdio: "ignore" });
  }

  const summary = entries.map((entry) => {
    const list = samples.get(entry.name)!;
    const childRss = list.map((sample) => sample.children.reduce((sum, child) => sum + child.rssMiB, 0));
    return {
      entryPoint: entry.name,
      command: `node ${entry.args.join(" ")}`,
      readyMs: { median: median(list.map((sample) => sample.readyMs)), max: Math.max(...list.map((sample) => sample.readyMs)) },
      idleRssMiB: { median: median(list.map((sample) => sample.rssMiB)), max: Math.max(...list.map((sample) => sample.rssMiB)) },
      childProcesses: [...new Set(list.flatMap((sample) => sample.children.map((child) => child.command)))],
      childRssMiB: median(childRss),
    };
  });
  console.log(`runs: ${runs} per entry point, interleaved; idle ${idleMs / 1000} s before the RSS sample; ${cpus().length} CPUs; Node ${process.version}`);
  for (const line of summary) {
    console.log(
      `${line.entryPoint}: ready ${line.readyMs.median} ms (max ${line.readyMs.max}), idle RSS ${line.idleRssMiB.median} MiB ` +
        `(max ${line.idleRssMiB.max}), child processes: ${line.childProcesses.length === 0 ? "none" : `${line.childProcesses.join(", ")} (${line.childRssMiB} MiB)`}`,
    );
  }
  const production = summary[0]!;
  const verdicts = [
    [`idle RSS <= ${floors.idleRssMiB} MiB`, production.idleRssMiB.max <= floors.idleRssMiB],
    ["no bundler or other child process", production.childProcesses.length === 0],
    [`ready <= ${floors.readyMs} ms`, production.readyMs.median <= floors.readyMs],
  ] as const;
  for (const [floor, met] of verdicts) console.log(`production ${floor}: ${met ? "met" : "NOT MET"}`);
  const resultsDir = join(root, "bench", "results");
  writeFileSync(
    join(resultsDir, "startup.json"),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, runs, idleMs, summary, samples: Object.fromEntries(samples) }, null, 2)}\n`,
  );
  if (verdicts.some(([, met]) => !met)) process.exitCode = 1;
}

await main();
