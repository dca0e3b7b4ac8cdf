import { DomainError } from "../../domain/domain-error.js";
import { lastEventSequence } from "../../domain/node-plan/node-plan-event.js";
import { type NodePlanState, nodePlanState } from "../../domain/node-plan/node-plan-state.js";
import { parseNodePlan } from "../../domain/node-plan/parse-node-plan.js";
import type { NodePlanReads, PlanRecord } from "../../ports/node-plans.js";

/** A plan as the API shows it: the stored record, its state, and the parts of its spec people look for. */
export interface NodePlanView {
  readonly record: PlanRecord;
  readonly state: NodePlanState;
  /** spec.upgrade.image as written (empty when the spec has none). */
  readonly image: string;
  readonly version: string;
  readonly channel: string;
  /** spec.concurrency with its default (1); 0 when the spec is invalid and has none. */
  readonly concurrency: number;
  /** The newest event's sequence (0: none). */
  readonly lastSequence: number;
  /** The oldest kept event's sequence (0: none). */
  readonly firstSequence: number;
}

/** Plans are read on every replica from its caches; this server may not run them at all. */
export function requireNodePlans(reads: NodePlanReads | undefined): NodePlanReads {
  if (reads === undefined) {
    throw new DomainError(
      "failed-precondition",
      "NODE_PLANS_DISABLED",
      "this server does not run node upgrade plans (UPDATE_MANAGER_NODE_PLANS=false, or not on a Kubernetes cluster)",
    );
  }
  if (!reads.isSynced()) {
    throw new DomainError("unavailable", "CACHE_NOT_SYNCED", "the node plan caches have not synced yet; retry shortly", { retryAfterMs: 1_000 });
  }
  return reads;
}

export function planNotFound(name: string): DomainError {
  return new DomainError("not-found", "PLAN_NOT_FOUND", `no node upgrade plan named ${JSON.stringify(name)}`, { metadata: { plan: name } });
}

export function requirePlanName(name: string): string {
  if (name === "") throw new DomainError("invalid-argument", "INVALID_ARGUMENT", "name is required: the plan's name", { metadata: { field: "name" } });
  return name;
}

export function viewNodePlan(record: PlanRecord): NodePlanView {
  const parsed = parseNodePlan(record.name, record.spec);
  const raw = (typeof record.spec === "object" && record.spec !== null ? record.spec : {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === "string" ? value : "");
  const upgrade = (typeof raw["upgrade"] === "object" && raw["upgrade"] !== null ? raw["upgrade"] : {}) as Record<string, unknown>;
  const events = record.status.events ?? [];
  return {
    record,
    state: nodePlanState(record),
    image: text(upgrade["image"]),
    version: parsed.valid ? parsed.spec.version : text(raw["version"]),
    channel: parsed.valid ? parsed.spec.channel : text(raw["channel"]),
    concurrency: parsed.valid ? parsed.spec.concurrency : typeof raw["concurrency"] === "number" ? raw["concurrency"] : 0,
    lastSequence: lastEventSequence(record.status),
    firstSequence: events[0]?.sequence ?? 0,
  };
}

/**
 * Every plan, by name. A server that runs no plans answers an empty, `disabled` list rather than an error, so a
 * dashboard polling every server shows why the list is empty.
 */
export function listNodePlans(reads: NodePlanReads | undefined): { readonly disabled: boolean; readonly plans: NodePlanView[] } {
  if (reads === undefined) return { disabled: true, plans: [] };
  const plans = [...requireNodePlans(reads).listPlans()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(viewNodePlan);
  return { disabled: false, plans };
}

/** One plan; PLAN_NOT_FOUND when there is none of that name. */
export function getNodePlan(reads: NodePlanReads | undefined, name: string): NodePlanView {
  const record = requireNodePlans(reads).getPlan(requirePlanName(name));
  if (record === undefined) throw planNotFound(name);
  return viewNodePlan(record);
}
