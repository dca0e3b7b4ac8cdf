import type { GateKind } from "./gate-wait.js";
import type { RolloutVerdict } from "./rollout-verdict.js";
import type { ContainerChange, UpdatePlan, UpdateState } from "./update.js";
import type { WorkloadRef } from "./workload.js";

/** What happened, without sequence and time (the store assigns those). */
export type UpdateEventBody =
  | { readonly type: "planned"; readonly plan: UpdatePlan }
  /** Waits behind these unfinished updates, which share a target with it (oldest first). */
  | { readonly type: "queued"; readonly behind: readonly string[] }
  | { readonly type: "migration-started"; readonly template: WorkloadRef; readonly jobName: string }
  | { readonly type: "migration-succeeded"; readonly template: WorkloadRef; readonly jobName: string }
  | {
      readonly type: "migration-failed";
      readonly template: WorkloadRef;
      readonly jobName: string;
      readonly reason: string;
    }
  | { readonly type: "workload-patched"; readonly workload: WorkloadRef; readonly containers: readonly ContainerChange[] }
  | { readonly type: "workload-progress"; readonly workload: WorkloadRef; readonly rollout: RolloutVerdict }
  | { readonly type: "workload-healthy"; readonly workload: WorkloadRef }
  | { readonly type: "workload-failed"; readonly workload: WorkloadRef; readonly reason: string }
  | {
      readonly type: "workload-conflict";
      readonly workload: WorkloadRef;
      readonly container: string;
      readonly expectedImage: string;
      readonly actualImage: string;
    }
  | {
      readonly type: "rollback-started";
      readonly reason: string;
      readonly workloads: readonly WorkloadRef[];
      readonly migrationsNotUndone: readonly WorkloadRef[];
    }
  | {
      readonly type: "workload-rolled-back";
      readonly workload: WorkloadRef;
      readonly containers: readonly ContainerChange[];
    }
  | { readonly type: "workload-rollback-failed"; readonly workload: WorkloadRef; readonly reason: string }
  | { readonly type: "rollback-finished"; readonly success: boolean; readonly remaining: readonly WorkloadRef[] }
  | { readonly type: "cancel-requested"; readonly reason: string; readonly requester: string }
  /** Waits for `required` approvers until `deadline` (state waiting-for-approval). */
  | { readonly type: "approval-required"; readonly required: number; readonly deadline: Date; readonly policy: string }
  /** One more distinct approver; `approvals` counts them so far. */
  | { readonly type: "approval-granted"; readonly approver: string; readonly approvals: number; readonly required: number }
  | { readonly type: "approval-rejected"; readonly approver: string; readonly reason: string }
  /** Accepted while updates are frozen: it holds (queued) until they are unfrozen. */
  | { readonly type: "held"; readonly reason: string }
  /**
   * A gate is closed: before it starts the update waits (state waiting-for-gate) until `notBefore` at the earliest;
   * between workloads the running update pauses. `reason` names the window or the firing alerts (or the query error).
   */
  | { readonly type: "gate-closed"; readonly gate: GateKind; readonly policy: string; readonly reason: string; readonly notBefore?: Date }
  /** The gate it waited for opened after `waitedMs`. */
  | { readonly type: "gate-opened"; readonly gate: GateKind; readonly policy: string; readonly waitedMs: number }
  | { readonly type: "finished"; readonly state: UpdateState; readonly reason: string };

export type UpdateEventType = UpdateEventBody["type"];

export type UpdateEvent = UpdateEventBody & {
  readonly sequence: number;
  readonly time: Date;
  readonly updateId: string;
};
