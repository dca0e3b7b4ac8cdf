import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { NodeResult, PlanCondition } from "../../src/core/domain/node-plan/node-plan-status.js";
import type { PlanRecord } from "../../src/core/ports/node-plans.js";
import { registerNodePlanMetrics } from "../../src/telemetry/node-plan-metrics.js";

function condition(type: PlanCondition["type"], status: PlanCondition["status"]): PlanCondition {
  return { type, status, reason: "", message: "", lastTransitionTime: "2026-12-06T00:00:00Z" };
}

function node(name: string, hash: string, phase: NodeResult["phase"]): NodeResult {
  return { name, hash, phase, cordonedByPlan: true, jobName: `apply-${name}`, startTime: "2026-12-06T00:00:00Z" };
}

function plan(name: string, conditions: PlanCondition[], nodes: NodeResult[], latestHash = "h2"): PlanRecord {
  return {
    name,
    uid: name,
    generation: 1,
    resourceVersion: "1",
    spec: {},
    deleting: false,
    finalized: true,
    status: { observedGeneration: 1, latestVersion: "v1", latestHash, applying: [], nodes, conditions },
  };
}

async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.values(v.labels)[0] as string, v.value]));
}

describe("node plan progress metrics", () => {
  it("count plans by state and the current hash's nodes by phase, read from the cache at scrape time", async () => {
    const registry = new Registry();
    let plans: PlanRecord[] = [];
    registerNodePlanMetrics(registry, () => plans);
    expect(await values(registry, "update_manager_node_plans")).toEqual({ invalid: 0, failed: 0, complete: 0, "in-progress": 0 });

    plans = [
      plan("k3os", [condition("Validated", "True"), condition("Complete", "False")], [
        node("a", "h2", "Succeeded"),
        node("b", "h2", "JobStarted"),
        // An earlier hash's result is history, not progress.
        node("c", "h1", "Failed"),
      ]),
      plan("kernel", [condition("Validated", "True"), condition("Failed", "True")], [node("a", "h2", "Failed"), node("d", "h2", "Claimed")]),
      plan("done", [condition("Validated", "True"), condition("Complete", "True")], [node("e", "h2", "Succeeded")]),
      plan("x".repeat(70), [condition("Validated", "False")], []),
    ];
    expect(await values(registry, "update_manager_node_plans")).toEqual({ invalid: 1, failed: 1, complete: 1, "in-progress": 1 });
    expect(await values(registry, "update_manager_node_plan_nodes")).toEqual({ claimed: 1, "job-started": 1, succeeded: 2, failed: 1 });
  });
});
