import type { ApprovalStatus } from "./approval.js";
import type { GateWait } from "./gate-wait.js";
import type { RolloutVerdict } from "./rollout-verdict.js";
import type { UpdateTrace } from "./update-trace.js";
import type { WorkloadRef } from "./workload.js";

export type UpdateState =
  | "planned"
  /** Accepted while another update held a target: waits its turn, holds no lock, has not started. */
  | "queued"
  /**
   * Accepted, but an approval policy asks people to approve it first (see approval.ts): holds no lock and
   * blocks no other update. Once approved it is planned again and runs (or queues behind busy targets).
   */
  | "waiting-for-approval"
  /**
   * Accepted (or approved, or its queue turn came), but a gate is closed: outside a time window, or an alert fires
   * (see gate-wait.ts). Holds no lock and blocks no other update; when the gate opens it is planned again and runs
   * (or queues behind busy targets).
   */
  | "waiting-for-gate"
  | "pending"
  | "running"
  | "rolling-back"
  | "succeeded"
  | "failed"
  | "rolled-back"
  | "rollback-failed"
  | "cancelled";

export const terminalStates: ReadonlySet<UpdateState> = new Set([
  "succeeded",
  "failed",
  "rolled-back",
  "rollback-failed",
  "cancelled",
]);

export function isTerminal(state: UpdateState): boolean {
  return terminalStates.has(state);
}

/** States of an accepted update that has not started and holds no lock: it takes its targets when it leaves the wait. */
export function isWaitingToStart(state: UpdateState): boolean {
  return state === "queued" || state === "waiting-for-approval" || state === "waiting-for-gate";
}

export type UpdatePhase = "planning" | "migrating" | "rolling-out" | "rolling-back" | "finished";

export interface ContainerChange {
  readonly name: string;
  readonly init: boolean;
  readonly currentImage: string;
  readonly newImage: string;
  readonly unchanged: boolean;
}

export interface PlannedMigration {
  readonly template: WorkloadRef;
  /** Deterministic: derived from the update id and the template, so a retry never runs it twice. */
  readonly jobName: string;
  readonly containers: readonly ContainerChange[];
  readonly order: number;
}

export interface PlannedWorkload {
  readonly workload: WorkloadRef;
  readonly containers: readonly ContainerChange[];
  readonly unchanged: boolean;
  readonly warnings: readonly string[];
}

export interface UpdatePlan {
  readonly migrations: readonly PlannedMigration[];
  readonly workloads: readonly PlannedWorkload[];
  readonly warnings: readonly string[];
}

export type WorkloadPhase =
  | "pending"
  | "unchanged"
  | "rolling-out"
  | "healthy"
  | "failed"
  | "conflict"
  | "rolled-back"
  | "rollback-failed";

export interface WorkloadStatus {
  readonly workload: WorkloadRef;
  phase: WorkloadPhase;
  /** Recorded before the first patch: what a rollback restores (currentImage) and what was set (newImage). */
  containers: ContainerChange[];
  rollout?: RolloutVerdict;
  message: string;
  /** True once this update has patched the workload: only these are rolled back. */
  patched: boolean;
}

export type MigrationPhase = "pending" | "running" | "succeeded" | "failed";

export interface MigrationStatus {
  readonly template: WorkloadRef;
  readonly jobName: string;
  phase: MigrationPhase;
  message: string;
}

/** The durable record of one update. The engine mutates it and saves it through the UpdateStore. */
export interface UpdateRecord {
  readonly id: string;
  state: UpdateState;
  phase: UpdatePhase;
  /** Normalised image reference. */
  readonly image: string;
  readonly classifier: string;
  readonly requester: string;
  readonly plan: UpdatePlan;
  readonly createTime: Date;
  /**
   * When it joined the queue of a busy target (state `queued`, and kept after it left it): its place
   * in the queue, and where its queue timeout counts from. Undefined for an update never queued.
   */
  queuedTime?: Date;
  /** Set for an update an approval policy applied to when it was accepted; undefined otherwise. */
  approval?: ApprovalStatus;
  /** Set once it waited for a gate (state `waiting-for-gate`), and kept after: the latest wait. */
  gateWait?: GateWait;
  startTime?: Date;
  finishTime?: Date;
  reason: string;
  readonly updateTimeoutMs: number;
  readonly idempotencyKey?: string;
  /** Hash of the request that created the update, to tell a retry from a reused key. */
  readonly requestHash?: string;
  readonly overrideQuarantine: boolean;
  cancelRequested: boolean;
  migrations: MigrationStatus[];
  workloads: WorkloadStatus[];
  lastSequence: number;
  /**
   * The update's trace (set when it is accepted; an update recorded before tracing existed gets one at its next
   * execution attempt). Undefined for dry runs.
   */
  trace?: UpdateTrace;
}
