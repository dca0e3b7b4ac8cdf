import { authorizeAccess, planNamespaces } from "../domain/access-scope.js";
import { DomainError } from "../domain/domain-error.js";
import { parseUpdateImage, repositoryName } from "../domain/image-reference.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { UpdateRecord } from "../domain/update.js";
import type { Clock } from "../ports/clock.js";
import type { UpdateStore } from "../ports/update-store.js";
import { updateNotFound } from "./get-update.js";
import type { RequestContext } from "./start-update.js";
import type { UpdateQueue } from "./update-queue.js";

export interface ApprovalDecisionRequest {
  /** The update's id. */
  readonly id: string;
  readonly decision: "approve" | "reject";
  /** Why (a rejection's reason is in the update's reason). Default: empty. */
  readonly reason?: string;
}

export type DecideApproval = (request: ApprovalDecisionRequest, context: RequestContext) => Promise<UpdateRecord>;

/**
 * ApproveUpdate and RejectUpdate. The decider must not be the requester (PERMISSION_DENIED, OWN_UPDATE) and its
 * scope must cover the update (classifier, repository, namespaces); the update must wait for approval
 * (FAILED_PRECONDITION, NOT_WAITING_FOR_APPROVAL). The same approver approving twice is counted once and answers
 * OK without a write (a retried call is harmless). A rejection ends the update FAILED (APPROVAL_REJECTED); enough
 * approvals let it leave the wait. Where this process does not move the queue (a follower), the decision is only
 * recorded and the leader acts on it.
 */
export function createDecideApproval(deps: { readonly store: UpdateStore; readonly clock: Clock }, queue: Pick<UpdateQueue, "decide">): DecideApproval {
  return async (request, context) => {
    const first = request.id === "" ? undefined : await deps.store.get(request.id);
    if (first === undefined) throw updateNotFound(request.id);
    const apply = (stored: UpdateRecord): UpdateEventBody[] => decide(stored, request, context, deps.clock.now());
    const moved = await queue.decide(request.id, apply);
    if (moved !== undefined) return moved;
    const events = apply(first);
    if (events.length > 0) await deps.store.save(first, events);
    return first;
  };
}

/** Checks the decision against the stored update and applies it; the events to record (none: nothing changed). */
function decide(stored: UpdateRecord, request: ApprovalDecisionRequest, context: RequestContext, time: Date): UpdateEventBody[] {
  const approver = context.requester;
  const verb = request.decision === "approve" ? "approve" : "reject";
  if (context.scope !== undefined) {
    const repository = repositoryName(parseUpdateImage(stored.image));
    authorizeAccess(
      context.scope,
      { classifier: stored.classifier, repositories: [repository], namespaces: planNamespaces(stored.plan) },
      `${verb} update ${stored.id}`,
    );
  }
  if (stored.requester === approver) {
    throw new DomainError("permission-denied", "OWN_UPDATE", `${approver} requested update ${stored.id} and may not ${verb} it; another principal must`, {
      metadata: { principal: approver, update_id: stored.id },
    });
  }
  const approval = stored.approval;
  if (stored.state !== "waiting-for-approval" || approval === undefined || approval.rejection !== undefined) {
    const why =
      approval?.rejection !== undefined
        ? `it was rejected by ${approval.rejection.principal}`
        : stored.state === "waiting-for-approval"
          ? "it needs no approval"
          : `it is ${stored.state}`;
    throw new DomainError("failed-precondition", "NOT_WAITING_FOR_APPROVAL", `update ${stored.id} does not wait for approval: ${why}`, {
      metadata: { update_id: stored.id, state: stored.state },
    });
  }
  if (request.decision === "reject") {
    approval.rejection = { principal: approver, time, reason: request.reason ?? "" };
    return [{ type: "approval-rejected", approver, reason: request.reason ?? "" }];
  }
  if (approval.approvals.some((decision) => decision.principal === approver)) return [];
  approval.approvals.push({ principal: approver, time });
  return [{ type: "approval-granted", approver, approvals: approval.approvals.length, required: approval.required }];
}
