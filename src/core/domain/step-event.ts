import type { ContainerChange, UpdateRecord, UpdateState } from "./update.js";
import type { UpdateEventBody } from "./update-event.js";
import { type WorkloadRef, workloadKey } from "./workload.js";

/**
 * Why a step event was recorded: CamelCase, as Kubernetes reasons are, so that they read like the
 * controllers' own in `kubectl describe` and can be selected with `--field-selector reason=...`.
 */
export type StepReason =
  | "UpdateStarted"
  | "UpdateResumed"
  | "MigrationStarted"
  | "MigrationSucceeded"
  | "MigrationFailed"
  | "WorkloadPatched"
  | "WorkloadHealthy"
  | "WorkloadFailed"
  | "WorkloadConflict"
  | "RollbackStarted"
  | "WorkloadRolledBack"
  | "RollbackFailed"
  | "UpdateSucceeded"
  | "UpdateFailed"
  | "UpdateRolledBack"
  | "UpdateRollbackFailed"
  | "UpdateCancelled"
  | "ApprovalRequired"
  | "UpdateApproved"
  | "UpdateRejected"
  | "UpdateGated";

/** What the manager did (Kubernetes Events' `action`). */
export type StepAction = "Update" | "Migrate" | "Patch" | "Rollback" | "Approve";

/**
 * One milestone of an update, told to the operator beside the object it concerns (a Kubernetes Event
 * on the workload, or on the update as a whole). Progress within a step is not a milestone: it is
 * in the update's own event stream only, so that these stay few (one per step).
 */
export interface StepEvent {
  readonly reason: StepReason;
  /** Warning: something went wrong (a failure, a conflict, a rollback); Normal otherwise. */
  readonly type: "Normal" | "Warning";
  readonly action: StepAction;
  readonly updateId: string;
  /** The update's trace id, for the log lines about this event (it is not part of the Event). Default: none. */
  readonly traceId?: string;
  /** The image the update sets. */
  readonly image: string;
  /** The workload or migration template the step acted on; undefined: the update as a whole. */
  readonly workload?: WorkloadRef;
  /** One line for a person: names the update and the image. */
  readonly note: string;
}

/** What a step event says of its update. */
type UpdateFacts = Pick<UpdateRecord, "id" | "image" | "classifier" | "plan" | "trace">;

/** The update started executing: on the update as a whole. */
export function updateStartedEvent(record: UpdateFacts): StepEvent {
  const workloads = record.plan.workloads.filter((workload) => !workload.unchanged).length;
  const migrations = record.plan.migrations.length;
  return {
    ...about(record, "UpdateStarted", "Normal", "Update"),
    note:
      `Update ${record.id} started: ${record.image} for classifier ${record.classifier}, ` +
      `${count(workloads, "workload")} to patch, ${count(migrations, "migration")}`,
  };
}

/** An unfinished update is executed again by this process (a restart, or another replica leads now). */
export function updateResumedEvent(record: UpdateFacts & Pick<UpdateRecord, "phase">): StepEvent {
  return {
    ...about(record, "UpdateResumed", "Normal", "Update"),
    note: `Update ${record.id} (${record.image}) resumed while ${record.phase}`,
  };
}

/**
 * The step events a recorded update event stands for: at most one each. Progress, plan, queue and
 * cancel-request events stand for none (a cancel shows in the UpdateCancelled that ends the update).
 */
export function stepEventsOf(record: UpdateFacts, event: UpdateEventBody): readonly StepEvent[] {
  const prefix = `Update ${record.id} (${record.image})`;
  switch (event.type) {
    case "migration-started":
      return [onWorkload(record, event.template, "MigrationStarted", "Normal", "Migrate", `${prefix}: migration Job ${event.jobName} started from this template`)];
    case "migration-succeeded":
      return [onWorkload(record, event.template, "MigrationSucceeded", "Normal", "Migrate", `${prefix}: migration Job ${event.jobName} succeeded`)];
    case "migration-failed":
      return [
        onWorkload(record, event.template, "MigrationFailed", "Warning", "Migrate", `${prefix}: migration Job ${event.jobName} failed: ${event.reason}`),
      ];
    case "workload-patched":
      return [onWorkload(record, event.workload, "WorkloadPatched", "Normal", "Patch", `Update ${record.id} set ${changes(event.containers)}`)];
    case "workload-healthy":
      return [onWorkload(record, event.workload, "WorkloadHealthy", "Normal", "Patch", `${prefix}: rolled out and healthy`)];
    case "workload-failed":
      return [onWorkload(record, event.workload, "WorkloadFailed", "Warning", "Patch", `${prefix}: ${event.reason}`)];
    case "workload-conflict":
      return [
        onWorkload(
          record,
          event.workload,
          "WorkloadConflict",
          "Warning",
          "Patch",
          `${prefix}: not patched: container ${event.container} holds ${event.actualImage}, not ${event.expectedImage} (changed by someone else)`,
        ),
      ];
    case "rollback-started": {
      const notUndone =
        event.migrationsNotUndone.length === 0
          ? ""
          : `; migrations are not undone: ${event.migrationsNotUndone.map(workloadKey).join(", ")}`;
      return [
        {
          ...about(record, "RollbackStarted", "Warning", "Rollback"),
          note: `${prefix} rolls back ${count(event.workloads.length, "workload")}: ${event.reason}${notUndone}`,
        },
      ];
    }
    case "workload-rolled-back":
      return [onWorkload(record, event.workload, "WorkloadRolledBack", "Normal", "Rollback", `Update ${record.id} restored ${changes(event.containers)}`)];
    case "workload-rollback-failed":
      return [onWorkload(record, event.workload, "RollbackFailed", "Warning", "Rollback", `${prefix}: could not restore it: ${event.reason}`)];
    case "finished":
      return [finishedEvent(record, event.state, event.reason)];
    case "approval-required":
      return [
        {
          ...about(record, "ApprovalRequired", "Normal", "Approve"),
          note: `${prefix} waits for ${count(event.required, "approval")} (${event.policy}) until ${event.deadline.toISOString()}`,
        },
      ];
    case "approval-granted":
      return [
        {
          ...about(record, "UpdateApproved", "Normal", "Approve"),
          note: `${prefix} approved by ${event.approver} (${event.approvals} of ${event.required})`,
        },
      ];
    case "approval-rejected":
      return [
        {
          ...about(record, "UpdateRejected", "Warning", "Approve"),
          note: `${prefix} rejected by ${event.approver}${event.reason === "" ? "" : `: ${event.reason}`}`,
        },
      ];
    case "gate-closed":
      return [
        {
          ...about(record, "UpdateGated", "Normal", "Update"),
          note: `${prefix} waits: ${event.reason}`,
        },
      ];
    case "gate-opened":
    case "planned":
    case "queued":
    case "workload-progress":
    case "rollback-finished":
    case "cancel-requested":
    case "held":
      return [];
  }
}

const finishedReasons: Partial<Record<UpdateState, { reason: StepReason; type: StepEvent["type"]; says: string }>> = {
  succeeded: { reason: "UpdateSucceeded", type: "Normal", says: "succeeded" },
  failed: { reason: "UpdateFailed", type: "Warning", says: "failed" },
  "rolled-back": { reason: "UpdateRolledBack", type: "Warning", says: "failed and was rolled back" },
  "rollback-failed": { reason: "UpdateRollbackFailed", type: "Warning", says: "failed and its rollback failed" },
  cancelled: { reason: "UpdateCancelled", type: "Normal", says: "was cancelled" },
};

function finishedEvent(record: UpdateFacts, state: UpdateState, reason: string): StepEvent {
  // Only terminal states are recorded as `finished`; an unexpected one still gets a truthful event.
  const outcome = finishedReasons[state] ?? { reason: "UpdateFailed", type: "Warning", says: `ended ${state}` };
  return {
    ...about(record, outcome.reason, outcome.type, "Update"),
    note: `Update ${record.id} (${record.image}) ${outcome.says}${reason === "" ? "" : `: ${reason}`}`,
  };
}

function about(record: UpdateFacts, reason: StepReason, type: StepEvent["type"], action: StepAction) {
  return {
    reason,
    type,
    action,
    updateId: record.id,
    ...(record.trace === undefined ? {} : { traceId: record.trace.traceId }),
    image: record.image,
  };
}

function onWorkload(
  record: UpdateFacts,
  workload: WorkloadRef,
  reason: StepReason,
  type: StepEvent["type"],
  action: StepAction,
  note: string,
): StepEvent {
  const { kind, namespace, name } = workload;
  return { ...about(record, reason, type, action), workload: { kind, namespace, name }, note };
}

/** "container app: repo:1 -> repo:2, init container setup: ..." */
function changes(containers: readonly ContainerChange[]): string {
  const changed = containers.filter((container) => !container.unchanged);
  if (changed.length === 0) return "no container (the images were in place)";
  return changed
    .map((container) => `${container.init ? "init container" : "container"} ${container.name}: ${container.currentImage} -> ${container.newImage}`)
    .join(", ");
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
