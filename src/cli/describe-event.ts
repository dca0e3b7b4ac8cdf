import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { UpdateEvent } from "../../gen/updatemanager/v1/event_pb.js";
import { type ContainerChange, UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { type RolloutStatus, WorkloadKind, type WorkloadRef } from "../../gen/updatemanager/v1/workload_pb.js";

const kindNames: Record<WorkloadKind, string> = {
  [WorkloadKind.UNSPECIFIED]: "object",
  [WorkloadKind.DEPLOYMENT]: "deployment",
  [WorkloadKind.STATEFUL_SET]: "statefulset",
  [WorkloadKind.DAEMON_SET]: "daemonset",
  [WorkloadKind.CRON_JOB]: "cronjob",
  [WorkloadKind.JOB]: "job",
};

/** `deployment shop/web`, the way kubectl users name objects. */
export function describeRef(ref: WorkloadRef | undefined): string {
  if (ref === undefined) return "(unknown object)";
  return `${kindNames[ref.kind] ?? "object"} ${ref.namespace}/${ref.name}`;
}

/** A stable key of an object, for tables keyed by workload. */
export function refKey(ref: WorkloadRef | undefined): string {
  return ref === undefined ? "" : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** `web: registry/shop/web:1.4.2 -> registry/shop/web:1.5.0` for each changed container. */
export function describeChanges(changes: readonly ContainerChange[]): string {
  return changes
    .filter((change) => !change.unchanged)
    .map((change) => `${change.init ? "init " : ""}${change.name}: ${change.currentImage} -> ${change.newImage}`)
    .join(", ");
}

/** The kubectl-style message when there is one (it says what is awaited), else the replica counts. */
export function describeRollout(rollout: RolloutStatus | undefined): string {
  if (rollout === undefined) return "";
  if (rollout.message !== "") return rollout.message;
  return `${rollout.updatedReplicas}/${rollout.desiredReplicas} updated, ${rollout.readyReplicas} ready, ${rollout.availableReplicas} available`;
}

const stateNames: Record<UpdateState, string> = {
  [UpdateState.UNSPECIFIED]: "UNSPECIFIED",
  [UpdateState.PLANNED]: "PLANNED",
  [UpdateState.QUEUED]: "QUEUED",
  [UpdateState.PENDING]: "PENDING",
  [UpdateState.RUNNING]: "RUNNING",
  [UpdateState.ROLLING_BACK]: "ROLLING_BACK",
  [UpdateState.SUCCEEDED]: "SUCCEEDED",
  [UpdateState.FAILED]: "FAILED",
  [UpdateState.ROLLED_BACK]: "ROLLED_BACK",
  [UpdateState.ROLLBACK_FAILED]: "ROLLBACK_FAILED",
  [UpdateState.CANCELLED]: "CANCELLED",
  [UpdateState.WAITING_FOR_APPROVAL]: "WAITING_FOR_APPROVAL",
  [UpdateState.WAITING_FOR_GATE]: "WAITING_FOR_GATE",
};

/** `ROLLED_BACK`: the state's name as in the contract, without the `UPDATE_STATE_` prefix. */
export function describeState(state: UpdateState): string {
  return stateNames[state] ?? String(state);
}

/** One line that says what an event means, without its sequence number. */
export function describeEvent(event: UpdateEvent): string {
  const kind = event.kind;
  switch (kind.case) {
    case "planned": {
      const plan = kind.value.plan;
      const workloads = plan?.workloads ?? [];
      const unchanged = workloads.filter((w) => w.unchanged).length;
      return `planned: ${plural(plan?.migrations.length ?? 0, "migration")}, ${plural(workloads.length, "workload")}${unchanged > 0 ? ` (${unchanged} already up to date)` : ""}`;
    }
    case "migrationStarted":
      return `migration ${describeRef(kind.value.template)} started as job ${kind.value.jobName}`;
    case "migrationSucceeded":
      return `migration ${describeRef(kind.value.template)} succeeded (job ${kind.value.jobName})`;
    case "migrationFailed":
      return `migration ${describeRef(kind.value.template)} failed (job ${kind.value.jobName}): ${kind.value.reason}`;
    case "workloadPatched":
      return `${describeRef(kind.value.workload)} patched: ${describeChanges(kind.value.containers)}`;
    case "workloadProgress":
      return `${describeRef(kind.value.workload)} rolling out: ${describeRollout(kind.value.rollout)}`;
    case "workloadHealthy":
      return `${describeRef(kind.value.workload)} healthy`;
    case "workloadFailed":
      return `${describeRef(kind.value.workload)} failed: ${kind.value.reason}`;
    case "workloadConflict":
      return `${describeRef(kind.value.workload)} conflict: container ${kind.value.container} runs ${kind.value.actualImage || "(container gone)"}, expected ${kind.value.expectedImage}; not overwritten`;
    case "rollbackStarted": {
      const notUndone = kind.value.migrationsNotUndone;
      return `rollback started: ${kind.value.reason}; restoring ${kind.value.workloads.map(describeRef).join(", ") || "nothing"}${notUndone.length > 0 ? `; migrations that ran cannot be undone: ${notUndone.map(describeRef).join(", ")}` : ""}`;
    }
    case "workloadRolledBack":
      return `${describeRef(kind.value.workload)} rolled back: ${describeChanges(kind.value.containers)}`;
    case "workloadRollbackFailed":
      return `${describeRef(kind.value.workload)} could not be rolled back: ${kind.value.reason}`;
    case "rollbackFinished":
      return kind.value.success
        ? "rollback finished: every changed workload runs its previous images again"
        : `rollback finished, NOT restored: ${kind.value.remaining.map(describeRef).join(", ")}`;
    case "queued":
      return `queued behind ${kind.value.behindUpdateIds.join(", ") || "busy targets"}: it runs when they have finished`;
    case "cancelRequested":
      return `cancel requested by ${kind.value.requester || "someone"}${kind.value.reason === "" ? "" : `: ${kind.value.reason}`}`;
    case "finished":
      return `finished: ${describeState(kind.value.state)}${kind.value.reason === "" ? "" : `: ${kind.value.reason}`}`;
    case "approvalRequired":
      return `waiting for ${plural(kind.value.requiredApprovals, "approval")} (${kind.value.policy})${kind.value.deadline === undefined ? "" : ` until ${timestampDate(kind.value.deadline).toISOString()}`}: approve with \`update-manager approve ${event.updateId}\``;
    case "approvalGranted":
      return `approved by ${kind.value.approver} (${kind.value.approvals} of ${kind.value.requiredApprovals})`;
    case "approvalRejected":
      return `rejected by ${kind.value.approver}${kind.value.reason === "" ? "" : `: ${kind.value.reason}`}`;
    case "held":
      return `held: ${kind.value.reason}; it runs once updates are unfrozen`;
    case "gateClosed":
      return `waiting: ${kind.value.reason}${kind.value.notBefore === undefined ? "" : `; not before ${timestampDate(kind.value.notBefore).toISOString()}`}`;
    case "gateOpened":
      return `${kind.value.policy} open after ${formatSeconds(Number(kind.value.waitedMs))}`;
    case undefined:
      return "event of a kind this CLI does not know (a newer server?)";
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
