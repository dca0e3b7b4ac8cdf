import { DomainError } from "../../domain/domain-error.js";
import { matchesLabelSelector } from "../../domain/node-plan/label-selector.js";
import { parseNodePlan } from "../../domain/node-plan/parse-node-plan.js";
import { planHash } from "../../domain/node-plan/plan-hash.js";
import { orderCandidates } from "../../domain/node-plan/schedule-nodes.js";
import { disabledPlanLabelValue, planNodeLabel } from "../../domain/node-plan/upgrade-job-name.js";
import type { NodePlanReads } from "../../ports/node-plans.js";
import { planNotFound, requireNodePlans, requirePlanName } from "./read-node-plans.js";

export type PreviewNodeState = "Done" | "Applying" | "Failed" | "Pending" | "Skipped";

export interface PreviewNode {
  readonly name: string;
  /** 1-based, in the order the plan takes the nodes for this hash. */
  readonly position: number;
  readonly state: PreviewNodeState;
  readonly message?: string;
}

export interface NodePlanPreview {
  readonly hash: string;
  readonly nodes: readonly PreviewNode[];
}

/**
 * The nodes a plan selects, in the order it takes them (the scheduler's order: a hash of node, plan and plan hash,
 * as the seed), each with what the plan does with it now. Reads the caches only; changes nothing. The hash is the
 * status's; for a plan the controller has not judged yet, it is computed from spec.version when no Secret feeds it.
 */
export function previewNodePlan(reads: NodePlanReads | undefined, name: string, options: { readonly keyPrefix: string }): NodePlanPreview {
  const plans = requireNodePlans(reads);
  const plan = plans.getPlan(requirePlanName(name));
  if (plan === undefined) throw planNotFound(name);
  const parsed = parseNodePlan(plan.name, plan.spec);
  if (!parsed.valid) {
    throw new DomainError("failed-precondition", "PLAN_INVALID", `plan ${name} is invalid (${parsed.reason}): ${parsed.message}`, {
      metadata: { plan: name, field: parsed.field },
    });
  }
  const { spec } = parsed;
  const judged = plan.status.observedGeneration === plan.generation && plan.status.latestHash !== "";
  const hash = judged
    ? plan.status.latestHash
    : spec.version !== "" && spec.secrets.every((secret) => secret.ignoreUpdates)
      ? planHash(spec.version, spec)
      : undefined;
  if (hash === undefined) {
    throw new DomainError(
      "failed-precondition",
      "PLAN_NOT_RESOLVED",
      `plan ${name}'s version is not resolved yet (its channel or Secrets are read by the leader first); try again shortly`,
      { metadata: { plan: name } },
    );
  }
  const label = planNodeLabel(options.keyPrefix, plan.name);
  const selected = plans.listNodes().filter((node) => matchesLabelSelector(spec.nodeSelector, node.labels));
  const byName = new Map(selected.map((node) => [node.name, node] as const));
  const applying = new Set(plan.status.applying);
  const elsewhere = new Set(plans.listPlans().filter((other) => other.name !== plan.name).flatMap((other) => other.status.applying));
  const order = orderCandidates(selected, { planName: plan.name, planUid: plan.uid, hash });
  let position = 0;
  const nodes = order.map((nodeName): PreviewNode => {
    position += 1;
    const labelValue = byName.get(nodeName)?.labels[label];
    const result = plan.status.nodes.find((entry) => entry.name === nodeName && entry.hash === hash);
    const at = { name: nodeName, position };
    if (labelValue === hash) return { ...at, state: "Done" };
    if (applying.has(nodeName)) return { ...at, state: "Applying", ...(result?.message === undefined ? {} : { message: result.message }) };
    if (result?.phase === "Failed") return { ...at, state: "Failed", ...(result.message === undefined ? {} : { message: result.message }) };
    if (labelValue === disabledPlanLabelValue) return { ...at, state: "Skipped", message: `labelled ${label}=${disabledPlanLabelValue}` };
    if (elsewhere.has(nodeName)) return { ...at, state: "Skipped", message: "another plan applies it now" };
    return { ...at, state: "Pending" };
  });
  return { hash, nodes };
}
