import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { registryWatcherRequester } from "../core/use-cases/watch-registries.js";
import type { UpdateEventBody } from "../core/domain/update-event.js";
import { isTerminal, terminalStates, type UpdateRecord, type UpdateState } from "../core/domain/update.js";
import type { UpdateStore } from "../core/ports/update-store.js";
import { observeUpdateStore, type UpdateStoreObserver } from "../core/use-cases/observe-update-store.js";

/** The bounded `requester_kind` label: who asked, never their name. */
export type RequesterKind = "registry-watcher" | "anonymous" | "api";

export function requesterKind(requester: string): RequesterKind {
  if (requester === registryWatcherRequester) return "registry-watcher";
  if (requester === "anonymous") return "anonymous";
  return "api";
}

export interface UpdateMetricsOptions {
  /** Wall-clock milliseconds, for "past its deadline" and when steps start and end. Default: Date.now. */
  now?: () => number;
}

/** Feeds the update metrics from what the engine records; the core knows nothing of them. */
export interface UpdateMetrics {
  /** What the engine records (observeUpdateStore), after the store accepted it. */
  readonly observer: UpdateStoreObserver;
  /** The store the gauges read at scrape time (its unfinished updates). */
  readFrom(store: UpdateStore): void;
  /** `readFrom(store)`, and the store wrapped for `observer` alone. */
  observeStore(store: UpdateStore): UpdateStore;
}

/** A step that started and has not ended yet, keyed by update id and what it is about. */
interface OpenStep {
  readonly step: "migration" | "rollout" | "rollback";
  readonly started: number;
}

const unfinishedStates: readonly UpdateState[] = ["planned", "queued", "waiting-for-approval", "waiting-for-gate", "pending", "running", "rolling-back"];
/** Recorded but not executing: queued behind another update's targets, waiting for approval, a window or the alert gate, or for the leader. */
const waitingStates: ReadonlySet<UpdateState> = new Set(["planned", "queued", "waiting-for-approval", "waiting-for-gate", "pending"]);

const stepBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Registers the update engine's metrics in `registry` (call once per registry). Labels are bounded: no update id,
 * workload or image ever becomes a label.
 * - `update_manager_updates{state, requester_kind}`: unfinished updates in the store, by state (read at scrape time);
 * - `update_manager_updates_finished_total{state, requester_kind}`: updates that reached a terminal state;
 * - `update_manager_updates_past_deadline`: unfinished updates running longer than their timeout;
 * - `update_manager_rollouts_waiting`: updates recorded but waiting to execute (state `queued`, `waiting-for-approval`,
 *   `waiting-for-gate`, `pending` or `planned`);
 * - `update_manager_step_duration_seconds{step, result}`: migration Jobs, workload rollouts (patch to healthy or
 *   failed) and rollbacks; `update_manager_update_duration_seconds{state}`: start to finish of whole updates;
 * - `update_manager_rollbacks_total{result}`: finished rollbacks, `succeeded` or `failed`.
 */
export function createUpdateMetrics(registry: Registry, options: UpdateMetricsOptions = {}): UpdateMetrics {
  const now = options.now ?? Date.now;
  /** The store the engine records in, read at scrape time (set by observeStore). */
  let source: UpdateStore | undefined;
  /** Every unfinished update the store holds: the same on every replica (the UpdateRun cache, or memory). */
  const readUnfinished = async (): Promise<UpdateRecord[]> => {
    if (source === undefined) return [];
    const records: UpdateRecord[] = [];
    let pageToken = "";
    do {
      const page = await source.list({ pageSize: 500, states: unfinishedStates, ...(pageToken === "" ? {} : { pageToken }) });
      records.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return records;
  };
  // Each gauge reads the store on its own: both stores list from memory (the UpdateRun informer's cache).
  const unfinished = readUnfinished;
  const openSteps = new Map<string, OpenStep>();

  new Gauge({
    name: "update_manager_updates",
    help: "Unfinished updates in the update store, by state and requester kind (every replica reads the same store).",
    labelNames: ["state", "requester_kind"] as const,
    registers: [registry],
    async collect() {
      const records = await unfinished();
      this.reset();
      for (const record of records) this.inc({ state: record.state, requester_kind: requesterKind(record.requester) });
    },
  });
  new Gauge({
    name: "update_manager_updates_past_deadline",
    help: "Unfinished updates that have run longer than their update timeout.",
    registers: [registry],
    async collect() {
      const at = now();
      const records = await unfinished();
      this.set(records.filter((r) => r.startTime !== undefined && r.startTime.getTime() + r.updateTimeoutMs < at).length);
    },
  });
  new Gauge({
    name: "update_manager_rollouts_waiting",
    help: "Updates recorded but not executing yet (queued behind another update's targets, or waiting for the leader).",
    registers: [registry],
    async collect() {
      const records = await unfinished();
      this.set(records.filter((r) => waitingStates.has(r.state)).length);
    },
  });
  const finished = new Counter({
    name: "update_manager_updates_finished_total",
    help: "Updates that reached a terminal state, by that state and requester kind.",
    labelNames: ["state", "requester_kind"] as const,
    registers: [registry],
  });
  const steps = new Histogram({
    name: "update_manager_step_duration_seconds",
    help: "How long update steps took: migration (Job), rollout (one workload, patch to healthy or failed), rollback.",
    labelNames: ["step", "result"] as const,
    buckets: stepBuckets,
    registers: [registry],
  });
  const updates = new Histogram({
    name: "update_manager_update_duration_seconds",
    help: "How long whole updates took, from start to their terminal state.",
    labelNames: ["state"] as const,
    buckets: stepBuckets,
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: "update_manager_rollbacks_total",
    help: "Finished rollbacks, by result (succeeded, failed).",
    labelNames: ["result"] as const,
    registers: [registry],
  });

  // Every bounded label set starts at zero, so that `increase()` and `rate()` see the first update, not only the
  // second (a series that appears at 1 has no increase).
  const kinds: readonly RequesterKind[] = ["api", "registry-watcher", "anonymous"];
  for (const state of terminalStates) {
    for (const kind of kinds) finished.inc({ state, requester_kind: kind }, 0);
    updates.zero({ state });
  }
  for (const result of ["succeeded", "failed"] as const) {
    rollbacks.inc({ result }, 0);
    for (const step of ["migration", "rollout", "rollback"] as const) steps.zero({ step, result });
  }

  const open = (key: string, step: OpenStep["step"], time: Date) => {
    if (!openSteps.has(key)) openSteps.set(key, { step, started: time.getTime() });
  };
  const close = (key: string, result: "succeeded" | "failed", time: Date) => {
    const step = openSteps.get(key);
    if (step === undefined) return;
    openSteps.delete(key);
    steps.observe({ step: step.step, result }, Math.max(0, time.getTime() - step.started) / 1000);
  };

  /** A step's event, at `time`: when the engine saved it (a batched save is observed when staged, not written). */
  const observeEvent = (id: string, event: UpdateEventBody, time: Date) => {
    switch (event.type) {
      case "migration-started":
        return open(`${id}/migration/${event.jobName}`, "migration", time);
      case "migration-succeeded":
        return close(`${id}/migration/${event.jobName}`, "succeeded", time);
      case "migration-failed":
        return close(`${id}/migration/${event.jobName}`, "failed", time);
      case "workload-patched":
        return open(`${id}/rollout/${event.workload.namespace}/${event.workload.name}`, "rollout", time);
      case "workload-healthy":
        return close(`${id}/rollout/${event.workload.namespace}/${event.workload.name}`, "succeeded", time);
      case "workload-failed":
        return close(`${id}/rollout/${event.workload.namespace}/${event.workload.name}`, "failed", time);
      case "rollback-started":
        return open(`${id}/rollback`, "rollback", time);
      case "rollback-finished": {
        const result = event.success ? "succeeded" : "failed";
        rollbacks.inc({ result });
        return close(`${id}/rollback`, result, time);
      }
      default:
        return undefined;
    }
  };

  const forgetSteps = (record: UpdateRecord) => {
    if (!isTerminal(record.state)) return;
    for (const key of [...openSteps.keys()]) if (key.startsWith(`${record.id}/`)) openSteps.delete(key);
  };

  const observe = (record: UpdateRecord, events: readonly UpdateEventBody[]) => {
    const time = new Date(now());
    for (const event of events) observeEvent(record.id, event, time);
    // The `finished` event is written once per update, whichever replica finishes it.
    if (events.some((event) => event.type === "finished") && isTerminal(record.state)) {
      finished.inc({ state: record.state, requester_kind: requesterKind(record.requester) });
      const start = record.startTime ?? record.createTime;
      const end = record.finishTime?.getTime() ?? now();
      updates.observe({ state: record.state }, Math.max(0, end - start.getTime()) / 1000);
    }
    forgetSteps(record);
  };

  const observer: UpdateStoreObserver = { created: observe, saved: observe };
  return {
    observer,
    readFrom(store) {
      source = store;
    },
    observeStore(store) {
      source = store;
      return observeUpdateStore(store, [observer]);
    },
  };
}
