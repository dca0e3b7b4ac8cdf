import { DomainError } from "./domain-error.js";
import type { MetadataKeys } from "./metadata-keys.js";
import type { UpdatePlan } from "./update.js";
import { type Workload, type WorkloadRef, workloadKey } from "./workload.js";

/**
 * A rule that makes updates wait for people (UPDATE_MANAGER_POLICIES_FILE). It applies to an update when its
 * classifier is one of `classifiers` and a namespace the plan touches is one of `namespaces`; a list left out
 * matches anything.
 */
export interface ApprovalPolicy {
  /** Names the policy in messages and events. */
  readonly name: string;
  /** Undefined: any classifier. */
  readonly classifiers?: readonly string[];
  /** Undefined: any namespace. */
  readonly namespaces?: readonly string[];
  /** Distinct approvers needed, the requester never one of them. At least 1. */
  readonly approvers: number;
  /** How long the update may wait for them. */
  readonly deadlineMs: number;
}

/** What an update must wait for: the strictest of the policies and annotations that apply. */
export interface ApprovalRequirement {
  readonly required: number;
  readonly deadlineMs: number;
  /** Which policy or annotation asked for it. */
  readonly policy: string;
}

/** The most approvers an annotation may ask for: a typo such as 22 for 2 must not make an update wait for ever. */
export const maxApprovers = 10;

export interface ApprovalRequirementInput {
  readonly classifier: string;
  readonly plan: UpdatePlan;
  readonly policies: readonly ApprovalPolicy[];
  /** Reads a target's annotations (`<prefix>/approvals: N`). */
  readonly getWorkload: (ref: WorkloadRef) => Workload | undefined;
  readonly keys: MetadataKeys;
  /** The deadline of an approval asked for by an annotation. */
  readonly defaultDeadlineMs: number;
}

/**
 * The approval an update needs, or undefined when none applies. Policies match on the classifier and the
 * namespaces of the workloads it changes and the migrations it runs; the annotation `<prefix>/approvals: N` on
 * any of those targets asks for N approvers. The most approvers wins (then the shorter deadline).
 *
 * @throws DomainError failed-precondition (TARGET_NOT_UPDATABLE) for an annotation that is not a whole number
 *   from 0 to 10: a gate must not open because its setting is misspelled.
 */
export function approvalRequirement(input: ApprovalRequirementInput): ApprovalRequirement | undefined {
  const targets: WorkloadRef[] = [
    ...input.plan.workloads.filter((workload) => !workload.unchanged).map((workload) => workload.workload),
    ...input.plan.migrations.map((migration) => migration.template),
  ];
  const namespaces = new Set(targets.map((target) => target.namespace));
  const candidates: ApprovalRequirement[] = [];
  for (const policy of input.policies) {
    if (policy.classifiers !== undefined && !policy.classifiers.includes(input.classifier)) continue;
    if (policy.namespaces !== undefined && !policy.namespaces.some((namespace) => namespaces.has(namespace))) continue;
    candidates.push({ required: policy.approvers, deadlineMs: policy.deadlineMs, policy: `policy ${JSON.stringify(policy.name)}` });
  }
  const annotation = input.keys.approvalsAnnotation;
  for (const target of targets) {
    const value = input.getWorkload(target)?.annotations[annotation];
    if (value === undefined) continue;
    const text = value.trim();
    const count = Number(text);
    if (!/^\d+$/.test(text) || count > maxApprovers) {
      throw new DomainError(
        "failed-precondition",
        "TARGET_NOT_UPDATABLE",
        `${workloadKey(target)} has ${annotation}: ${JSON.stringify(value)}, which is not a whole number from 0 to ${maxApprovers}; fix the annotation`,
        { metadata: { workload: workloadKey(target) } },
      );
    }
    if (count > 0) {
      candidates.push({
        required: count,
        deadlineMs: input.defaultDeadlineMs,
        policy: `annotation ${annotation} on ${target.kind} ${target.namespace}/${target.name}`,
      });
    }
  }
  return candidates.sort((a, b) => b.required - a.required || a.deadlineMs - b.deadlineMs)[0];
}
