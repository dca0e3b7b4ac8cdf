import { safeConcatName } from "./safe-concat-name.js";

/**
 * The upgrade Job's name, deterministic per (plan, node, hash) as in the seed: `apply-<plan>-on-<node>-with-<hash>`,
 * cut safely to 63 characters. A resumed or competing reconcile creates the same name, so the API server's
 * AlreadyExists keeps one Job per node and hash; a changed spec (new hash) gets a new Job.
 */
export function upgradeJobName(planName: string, nodeName: string, hash: string): string {
  return safeConcatName("apply", planName, "on", nodeName, "with", hash);
}

/** The label each node whose Job succeeded carries: `plan.<prefix>/<plan>` = the plan's hash. */
export function planNodeLabel(keyPrefix: string, planName: string): string {
  return `plan.${keyPrefix}/${planName}`;
}

/** A plan label value that keeps the node out of the plan, as in the seed. */
export const disabledPlanLabelValue = "disabled";
