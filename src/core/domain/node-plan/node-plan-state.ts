import type { PlanRecord } from "../../ports/node-plans.js";
import { findCondition } from "./node-plan-status.js";

/** Where a plan stands, in one word, from its status (the API's NodePlanState). */
export type NodePlanState = "Pending" | "Applying" | "Complete" | "Failed" | "Invalid";

/**
 * The plan's state: Invalid (Validated=False), Failed (Failed=True), Complete (Complete=True), Applying (nodes
 * claimed), else Pending (not judged for its current generation yet, or waiting for a window, another exclusive
 * plan or the health gate). A spec changed since the status was written is Pending until the controller judged it.
 */
export function nodePlanState(plan: PlanRecord): NodePlanState {
  const { status } = plan;
  if (status.observedGeneration !== plan.generation) return "Pending";
  if (findCondition(status, "Validated")?.status === "False") return "Invalid";
  if (findCondition(status, "Failed")?.status === "True") return "Failed";
  if (findCondition(status, "Complete")?.status === "True") return "Complete";
  return status.applying.length > 0 ? "Applying" : "Pending";
}

/** Complete, Failed or Invalid: nothing more happens until the spec, the nodes or the version change. */
export function isSettledPlanState(state: NodePlanState): boolean {
  return state === "Complete" || state === "Failed" || state === "Invalid";
}
