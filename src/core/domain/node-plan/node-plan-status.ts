import type { NodePlanEvent } from "./node-plan-event.js";

/**
 * A NodeUpgradePlan's status: the durable record of a plan's progress. The leader writes it with a resourceVersion
 * precondition before it acts on a node (a claim), so what it holds is what every replica, a new leader or a
 * restarted manager resumes from, and concurrency holds across them.
 */
export interface NodePlanStatus {
  /** metadata.generation of the spec this status judged. */
  readonly observedGeneration: number;
  /** The resolved version (spec.version, or the channel's answer). */
  readonly latestVersion: string;
  /** planHash of the resolved version and spec: the value of each upgraded node's plan label. */
  readonly latestHash: string;
  /** Nodes claimed and not finished: they count against concurrency. */
  readonly applying: readonly string[];
  /** Per-node results of the current hash (and, until replaced, of earlier ones). */
  readonly nodes: readonly NodeResult[];
  readonly conditions: readonly PlanCondition[];
  /** When the channel was last resolved (RFC 3339), to resolve it at most once per interval. */
  readonly lastResolveTime?: string;
  /** When the last node finished (RFC 3339): postCompleteDelay and the health gate count from it. */
  readonly lastNodeFinishTime?: string;
  /** When a closed window opens next (RFC 3339); absent while open or without a window. */
  readonly nextWindowOpening?: string;
  /** The hash the health gate failed at: nothing more starts until the hash changes (a new spec or version). */
  readonly gateFailedHash?: string;
  /** One line for `kubectl get nup -o wide`: the latest problem or what the plan waits for. */
  readonly message?: string;
  /** The newest steps (at most maxKeptPlanEvents), numbered without gaps: what WatchNodePlan streams. */
  readonly events?: readonly NodePlanEvent[];
}

export type NodePhase = "Claimed" | "JobStarted" | "Succeeded" | "Failed";

export interface NodeResult {
  readonly name: string;
  /** The plan hash this result is for. */
  readonly hash: string;
  readonly phase: NodePhase;
  /**
   * The plan cordons (or cordoned) the node itself: it uncordons it when done. Recorded with the claim, before the
   * cordon, so a manager that crashes right after cordoning still uncordons. A node cordoned by someone else before
   * the claim is never uncordoned by the plan.
   */
  readonly cordonedByPlan: boolean;
  readonly jobName: string;
  /**
   * The controllers (ReplicaSet, StatefulSet, DaemonSet, ...) of the pods the drain evicts from the node, recorded
   * before evicting them; once the node succeeded, the health gate waits until each is back at its desired ready
   * replicas and then drops it from here. In status, so a manager restarted mid-drain or mid-gate still waits.
   */
  readonly evictedOwners?: readonly PodOwner[];
  /** Why it failed, or what it waits for. */
  readonly message?: string;
  /** When the node was claimed. */
  readonly startTime: string;
  /** When its Job was created (RFC 3339): a Job with no pod long after it has failed to create them. */
  readonly jobStartTime?: string;
  readonly finishTime?: string;
}

/** A pod's controller (its ownerReference with `controller: true`). */
export interface PodOwner {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export type PlanConditionType = "Validated" | "LatestResolved" | "Complete" | "Failed";

export interface PlanCondition {
  readonly type: PlanConditionType;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export const emptyNodePlanStatus: NodePlanStatus = {
  observedGeneration: 0,
  latestVersion: "",
  latestHash: "",
  applying: [],
  nodes: [],
  conditions: [],
};

/**
 * Sets a condition, keeping its lastTransitionTime when the status does not change (as Kubernetes conditions do).
 */
export function setCondition(
  conditions: readonly PlanCondition[],
  next: Omit<PlanCondition, "lastTransitionTime">,
  now: Date,
): PlanCondition[] {
  const previous = conditions.find((condition) => condition.type === next.type);
  const lastTransitionTime = previous !== undefined && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const updated: PlanCondition = { ...next, lastTransitionTime };
  return previous === undefined ? [...conditions, updated] : conditions.map((condition) => (condition.type === next.type ? updated : condition));
}

export function findCondition(status: NodePlanStatus, type: PlanConditionType): PlanCondition | undefined {
  return status.conditions.find((condition) => condition.type === type);
}
