import { randomBytes } from "node:crypto";
import type { V1APIResourceList } from "@kubernetes/client-node";
import type { StepEvent } from "../../core/domain/step-event.js";
import { type WorkloadKind, type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import type { StepEventRecorder } from "../../core/ports/step-event-recorder.js";
import { statusCodeOf } from "./kubernetes-errors.js";
import type { RestClient } from "./rest-client.js";

/** An object an Event is about, as Kubernetes references it. */
export interface EventObjectReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export interface KubernetesStepEventsOptions {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** `reportingInstance`: this replica (its pod name). Required. */
  readonly instance: string;
  /** `reportingController` (core/v1: `source.component` and `reportingComponent`). Default: "update-manager". */
  readonly controller?: string;
  /**
   * The workload's uid: `kubectl describe` selects events by the object's uid, so an Event without it is not
   * shown there. Default: none.
   */
  readonly uidOf?: (ref: WorkloadRef) => string | undefined;
  /**
   * The update's UpdateRun, which update-level events (started, rollback, outcome) are about and workload events
   * name as `related`. Undefined (no UpdateRuns: UPDATE_MANAGER_STORE=memory): update-level events are not
   * recorded. Default: none.
   */
  readonly updateRunOf?: (updateId: string) => EventObjectReference | undefined;
  /** Events waiting to be written; beyond it a new event is dropped (logged and counted). Default: 1 000. */
  readonly maxQueued?: number;
  /**
   * How long a repeat of an event (same object, reason, type and note) raises its series count instead of
   * creating another, as client-go's recorder does. Default: 6 minutes (client-go's).
   */
  readonly seriesWindowMs?: number;
  /** Events remembered for series, oldest forgotten first (bounds the memory). Default: 4 096. */
  readonly maxRemembered?: number;
  /** The Events API to use, skipping discovery (tests of the core/v1 form). Default: discovered at the first Event. */
  readonly api?: EventsApi;
  /** Counts `event-not-recorded`. Default: none. */
  readonly countFailure?: CountFailure;
}

/** The step event recorder on the API server, plus what the process needs at its end and tests need. */
export interface KubernetesStepEvents extends StepEventRecorder {
  /** Resolves once every queued event was written (or given up). */
  whenIdle(): Promise<void>;
  /** Which Events API is used, once discovered: "events.k8s.io/v1", or "v1" on servers without it. */
  api(): EventsApi | undefined;
}

export type EventsApi = "events.k8s.io/v1" | "v1";

// Kubernetes' own limit for an Event's note (longer ones are cut, as client-go does).
const maxNoteLength = 1024;
const workloadApiVersions: Record<WorkloadKind, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  CronJob: "batch/v1",
  Job: "batch/v1",
};

interface Remembered {
  readonly api: EventsApi;
  readonly namespace: string;
  readonly name: string;
  count: number;
  readonly firstTime: Date;
  lastTime: Date;
}

interface Pending {
  readonly event: StepEvent;
  readonly time: Date;
}

/**
 * Step events as Kubernetes Events: `events.k8s.io/v1` (core/v1 on servers that lack it, found by discovery)
 * with reportingController `update-manager`, reportingInstance the pod, on the workload or migration template
 * the step concerns (related: the UpdateRun), or on the UpdateRun for update-level events. `record` only queues:
 * one writer sends them in order, so an update never waits for an Event, and a failed one is logged, counted
 * and dropped. A repeat within the series window is one Event with a count, patched, as client-go does.
 */
export function createKubernetesStepEvents(options: KubernetesStepEventsOptions): KubernetesStepEvents {
  const { rest, clock, instance } = options;
  const logger = options.logger.child({ component: "step-events" });
  const controller = options.controller ?? "update-manager";
  const maxQueued = positive("maxQueued", options.maxQueued ?? 1_000);
  const seriesWindowMs = options.seriesWindowMs ?? 6 * 60_000;
  const maxRemembered = positive("maxRemembered", options.maxRemembered ?? 4_096);
  const queue: Pending[] = [];
  // Insertion-ordered: the first key is the oldest, dropped when full.
  const remembered = new Map<string, Remembered>();
  let api: EventsApi | undefined = options.api;
  let draining: Promise<void> | undefined;

  const notRecorded = (event: StepEvent, why: string, error?: unknown): void => {
    options.countFailure?.("event-not-recorded");
    logger.warn(
      {
        update_id: event.updateId,
        ...(event.traceId === undefined ? {} : { trace_id: event.traceId }),
        reason: event.reason,
        ...(event.workload === undefined ? {} : { workload: workloadKey(event.workload) }),
        err: error,
      },
      `the ${event.reason} Event of update ${event.updateId} was not recorded: ${why}`,
    );
  };

  async function discover(): Promise<EventsApi> {
    if (api !== undefined) return api;
    try {
      const resources = await rest.request<V1APIResourceList>({ method: "GET", path: "/apis/events.k8s.io/v1" });
      api = resources.resources.some((resource) => resource.name === "events") ? "events.k8s.io/v1" : "v1";
    } catch (error) {
      // Not served (before Kubernetes 1.19): the core group's Events. Any other error: ask again next time.
      if (statusCodeOf(error) !== 404) throw error;
      api = "v1";
    }
    logger.info({ api }, "recording update steps as Events");
    return api;
  }

  function regardingOf(event: StepEvent): { regarding: EventObjectReference; related?: EventObjectReference } | undefined {
    const run = options.updateRunOf?.(event.updateId);
    if (event.workload === undefined) return run === undefined ? undefined : { regarding: run };
    const { kind, namespace, name } = event.workload;
    const uid = options.uidOf?.(event.workload);
    const regarding = { apiVersion: workloadApiVersions[kind], kind, namespace, name, ...(uid === undefined ? {} : { uid }) };
    return run === undefined ? { regarding } : { regarding, related: run };
  }

  async function write(pending: Pending): Promise<void> {
    const { event, time } = pending;
    const about = regardingOf(event);
    if (about === undefined) {
      logger.debug({ update_id: event.updateId, trace_id: event.traceId, reason: event.reason }, "no UpdateRun to record an update-level Event on");
      return;
    }
    const eventsApi = await discover();
    const { regarding } = about;
    const key = JSON.stringify([regarding.kind, regarding.namespace, regarding.name, event.reason, event.type, event.note]);
    const known = remembered.get(key);
    if (known !== undefined && known.api === eventsApi && time.getTime() - known.lastTime.getTime() <= seriesWindowMs) {
      known.count += 1;
      known.lastTime = time;
      try {
        await rest.request({
          method: "PATCH",
          path: `${collection(eventsApi, known.namespace)}/${encodeURIComponent(known.name)}`,
          contentType: "application/merge-patch+json",
          body:
            eventsApi === "v1"
              ? { count: known.count, lastTimestamp: seconds(time) }
              : { series: { count: known.count, lastObservedTime: microseconds(time) } },
        });
        return;
      } catch (error) {
        // Deleted meanwhile (Events expire): a new one. Anything else: not recorded.
        if (statusCodeOf(error) !== 404) throw error;
        remembered.delete(key);
      }
    }
    const name = eventName(regarding.name, time);
    const note = truncate(event.note);
    const body =
      eventsApi === "v1"
        ? {
            apiVersion: "v1",
            kind: "Event",
            metadata: { name, namespace: regarding.namespace },
            involvedObject: regarding,
            ...(about.related === undefined ? {} : { related: about.related }),
            reason: event.reason,
            message: note,
            type: event.type,
            action: event.action,
            source: { component: controller },
            reportingComponent: controller,
            reportingInstance: instance,
            firstTimestamp: seconds(time),
            lastTimestamp: seconds(time),
            count: 1,
          }
        : {
            apiVersion: "events.k8s.io/v1",
            kind: "Event",
            metadata: { name, namespace: regarding.namespace },
            eventTime: microseconds(time),
            reportingController: controller,
            reportingInstance: instance,
            action: event.action,
            reason: event.reason,
            type: event.type,
            note,
            regarding,
            ...(about.related === undefined ? {} : { related: about.related }),
          };
    await rest.request({ method: "POST", path: collection(eventsApi, regarding.namespace), body });
    remembered.delete(key);
    remembered.set(key, { api: eventsApi, namespace: regarding.namespace, name, count: 1, firstTime: time, lastTime: time });
    while (remembered.size > maxRemembered) {
      const oldest = remembered.keys().next().value;
      if (oldest === undefined) break;
      remembered.delete(oldest);
    }
  }

  async function drain(): Promise<void> {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      try {
        await write(next);
      } catch (error) {
        notRecorded(next.event, error instanceof Error ? error.message : String(error), error);
      }
    }
  }

  function startDraining(): void {
    if (draining !== undefined) return;
    draining = drain().finally(() => {
      draining = undefined;
      // Queued while the last write finished.
      if (queue.length > 0) startDraining();
    });
  }

  return {
    record(event) {
      if (queue.length >= maxQueued) {
        notRecorded(event, `${maxQueued} Events wait to be written already`);
        return;
      }
      queue.push({ event, time: clock.now() });
      startDraining();
    },
    async whenIdle() {
      while (draining !== undefined) await draining;
    },
    api: () => api,
  };
}

function collection(api: EventsApi, namespace: string): string {
  const root = api === "v1" ? "/api/v1" : "/apis/events.k8s.io/v1";
  return `${root}/namespaces/${encodeURIComponent(namespace)}/events`;
}

/** `<object>.<time><random>`, as client-go names events; the object part is cut to keep within 253. */
function eventName(object: string, time: Date): string {
  return `${object.slice(0, 220)}.${time.getTime().toString(16)}${randomBytes(4).toString("hex")}`;
}

/** metav1.Time: RFC 3339 in seconds. */
function seconds(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
function microseconds(time: Date): string {
  return `${time.toISOString().slice(0, 23)}000Z`;
}

function truncate(note: string): string {
  return note.length <= maxNoteLength ? note : `${note.slice(0, maxNoteLength - 3)}...`;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
