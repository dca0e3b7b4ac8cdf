/** One person's decision on an update that waits for approval. */
export interface ApprovalDecision {
  /** The principal (API key name, CI identity) that decided. */
  readonly principal: string;
  readonly time: Date;
}

/** A rejection: ends the update FAILED (APPROVAL_REJECTED). */
export interface ApprovalRejection extends ApprovalDecision {
  /** Why, as the rejecter gave it (may be empty). */
  readonly reason: string;
}

/**
 * What an update that needs approval asks for, and what it got. Set when it is accepted (state
 * `waiting-for-approval`) and kept after it leaves the wait, so its history stays readable.
 */
export interface ApprovalStatus {
  /** Distinct approvers needed, none of them the requester. At least 1. */
  readonly required: number;
  /** When the wait ends FAILED (APPROVAL_EXPIRED) unless it was approved. */
  readonly deadline: Date;
  /** Which policy asked for it, for people: `policy "production"`, `annotation update-manager.io/approvals on Deployment shop/web`. */
  readonly policy: string;
  /** Distinct principals, in the order they approved. */
  approvals: ApprovalDecision[];
  rejection?: ApprovalRejection;
}

export function isApproved(status: ApprovalStatus): boolean {
  return status.approvals.length >= status.required && status.rejection === undefined;
}

/**
 * The decisions of two copies of one update's approval status together: every approver once (the earliest
 * decision kept), and the first rejection. Writers that race (a follower records an approval while the
 * leader saves the same update) never lose a decision this way.
 */
export function mergeApprovals(mine: ApprovalStatus, other: ApprovalStatus | undefined): ApprovalStatus {
  if (other === undefined) return mine;
  const byPrincipal = new Map<string, ApprovalDecision>();
  for (const decision of [...other.approvals, ...mine.approvals]) {
    const known = byPrincipal.get(decision.principal);
    if (known === undefined || decision.time.getTime() < known.time.getTime()) byPrincipal.set(decision.principal, decision);
  }
  const approvals = [...byPrincipal.values()].sort((a, b) => a.time.getTime() - b.time.getTime());
  const rejection = [mine.rejection, other.rejection]
    .filter((candidate): candidate is ApprovalRejection => candidate !== undefined)
    .sort((a, b) => a.time.getTime() - b.time.getTime())[0];
  return { ...mine, approvals, ...(rejection === undefined ? {} : { rejection }) };
}
