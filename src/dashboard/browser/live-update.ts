import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { UpdateEvent } from "../../../gen/updatemanager/v1/event_pb.js";
import {
  type ContainerChange,
  MigrationPhase,
  type Update,
  UpdatePhase,
  type UpdatePlan,
  UpdateState,
  WorkloadPhase,
} from "../../../gen/updatemanager/v1/update_pb.js";
import type { RolloutStatus, WorkloadRef } from "../../../gen/updatemanager/v1/workload_pb.js";
import { workloadKey } from "./format.js";

/** One workload of the update as the live view shows it. */
export interface LiveWorkload {
  readonly ref: WorkloadRef | undefined;
  readonly phase: WorkloadPhase;
  /** The latest rollout status seen (from the update, then from `workloadProgress` events). */
  readonly rollout: RolloutStatus | undefined;
  readonly containers: readonly ContainerChange[];
  /** Failure or conflict detail. */
  readonly message: string;
}

/** One migration of the update as the live view shows it. */
export interface LiveMigration {
  readonly ref: WorkloadRef | undefined;
  readonly jobName: string;
  readonly phase: MigrationPhase;
  readonly message: string;
}

/** The rollback, once one started. */
export interface LiveRollback {
  readonly reason: string;
  /** What is being restored: exactly what the update changed. */
  readonly workloads: readonly WorkloadRef[];
  /** Migrations that ran and cannot be undone. */
  readonly migrationsNotUndone: readonly WorkloadRef[];
  /** Set by `rollbackFinished`. */
  readonly result?: { readonly success: boolean; readonly remaining: readonly WorkloadRef[] };
}

/** Everything the live view of one update shows: a snapshot from GetUpdate moved on by WatchUpdate events. */
export interface LiveUpdate {
  readonly id: string;
  readonly image: string;
  readonly classifier: string;
  readonly requester: string;
  readonly createTime: Timestamp | undefined;
  readonly state: UpdateState;
  readonly phase: UpdatePhase;
  readonly reason: string;
  readonly cancelRequested: boolean;
  /** Why it waits for a gate (state WAITING_FOR_GATE), and until when at the earliest. */
  readonly gateWait?: { readonly reason: string; readonly notBefore: Timestamp | undefined };
  readonly migrations: readonly LiveMigration[];
  readonly workloads: readonly LiveWorkload[];
  readonly rollback: LiveRollback | undefined;
  /** Events up to this sequence are already reflected. */
  readonly lastSequence: bigint;
}

function plannedMigrations(plan: UpdatePlan | undefined): LiveMigration[] {
  return (plan?.migrations ?? []).map((m) => ({
    ref: m.template,
    jobName: m.jobName,
    phase: MigrationPhase.PENDING,
    message: "",
  }));
}

function plannedWorkloads(plan: UpdatePlan | undefined): LiveWorkload[] {
  return (plan?.workloads ?? []).map((w) => ({
    ref: w.workload,
    phase: w.unchanged ? WorkloadPhase.UNCHANGED : WorkloadPhase.PENDING,
    rollout: undefined,
    containers: w.containers,
    message: "",
  }));
}

/**
 * The live view's starting point. The update's own status lists are used when present; an update that has
 * not started yet has only its plan, whose entries then start as pending (or unchanged).
 */
export function liveUpdateFrom(update: Update): LiveUpdate {
  const migrations: LiveMigration[] =
    update.migrations.length > 0
      ? update.migrations.map((m) => ({ ref: m.template, jobName: m.jobName, phase: m.phase, message: m.message }))
      : plannedMigrations(update.plan);
  const workloads: LiveWorkload[] =
    update.workloads.length > 0
      ? update.workloads.map((w) => ({
          ref: w.workload,
          phase: w.phase,
          rollout: w.rollout,
          containers: w.containers,
          message: w.message,
        }))
      : plannedWorkloads(update.plan);
  return {
    id: update.id,
    image: update.image,
    classifier: update.classifier,
    requester: update.requester,
    createTime: update.createTime,
    state: update.state,
    phase: update.phase,
    reason: update.reason,
    cancelRequested: update.cancelRequested,
    ...(update.gateWait === undefined ? {} : { gateWait: { reason: update.gateWait.reason, notBefore: update.gateWait.notBefore } }),
    migrations,
    workloads,
    rollback: undefined,
    lastSequence: update.lastSequence,
  };
}

function updateWorkload(
  workloads: readonly LiveWorkload[],
  ref: WorkloadRef | undefined,
  change: Partial<LiveWorkload>,
): LiveWorkload[] {
  const key = workloadKey(ref);
  const index = workloads.findIndex((w) => workloadKey(w.ref) === key);
  if (index === -1) {
    return [...workloads, { ref, phase: WorkloadPhase.PENDING, rollout: undefined, containers: [], message: "", ...change }];
  }
  return workloads.map((w, i) => (i === index ? { ...w, ...change } : w));
}

function updateMigration(
  migrations: readonly LiveMigration[],
  ref: WorkloadRef | undefined,
  change: Partial<LiveMigration>,
): LiveMigration[] {
  const key = workloadKey(ref);
  const index = migrations.findIndex((m) => workloadKey(m.ref) === key);
  if (index === -1) return [...migrations, { ref, jobName: "", phase: MigrationPhase.PENDING, message: "", ...change }];
  return migrations.map((m, i) => (i === index ? { ...m, ...change } : m));
}

/** A running update never goes back to PENDING, and a finished one keeps its terminal state. */
function running(model: LiveUpdate, phase: UpdatePhase): Partial<LiveUpdate> {
  if (model.state === UpdateState.ROLLING_BACK || model.phase === UpdatePhase.FINISHED) return {};
  return { state: UpdateState.RUNNING, phase };
}

/**
 * The model after one event. Events the model already reflects (sequence not above `lastSequence`, as after a
 * resumed stream or for the history replayed after a GetUpdate snapshot) leave it unchanged, so applying a
 * stream twice is harmless. Never mutates `model`.
 */
export function applyEvent(model: LiveUpdate, event: UpdateEvent): LiveUpdate {
  if (event.sequence <= model.lastSequence) return model;
  const next = { ...model, lastSequence: event.sequence };
  const { kind } = event;
  switch (kind.case) {
    case "planned":
      // Planned again as it leaves the queue (or the wait for approval): the new plan replaces the first one.
      if (model.state === UpdateState.QUEUED || model.state === UpdateState.WAITING_FOR_APPROVAL || model.state === UpdateState.WAITING_FOR_GATE) {
        return {
          ...next,
          state: UpdateState.PENDING,
          migrations: plannedMigrations(kind.value.plan),
          workloads: plannedWorkloads(kind.value.plan),
        };
      }
      return {
        ...next,
        migrations: model.migrations.length > 0 ? model.migrations : plannedMigrations(kind.value.plan),
        workloads: model.workloads.length > 0 ? model.workloads : plannedWorkloads(kind.value.plan),
      };
    case "queued":
    case "held":
      return { ...next, state: UpdateState.QUEUED };
    case "approvalRequired":
      return { ...next, state: UpdateState.WAITING_FOR_APPROVAL };
    case "gateClosed":
      // Between workloads a running update pauses (and stays RUNNING); before it starts, it waits.
      return model.state === UpdateState.RUNNING || model.state === UpdateState.ROLLING_BACK
        ? next
        : { ...next, state: UpdateState.WAITING_FOR_GATE, gateWait: { reason: kind.value.reason, notBefore: kind.value.notBefore } };
    case "migrationStarted":
      return {
        ...next,
        ...running(model, UpdatePhase.MIGRATING),
        migrations: updateMigration(model.migrations, kind.value.template, {
          jobName: kind.value.jobName,
          phase: MigrationPhase.RUNNING,
        }),
      };
    case "migrationSucceeded":
      return {
        ...next,
        migrations: updateMigration(model.migrations, kind.value.template, {
          jobName: kind.value.jobName,
          phase: MigrationPhase.SUCCEEDED,
        }),
      };
    case "migrationFailed":
      return {
        ...next,
        migrations: updateMigration(model.migrations, kind.value.template, {
          jobName: kind.value.jobName,
          phase: MigrationPhase.FAILED,
          message: kind.value.reason,
        }),
      };
    case "workloadPatched":
      return {
        ...next,
        ...running(model, UpdatePhase.ROLLING_OUT),
        workloads: updateWorkload(model.workloads, kind.value.workload, { phase: WorkloadPhase.ROLLING_OUT }),
      };
    case "workloadProgress":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, { rollout: kind.value.rollout }),
      };
    case "workloadHealthy":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, { phase: WorkloadPhase.HEALTHY }),
      };
    case "workloadFailed":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, {
          phase: WorkloadPhase.FAILED,
          message: kind.value.reason,
        }),
      };
    case "workloadConflict":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, {
          phase: WorkloadPhase.CONFLICT,
          message: `container ${kind.value.container} runs ${kind.value.actualImage || "nothing"}, expected ${kind.value.expectedImage}`,
        }),
      };
    case "rollbackStarted":
      return {
        ...next,
        state: UpdateState.ROLLING_BACK,
        phase: UpdatePhase.ROLLING_BACK,
        rollback: {
          reason: kind.value.reason,
          workloads: kind.value.workloads,
          migrationsNotUndone: kind.value.migrationsNotUndone,
        },
      };
    case "workloadRolledBack":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, { phase: WorkloadPhase.ROLLED_BACK }),
      };
    case "workloadRollbackFailed":
      return {
        ...next,
        workloads: updateWorkload(model.workloads, kind.value.workload, {
          phase: WorkloadPhase.ROLLBACK_FAILED,
          message: kind.value.reason,
        }),
      };
    case "rollbackFinished":
      return {
        ...next,
        rollback: {
          ...(model.rollback ?? { reason: "", workloads: [], migrationsNotUndone: [] }),
          result: { success: kind.value.success, remaining: kind.value.remaining },
        },
      };
    case "cancelRequested":
      return { ...next, cancelRequested: true };
    case "finished":
      return { ...next, state: kind.value.state, phase: UpdatePhase.FINISHED, reason: kind.value.reason };
    default:
      return next;
  }
}
