import { createSimulatedCluster, type SimulatedClusterOptions } from "../../../src/cluster/simulated/simulated-cluster.js";
import { createSimulatedStepEvents } from "../../../src/cluster/simulated/simulated-step-events.js";
import type { SimulatedWorkloadSpec } from "../../../src/cluster/simulated/simulated-workload-spec.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import { isTerminal, type UpdateRecord } from "../../../src/core/domain/update.js";
import type { UpdateEvent, UpdateEventType } from "../../../src/core/domain/update-event.js";
import type { WorkloadRef } from "../../../src/core/domain/workload.js";
import type { CoreLogger } from "../../../src/core/ports/logger.js";
import type { TargetLocks } from "../../../src/core/ports/target-locks.js";
import type { UpdateTracer } from "../../../src/core/ports/update-tracer.js";
import type { UpdateEngineDeps } from "../../../src/core/use-cases/update-engine-deps.js";
import type { UpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";
import { createUpdateManager, type UpdateManager } from "../../../src/core/use-cases/update-manager.js";
import { createMemoryQuarantineStore } from "../../../src/store/memory/memory-quarantine-store.js";
import { lockHolderState } from "../../../src/core/use-cases/lock-holder-state.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "../../../src/store/memory/memory-update-store.js";
import { createFakeClock } from "../../support/fake-clock.js";

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A CoreLogger that keeps what it was told, so tests can show no unexpected error was logged. */
export function createRecordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): CoreLogger {
  const at =
    (level: LogLine["level"]) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields: { ...bindings, ...fields }, message });
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => createRecordingLogger(lines, { ...bindings, ...more }),
  };
}

export interface HarnessOptions {
  readonly engine?: UpdateEngineOptions;
  readonly cluster?: Omit<SimulatedClusterOptions, "clock">;
  /** Start the cluster (caches synced). Default: true. */
  readonly start?: boolean;
  /** The engine's tracer (also after `restart`). Default: none (the no-op). */
  readonly tracer?: UpdateTracer;
  /** Replaces ports the engine sees (to inject faults); the harness keeps the originals. Default: none. */
  readonly wrap?: (deps: UpdateEngineDeps) => UpdateEngineDeps;
}

/**
 * The engine on its real in-memory adapters: the simulated cluster, the memory stores and locks,
 * all on one fake clock.
 */
export function createHarness(options: HarnessOptions = {}) {
  const clock = createFakeClock();
  const cluster = createSimulatedCluster({ clock, ...options.cluster });
  const store = createMemoryUpdateStore({ clock });
  const quarantines = createMemoryQuarantineStore();
  const locks = createMemoryTargetLocks({ clock, updateState: lockHolderState(store) });
  const keys = createMetadataKeys();
  const stepEvents = createSimulatedStepEvents({ clock });
  const logLines: LogLine[] = [];
  let ids = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`;
  const deps: UpdateEngineDeps = {
    cluster,
    store,
    quarantines,
    locks,
    clock,
    newId,
    keys,
    logger: createRecordingLogger(logLines),
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    stepEvents,
  };
  const manager = createUpdateManager(options.wrap ? options.wrap(deps) : deps, options.engine);
  if (options.start !== false) cluster.start();

  /** A second engine on the same cluster and store, as after a restart (fresh locks: they lived in the old process). */
  function restart(engine: UpdateEngineOptions = options.engine ?? {}, restartLocks: TargetLocks = createMemoryTargetLocks()) {
    return createUpdateManager({ ...deps, locks: restartLocks }, engine);
  }

  /** Advances the clock until the update is terminal (bounded), then waits for its execution to end. */
  async function settle(id: string, within = 60 * 60_000, stepMs = 500, engine: UpdateManager = manager): Promise<UpdateRecord> {
    for (let elapsed = 0; ; elapsed += stepMs) {
      const record = await store.get(id);
      if (record === undefined) throw new Error(`update ${id} is not recorded`);
      if (isTerminal(record.state)) {
        // An execution's end lets the queue launch the next update: idle only once that one ended too.
        let idle = false;
        const waiting = engine.whenIdle().then(() => {
          idle = true;
        });
        for (let waited = 0; !idle; waited += stepMs) {
          if (waited >= within) throw new Error(`the engine is still busy ${within}ms after update ${id} finished`);
          await clock.advanceAsync(stepMs);
        }
        await waiting;
        return (await store.get(id))!;
      }
      if (elapsed >= within) throw new Error(`update ${id} still ${record.state}/${record.phase} after ${within}ms`);
      await clock.advanceAsync(stepMs);
    }
  }

  /** Advances the clock until an event of `type` (optionally about `workload`) is recorded. */
  async function until(
    id: string,
    predicate: (event: UpdateEvent) => boolean,
    within = 10 * 60_000,
    stepMs = 100,
  ): Promise<UpdateEvent> {
    for (let elapsed = 0; ; elapsed += stepMs) {
      const found = (await store.readEvents(id, 0)).find(predicate);
      if (found !== undefined) return found;
      if (elapsed >= within) throw new Error(`no matching event of update ${id} within ${within}ms`);
      await clock.advanceAsync(stepMs);
    }
  }

  return {
    clock,
    cluster,
    store,
    quarantines,
    locks,
    keys,
    deps,
    manager,
    stepEvents,
    logLines,
    restart,
    settle,
    until,
    add: (spec: SimulatedWorkloadSpec) => cluster.addWorkload(spec),
    events: (id: string) => store.readEvents(id, 0),
    eventTypes: async (id: string): Promise<UpdateEventType[]> => (await store.readEvents(id, 0)).map((e) => e.type),
    imagesOf: (ref: WorkloadRef) => cluster.getWorkload(ref)?.containers.map((c) => `${c.name}=${c.image}`),
    patchWrites: () => cluster.writes().filter((write) => write.operation === "patch-images"),
    errorLogs: () => logLines.filter((line) => line.level === "error"),
  };
}

export type Harness = ReturnType<typeof createHarness>;

export const deployment = (name: string, namespace = "shop"): WorkloadRef => ({ kind: "Deployment", namespace, name });

/** An event-type predicate for `until`. */
export const isEvent =
  (type: UpdateEventType, workload?: WorkloadRef) =>
  (event: UpdateEvent): boolean =>
    event.type === type &&
    (workload === undefined ||
      ("workload" in event &&
        event.workload.kind === workload.kind &&
        event.workload.namespace === workload.namespace &&
        event.workload.name === workload.name));

/** Expects the promise to reject with a DomainError of that code and reason; returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<{
  code: string;
  reason: string;
  message: string;
  metadata: Readonly<Record<string, string>>;
}> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; reason: string; message: string; metadata: Readonly<Record<string, string>> };
  }
  throw new Error("expected a rejection, but the promise resolved");
}

