import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { MigrationPhase, UpdatePhase, UpdateState, WorkloadPhase } from "../../../gen/updatemanager/v1/update_pb.js";
import {
  RolloutState,
  type RolloutStatus,
  TargetRole,
  WorkloadKind,
  type WorkloadRef,
} from "../../../gen/updatemanager/v1/workload_pb.js";

// Words for the API's values. States keep the API's own names (SUCCEEDED, ROLLED_BACK, ...) so what the page
// shows is what a pipeline's log and `grpcurl` show.

const kindNames: Record<WorkloadKind, string> = {
  [WorkloadKind.UNSPECIFIED]: "Object",
  [WorkloadKind.DEPLOYMENT]: "Deployment",
  [WorkloadKind.STATEFUL_SET]: "StatefulSet",
  [WorkloadKind.DAEMON_SET]: "DaemonSet",
  [WorkloadKind.CRON_JOB]: "CronJob",
  [WorkloadKind.JOB]: "Job",
};

/** `Deployment shop/web`. */
export function workloadText(ref: WorkloadRef | undefined): string {
  if (ref === undefined) return "(unknown object)";
  return `${kindNames[ref.kind] ?? "Object"} ${ref.namespace}/${ref.name}`;
}

/** A key that identifies a workload within an update. */
export function workloadKey(ref: WorkloadRef | undefined): string {
  return ref === undefined ? "" : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** The API name of an enum value without its prefix, e.g. `ROLLED_BACK`; `UNKNOWN` for unset or new values. */
function enumName(names: Record<number, string | undefined>, value: number): string {
  const name = names[value];
  return name === undefined || name === "UNSPECIFIED" ? "UNKNOWN" : name;
}

export const updateStateText = (state: UpdateState) => enumName(UpdateState, state);
export const updatePhaseText = (phase: UpdatePhase) => enumName(UpdatePhase, phase);
export const workloadPhaseText = (phase: WorkloadPhase) => enumName(WorkloadPhase, phase);
export const migrationPhaseText = (phase: MigrationPhase) => enumName(MigrationPhase, phase);
export const rolloutStateText = (state: RolloutState) => enumName(RolloutState, state);
export const roleText = (role: TargetRole) => (role === TargetRole.MIGRATION ? "migration" : "workload");

const terminalStates: ReadonlySet<UpdateState> = new Set([
  UpdateState.SUCCEEDED,
  UpdateState.FAILED,
  UpdateState.ROLLED_BACK,
  UpdateState.ROLLBACK_FAILED,
  UpdateState.CANCELLED,
]);

/** True for the states an update never leaves. */
export function isTerminal(state: UpdateState): boolean {
  return terminalStates.has(state);
}

/** How a state looks: good, bad, a warning (rolled back: nothing broken, but nothing shipped), or under way. */
export type Tone = "ok" | "bad" | "warn" | "busy" | "idle";

export function updateStateTone(state: UpdateState): Tone {
  switch (state) {
    case UpdateState.SUCCEEDED:
      return "ok";
    case UpdateState.FAILED:
    case UpdateState.ROLLBACK_FAILED:
      return "bad";
    case UpdateState.ROLLED_BACK:
    case UpdateState.CANCELLED:
    case UpdateState.ROLLING_BACK:
      return "warn";
    default:
      return "busy";
  }
}

export function workloadPhaseTone(phase: WorkloadPhase): Tone {
  switch (phase) {
    case WorkloadPhase.HEALTHY:
    case WorkloadPhase.UNCHANGED:
      return "ok";
    case WorkloadPhase.FAILED:
    case WorkloadPhase.CONFLICT:
    case WorkloadPhase.ROLLBACK_FAILED:
      return "bad";
    case WorkloadPhase.ROLLED_BACK:
      return "warn";
    default:
      return "busy";
  }
}

/**
 * A workload's phase as an update's view shows it: one still PENDING when its update has finished was never reached
 * and never will be, so it reads NOT_CHANGED in a muted colour, not as work in progress.
 */
export function shownWorkloadPhase(state: UpdateState, phase: WorkloadPhase): { readonly text: string; readonly tone: Tone } {
  if (isTerminal(state) && phase === WorkloadPhase.PENDING) return { text: "NOT_CHANGED", tone: "idle" };
  return { text: workloadPhaseText(phase), tone: workloadPhaseTone(phase) };
}

/** `2 updated · 2 ready · 1 available of 3`, or the rollout's verdict when it has no replicas to count. */
export function rolloutText(rollout: RolloutStatus | undefined): string {
  if (rollout === undefined) return "not observed yet";
  if (rollout.state === RolloutState.NOT_APPLICABLE) return "no rollout (used by the next run)";
  if (rollout.desiredReplicas === 0 && rollout.state !== RolloutState.COMPLETE) return rolloutStateText(rollout.state);
  return `${rollout.updatedReplicas} updated · ${rollout.readyReplicas} ready · ${rollout.availableReplicas} available of ${rollout.desiredReplicas}`;
}

/** The time as ISO 8601 (for `<time datetime>`), or undefined when unset. */
export function timestampIso(timestamp: Timestamp | undefined): string | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp).toISOString();
}

/** `2025-01-01 12:00:03` in UTC: unambiguous for people in different time zones looking at the same update. */
export function timestampText(timestamp: Timestamp | undefined): string {
  const iso = timestampIso(timestamp);
  return iso === undefined ? "" : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
