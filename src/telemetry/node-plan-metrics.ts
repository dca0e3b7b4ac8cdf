import { Gauge, type Registry } from "prom-client";
import type { NodePhase } from "../core/domain/node-plan/node-plan-status.js";
import type { PlanRecord } from "../core/ports/node-plans.js";

/** A plan's state for the `update_manager_node_plans` gauge: one per plan, the first that holds in this order. */
export type NodePlanState = "invalid" | "failed" | "complete" | "in-progress";

const phases: readonly NodePhase[] = ["Claimed", "JobStarted", "Succeeded", "Failed"];
const phaseLabels: Readonly<Record<NodePhase, string>> = {
  Claimed: "claimed",
  JobStarted: "job-started",
  Succeeded: "succeeded",
  Failed: "failed",
};
const planStates: readonly NodePlanState[] = ["invalid", "failed", "complete", "in-progress"];

/** The state a plan's status conditions say it is in. */
export function nodePlanState(plan: PlanRecord): NodePlanState {
  const holds = (type: string, status: string) => plan.status.conditions.some((c) => c.type === type && c.status === status);
  if (holds("Validated", "False")) return "invalid";
  if (holds("Failed", "True")) return "failed";
  if (holds("Complete", "True")) return "complete";
  return "in-progress";
}

/**
 * Registers the node plan progress gauges in `registry`, read from the plans' cache at scrape time (every replica
 * has the cache, so a scrape of any replica answers). Labels are bounded: the plan state and the node phase, never
 * a plan or node name (`kubectl get nup` has those).
 */
export function registerNodePlanMetrics(registry: Registry, listPlans: () => readonly PlanRecord[]): void {
  new Gauge({
    name: "update_manager_node_plans",
    help: "Node upgrade plans by state (invalid: Validated=False; failed: Failed=True; complete: Complete=True; in-progress: the rest).",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const counts = new Map<NodePlanState, number>(planStates.map((state) => [state, 0]));
      for (const plan of listPlans()) {
        const state = nodePlanState(plan);
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: "update_manager_node_plan_nodes",
    help: "Nodes of the node upgrade plans' current hashes by phase (claimed, job-started, succeeded, failed), summed over the plans.",
    labelNames: ["phase"] as const,
    registers: [registry],
    collect() {
      const counts = new Map<NodePhase, number>(phases.map((phase) => [phase, 0]));
      for (const plan of listPlans()) {
        for (const node of plan.status.nodes) {
          // Results of an earlier hash stay until replaced: only the current hash is progress.
          if (node.hash !== plan.status.latestHash) continue;
          counts.set(node.phase, (counts.get(node.phase) ?? 0) + 1);
        }
      }
      for (const [phase, count] of counts) this.set({ phase: phaseLabels[phase] }, count);
    },
  });
}
