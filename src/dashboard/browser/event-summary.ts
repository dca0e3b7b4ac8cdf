import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { UpdateEvent } from "../../../gen/updatemanager/v1/event_pb.js";
import type { WorkloadRef } from "../../../gen/updatemanager/v1/workload_pb.js";
import { rolloutText, updateStateText, workloadText } from "./format.js";

const list = (refs: readonly WorkloadRef[]) => (refs.length === 0 ? "none" : refs.map(workloadText).join(", "));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One line per event for the live view's event log, in the words of the API's event descriptions. */
export function eventSummary(event: UpdateEvent): string {
  const { kind } = event;
  switch (kind.case) {
    case "planned":
      return `Planned: ${plural(kind.value.plan?.migrations.length ?? 0, "migration")}, ${plural(kind.value.plan?.workloads.length ?? 0, "workload")}`;
    case "migrationStarted":
      return `Migration ${workloadText(kind.value.template)} started as Job ${kind.value.jobName}`;
    case "migrationSucceeded":
      return `Migration ${workloadText(kind.value.template)} succeeded`;
    case "migrationFailed":
      return `Migration ${workloadText(kind.value.template)} failed: ${kind.value.reason}`;
    case "workloadPatched":
      return `${workloadText(kind.value.workload)} patched: ${kind.value.containers
        .map((c) => `${c.name} → ${c.newImage}`)
        .join(", ")}`;
    case "workloadProgress":
      return `${workloadText(kind.value.workload)}: ${rolloutText(kind.value.rollout)}`;
    case "workloadHealthy":
      return `${workloadText(kind.value.workload)} is healthy`;
    case "workloadFailed":
      return `${workloadText(kind.value.workload)} failed: ${kind.value.reason}`;
    case "workloadConflict":
      return `${workloadText(kind.value.workload)}: container ${kind.value.container} was changed by someone else (left alone)`;
    case "rollbackStarted":
      return `Rollback started (${kind.value.reason}): restoring ${list(kind.value.workloads)}`;
    case "workloadRolledBack":
      return `${workloadText(kind.value.workload)} rolled back to ${kind.value.containers.map((c) => c.newImage).join(", ")}`;
    case "workloadRollbackFailed":
      return `${workloadText(kind.value.workload)} could not be restored: ${kind.value.reason}`;
    case "rollbackFinished":
      return kind.value.success
        ? "Rollback finished: every changed workload restored"
        : `Rollback finished with ${list(kind.value.remaining)} not restored`;
    case "queued":
      return `Queued behind ${kind.value.behindUpdateIds.join(", ") || "busy targets"}: it runs when they have finished`;
    case "approvalRequired":
      return `Waiting for ${kind.value.requiredApprovals} approvals (${kind.value.policy})`;
    case "approvalGranted":
      return `Approved by ${kind.value.approver} (${kind.value.approvals} of ${kind.value.requiredApprovals})`;
    case "approvalRejected":
      return `Rejected by ${kind.value.approver}${kind.value.reason ? `: ${kind.value.reason}` : ""}`;
    case "held":
      return `Held: ${kind.value.reason}`;
    case "gateClosed":
      return `Waiting: ${kind.value.reason}${kind.value.notBefore === undefined ? "" : ` (not before ${timestampDate(kind.value.notBefore).toISOString()})`}`;
    case "gateOpened":
      return `${kind.value.policy.charAt(0).toUpperCase()}${kind.value.policy.slice(1)} open after ${Math.round(Number(kind.value.waitedMs) / 1000)} s`;
    case "cancelRequested":
      return `Cancel requested by ${kind.value.requester}${kind.value.reason ? `: ${kind.value.reason}` : ""}`;
    case "finished":
      return `Finished: ${updateStateText(kind.value.state)}${kind.value.reason ? ` (${kind.value.reason})` : ""}`;
    default:
      return "An event this dashboard does not know yet";
  }
}
