/**
 * WatchUpdate fan-out (issue 13): 1,000 live streams from 10 principals (API keys) over 20 HTTP/2 connections (2 per
 * principal) on 20 running updates, 100 of the streams slow readers (they read one event, then stop reading).
 *
 * Composition: a server **process** (bench/fanout-server.ts: src/main.ts's composition through tsx, on the embedded
 * simulated cluster and the memory store) whose rollouts step every 150 ms and whose progress events are coalesced
 * every 150 ms, so that each update emits up to ~6.7 events/s. The production composition (UpdateRun store on a real API
 * server) cannot: progress is coalesced to one event per second per workload (`progressIntervalMs`, not
 * configurable) and an update rolls its workloads out one after another.
 *
 * Measured: RSS per open stream (VmRSS with the 20 updates running, before and with the 1,000 streams); delivery of
 * each live event to the fast readers, from the event's `time` (set by the store when it records the event: with the
 * memory store the durable write is that moment) to its arrival at the client (same machine, same clock);
 * how the slow readers end once they read again, after a hold (WATCHER_TOO_SLOW expected); RSS and V8 heap after a
 * full GC before and after 10,000 more streams were opened (each reads its first live event) and closed.
 *
 * Run: `bash scripts/bench.sh bench/watch-fanout.bench.ts`. BENCH_FANOUT_STREAMS (1000), BENCH_FANOUT_SLOW (100),
 * BENCH_FANOUT_MEASURE_S (60), BENCH_FANOUT_CHURN (10000) override the sizes; BENCH_FANOUT_SERVER_NODE_ARGS adds node flags
 * to the server (a CPU profile: "--cpu-prof --cpu-prof-dir=/tmp/fanout-prof"). Raw: bench/results/watch-fanout.json.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import { maxOf, percentile, pool, until } from "./bench-support.js";

const STREAMS = Number(process.env.BENCH_FANOUT_STREAMS ?? 1000);
const SLOW = Number(process.env.BENCH_FANOUT_SLOW ?? 100);
const MEASURE_MS = Number(process.env.BENCH_FANOUT_MEASURE_S ?? 60) * 1000;
const CHURN = Number(process.env.BENCH_FANOUT_CHURN ?? 10_000);
const CHURN_BATCH = 500;
/** How long after the streams opened the slow readers stay stopped. */
const SLOW_HOLD_MS = Number(process.env.BENCH_FANOUT_SLOW_HOLD_S ?? 200) * 1000;
const PRINCIPALS = 10;
const CONNECTIONS_PER_PRINCIPAL = 2;
const UPDATES = 20;
/** One pod replaced per step (the simulation costs CPU per step and pod: few, slow steps): a rollout of 225 s or more, ~6 events/s, outlasting the slow readers' hold. */
const REPLICAS = Number(process.env.BENCH_FANOUT_REPLICAS ?? 1500);
const ROLLOUT_STEP_MS = 150;
const PROGRESS_INTERVAL_MS = 150;
/** Live events only: a point beyond the last event. */
const LIVE = 1_000_000_000n;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const resultsPath = join(here, "results", "watch-fanout.json");

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

/** CPU time the process used so far (user + system), in ms: /proc/<pid>/stat fields 14 and 15, in clock ticks (100/s). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function heapUsedMiB(adminUrl: string): Promise<number> {
  const metrics = await fetch(`${adminUrl}/metrics`).then((response) => response.text());
  return round1(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1]) / 2 ** 20);
}

/** RSS and V8 heap right after a full garbage collection (fanout-server.ts runs one on SIGUSR2). */
async function afterGc(pid: number, adminUrl: string): Promise<{ rssMiB: number; heapUsedMiB: number }> {
  process.kill(pid, "SIGUSR2");
  await sleep(2000);
  return { rssMiB: round1(await rssMiB(pid)), heapUsedMiB: await heapUsedMiB(adminUrl) };
}

/** The median of a few samples a second apart (RSS moves with garbage collection). */
async function sampleRss(pid: number, samples = 5): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(await rssMiB(pid));
    await sleep(1000);
  }
  return round1(percentile(values, 50));
}

function countOf(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function tooSlow(error: unknown): boolean {
  return error instanceof ConnectError && error.findDetails(ErrorInfoSchema).some((info) => info.reason === "WATCHER_TOO_SLOW");
}

async function startServer(apiKeysDocument: string) {
  // BENCH_FANOUT_SERVER_NODE_ARGS: extra node flags for the server, after (overriding) the production ones.
  const extra = (process.env.BENCH_FANOUT_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, ["--enable-source-maps", "--max-semi-space-size=2", "--expose-gc", ...extra, "--import", "tsx", "bench/fanout-server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      UPDATE_MANAGER_CLUSTER: "embedded",
      UPDATE_MANAGER_STORE: "memory",
      UPDATE_MANAGER_LISTENING_HOST: "127.0.0.1",
      UPDATE_MANAGER_LISTENING_PORT: "0",
      UPDATE_MANAGER_ADMIN_PORT: "0",
      UPDATE_MANAGER_API_KEYS: apiKeysDocument,
      UPDATE_MANAGER_INSECURE_DEMO: "false",
      UPDATE_MANAGER_WATCH_REGISTRIES: "false",
      UPDATE_MANAGER_READ_RATE_PER_MINUTE: "0",
      UPDATE_MANAGER_WRITE_RATE_PER_MINUTE: "0",
      UPDATE_MANAGER_LOG_LEVEL: "warn",
      UPDATE_MANAGER_LOG_FORMAT: "json",
      FANOUT_WORKLOADS: String(UPDATES),
      FANOUT_REPLICAS: String(REPLICAS),
      FANOUT_ROLLOUT_STEP_MS: String(ROLLOUT_STEP_MS),
      FANOUT_PROGRESS_INTERVAL_MS: String(PROGRESS_INTERVAL_MS),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const urls = await new Promise<{ apiUrl: string; adminUrl: string }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)));
    lines.on("line", (line) => {
      if (line.startsWith('{"apiUrl"')) resolve(JSON.parse(line) as { apiUrl: string; adminUrl: string });
    });
  });
  return { child, ...urls };
}

interface Reader {
  readonly slow: boolean;
  events: number;
  /** ms from the event's time to its arrival, events that arrived inside the measurement window. */
  readonly delays: number[];
  /** Events read when the stream ended (a slow reader: what the connection held for it). */
  eventsAtEnd?: number;
  /** How the stream ended: "finished" (its update's last event), "WATCHER_TOO_SLOW", "aborted", or another error. */
  end?: string;
}

async function main(): Promise<void> {
  const started = performance.now();
  const principals = Array.from({ length: PRINCIPALS }, (_, i) => ({ name: `fanout-${i}`, key: randomBytes(24).toString("hex") }));
  const keysDocument = JSON.stringify({
    keys: principals.map((p) => ({
      name: p.name,
      sha256: createHash("sha256").update(p.key).digest("hex"),
      rpcs: ["*"],
      classifiers: "*",
      namespaces: "*",
      repositories: "*",
    })),
  });
  const server = await startServer(keysDocument);
  const pid = server.child.pid!;
  try {
    await until("the server ready", () => fetch(`${server.adminUrl}/readyz`).then((r) => r.status === 200, () => false), 60_000, 100);
    // One transport is one HTTP/2 connection.
    const clients: Client<typeof UpdateService>[][] = principals.map((p) => {
      const bearer: Interceptor = (next) => (request) => {
        request.header.set("authorization", `Bearer ${p.key}`);
        return next(request);
      };
      return Array.from({ length: CONNECTIONS_PER_PRINCIPAL }, () =>
        createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl, interceptors: [bearer] })),
      );
    });
    const rssIdle = await sampleRss(pid);
    const heapIdle = await heapUsedMiB(server.adminUrl);

    const startUpdates = async (tag: string) =>
      Promise.all(
        Array.from({ length: UPDATES }, async (_, i) => {
          const name = `svc-${String(i).padStart(2, "0")}`;
          const { update } = await clients[i % PRINCIPALS]![0]!.update({ image: `registry.example.com/fanout/${name}:${tag}`, classifier: "fanout" });
          return update!.id;
        }),
      );
    const updateIds = await startUpdates("2.0.0");
    log(`${UPDATES} updates started; RSS idle ${rssIdle} MiB`);
    const rssUpdates = await sampleRss(pid);
    const heapUpdates = await heapUsedMiB(server.adminUrl);
    const gcUpdates = await afterGc(pid, server.adminUrl);

    let measuring = false;
    let releaseSlow!: () => void;
    const slowReleased = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    const readers: Reader[] = [];
    const firstEvents: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    for (let s = 0; s < STREAMS; s++) {
      const reader: Reader = { slow: s < SLOW, events: 0, delays: [] };
      readers.push(reader);
      const client = clients[s % PRINCIPALS]![Math.floor(s / PRINCIPALS) % CONNECTIONS_PER_PRINCIPAL]!;
      let gotFirst!: () => void;
      firstEvents.push(new Promise((resolve) => (gotFirst = resolve)));
      done.push(
        (async () => {
          const iterator = client.watchUpdate({ updateId: updateIds[s % UPDATES]!, afterSequence: LIVE }, { signal: stop.signal })[Symbol.asyncIterator]();
          try {
            for (;;) {
              const result = await iterator.next();
              if (result.done) {
                reader.end = "finished";
                break;
              }
              if (result.value.message.case !== "event") continue;
              const event = result.value.message.value;
              reader.events++;
              if (measuring) reader.delays.push(Date.now() - timestampMs(event.time!));
              if (reader.events === 1) {
                gotFirst();
                if (reader.slow) await slowReleased;
              }
            }
          } catch (error) {
            reader.end = tooSlow(error) ? "WATCHER_TOO_SLOW" : stop.signal.aborted ? "aborted" : String(error);
          } finally {
            reader.eventsAtEnd = reader.events;
            gotFirst();
          }
        })(),
      );
    }
    await Promise.race([Promise.all(firstEvents), sleep(60_000)]);
    log(`${STREAMS} streams open, each had its first event; measuring for ${MEASURE_MS / 1000} s`);
    measuring = true;
    const measureStart = performance.now();
    const cpuStart = await cpuMs(pid);
    const loadStart = loadavg()[0]!;
    const rssSamples: number[] = [];
    while (performance.now() - measureStart < MEASURE_MS) {
      rssSamples.push(await rssMiB(pid));
      await sleep(2000);
    }
    measuring = false;
    const cpuWindowMs = (await cpuMs(pid)) - cpuStart;
    const loadEnd = loadavg()[0]!;
    const heapStreams = await heapUsedMiB(server.adminUrl);
    const rssStreams = round1(percentile(rssSamples, 50));
    const gcStreams = await afterGc(pid, server.adminUrl);
    const fast = readers.filter((r) => !r.slow);
    const slow = readers.filter((r) => r.slow);
    // The slow readers stay stopped while their updates go on emitting (the rollouts outlast this), then read again.
    log(`window over (${fast.filter((r) => r.end === undefined).length} fast streams open); the slow readers stay stopped ${SLOW_HOLD_MS / 1000} s after the streams opened`);
    await sleep(Math.max(0, SLOW_HOLD_MS - (performance.now() - measureStart)));
    log("the slow readers read again");
    releaseSlow();
    await Promise.race([Promise.all(done.slice(0, SLOW)), sleep(30_000)]);
    const slowEnds = slow.map((r) => r.end ?? "reading live events again: never cut off");
    log(`slow readers: ${JSON.stringify(countOf(slowEnds))}, events read before the end: ${JSON.stringify(countOf(slow.map((r) => String(r.eventsAtEnd ?? r.events))))}`);
    const delays = fast.flatMap((r) => r.delays);
    log(`delivery to fast readers (n=${delays.length}): p50 ${percentile(delays, 50)} ms, p99 ${percentile(delays, 99)} ms, max ${maxOf(delays)} ms; RSS ${rssUpdates} -> ${rssStreams} MiB; after GC ${JSON.stringify(gcUpdates)} -> ${JSON.stringify(gcStreams)}`);
    stop.abort();
    await Promise.race([Promise.all(done), sleep(30_000)]);
    const rssAfterStreams = await sampleRss(pid);

    // Open and close CHURN streams on the same updates: each reads its first event (its subscription is in place),
    // then is cancelled. Compared with the same process right before, after a full GC each time.
    const churnIds = updateIds;
    const gcBeforeChurn = await afterGc(pid, server.adminUrl);
    log(`opening and closing ${CHURN} streams, ${CHURN_BATCH} at a time`);
    let churnFailed = 0;
    let churned = 0;
    await pool(
      Array.from({ length: CHURN }, (_, i) => i),
      CHURN_BATCH,
      async (i) => {
        const cancel = new AbortController();
        try {
          const client = clients[i % PRINCIPALS]![i % CONNECTIONS_PER_PRINCIPAL]!;
          for await (const message of client.watchUpdate({ updateId: churnIds[i % UPDATES]!, afterSequence: LIVE }, { signal: cancel.signal })) {
            if (message.message.case === "event") break;
          }
        } catch {
          churnFailed++;
        } finally {
          cancel.abort();
          if (++churned % 1000 === 0) log(`${churned} streams opened and closed`);
        }
      },
    );
    await sleep(5000);
    const rssAfterChurn = await sampleRss(pid);
    const heapAfterChurn = await heapUsedMiB(server.adminUrl);
    const gcAfterChurn = await afterGc(pid, server.adminUrl);

    const ends = (list: Reader[]) => countOf(list.map((r) => r.end ?? "still open"));
    const eventsPerUpdatePerS = round1(fast.reduce((sum, r) => sum + r.delays.length, 0) / fast.length / (MEASURE_MS / 1000));
    const results = {
      command: "bash scripts/bench.sh bench/watch-fanout.bench.ts",
      composition:
        `server process bench/fanout-server.ts (src/main.ts's composition via tsx: access control with 10 API keys, metrics and tracing interceptors, API server with its HTTP/2 limits) on the embedded simulated cluster and the memory store; rollout step ${ROLLOUT_STEP_MS} ms (${REPLICAS} replicas per Deployment, one pod replaced per step), progress events every ${PROGRESS_INTERVAL_MS} ms`,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      loadAverage1m: { start: round1(loadStart), end: round1(loadEnd) },
      streams: STREAMS,
      slowReaders: SLOW,
      principals: PRINCIPALS,
      connections: PRINCIPALS * CONNECTIONS_PER_PRINCIPAL,
      updates: UPDATES,
      eventsPerUpdatePerSecond: eventsPerUpdatePerS,
      delivery: {
        events: delays.length,
        p50Ms: percentile(delays, 50),
        p99Ms: percentile(delays, 99),
        maxMs: maxOf(delays),
      },
      serverCpu: {
        windowMs: cpuWindowMs,
        coresUsed: round1(cpuWindowMs / MEASURE_MS),
        perThousandMessagesMs: round1((cpuWindowMs / Math.max(1, delays.length)) * 1000),
      },
      rssMiB: { idle: rssIdle, updatesRunning: rssUpdates, streamsOpen: rssStreams, afterStreamsClosed: rssAfterStreams, afterChurn: rssAfterChurn },
      heapUsedMiB: { idle: heapIdle, updatesRunning: heapUpdates, streamsOpen: heapStreams, afterChurn: heapAfterChurn },
      afterFullGc: { updatesRunning: gcUpdates, streamsOpen: gcStreams, beforeChurn: gcBeforeChurn, afterChurn: gcAfterChurn },
      rssPerStreamKiB: round1(((rssStreams - rssUpdates) * 1024) / STREAMS),
      rssPerStreamAfterGcKiB: round1(((gcStreams.rssMiB - gcUpdates.rssMiB) * 1024) / STREAMS),
      heapPerStreamAfterGcKiB: round1(((gcStreams.heapUsedMiB - gcUpdates.heapUsedMiB) * 1024) / STREAMS),
      slowReaderEventsRead: { min: Math.min(...slow.map((r) => r.eventsAtEnd ?? r.events)), max: Math.max(...slow.map((r) => r.eventsAtEnd ?? r.events)) },
      slowReaderEnds: countOf(slowEnds),
      fastReaderEnds: ends(fast),
      churn: { streams: CHURN, failed: churnFailed },
      runSeconds: Math.round((performance.now() - started) / 1000),
    };
    await mkdir(dirname(resultsPath), { recursive: true });
    await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      [
        "",
        `watch fan-out (${cpus().length} CPUs, load average ${results.loadAverage1m.start}-${results.loadAverage1m.end}; ${results.composition})`,
        `  ${STREAMS} streams, ${PRINCIPALS} principals, ${results.connections} connections, ${UPDATES} updates at ${eventsPerUpdatePerS} events/s each`,
        `  delivery to fast readers (n=${delays.length}): p50 ${results.delivery.p50Ms} ms, p99 ${results.delivery.p99Ms} ms, max ${results.delivery.maxMs} ms: ${results.delivery.p99Ms <= 100 ? "met" : "NOT met"} (p99 <= 100)`,
        `  server CPU in the window: ${cpuWindowMs} ms (${results.serverCpu.coresUsed} cores); ${results.serverCpu.perThousandMessagesMs} ms per 1,000 events delivered to fast readers (all work of the process included: rollouts, engine, streams)`,
        `  RSS: idle ${rssIdle}, updates running ${rssUpdates}, ${STREAMS} streams open ${rssStreams} (${results.rssPerStreamKiB} KiB per stream), after they closed ${rssAfterStreams}, after ${CHURN} more opened and closed ${rssAfterChurn} MiB`,
        `  V8 heap used: idle ${heapIdle}, updates running ${heapUpdates}, streams open ${heapStreams}, after churn ${heapAfterChurn} MiB`,
        `  after a full GC (RSS / heap MiB): updates running ${gcUpdates.rssMiB} / ${gcUpdates.heapUsedMiB}, ${STREAMS} streams open ${gcStreams.rssMiB} / ${gcStreams.heapUsedMiB} (${results.rssPerStreamAfterGcKiB} / ${results.heapPerStreamAfterGcKiB} KiB per stream); new updates running, before ${CHURN} streams opened and closed ${gcBeforeChurn.rssMiB} / ${gcBeforeChurn.heapUsedMiB}, after ${gcAfterChurn.rssMiB} / ${gcAfterChurn.heapUsedMiB}`,
        `  slow readers read ${results.slowReaderEventsRead.min}..${results.slowReaderEventsRead.max} events before their end`,
        `  slow readers: ${JSON.stringify(results.slowReaderEnds)}; fast readers: ${JSON.stringify(results.fastReaderEnds)}; churn failures ${churnFailed}`,
        `  run: ${results.runSeconds} s; raw: ${resultsPath}`,
        "",
      ].join("\n"),
    );
  } finally {
    server.child.kill("SIGTERM");
  }
}

await main();
