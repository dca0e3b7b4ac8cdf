import { describe, expect, it } from "vitest";
import { lastEventSequence, recordPlanEvents } from "../../../../src/core/domain/node-plan/node-plan-event.js";
import { emptyNodePlanStatus, type NodePlanStatus, type NodeResult } from "../../../../src/core/domain/node-plan/node-plan-status.js";

const at = new Date("2026-12-07T10:00:00Z");
const steps = { cordon: true, drain: false };

function node(name: string, phase: NodeResult["phase"], extra: Partial<NodeResult> = {}): NodeResult {
  return { name, hash: "h1", phase, cordonedByPlan: true, jobName: `apply-p-on-${name}-with-h1`, startTime: at.toISOString(), ...extra };
}

function status(nodes: NodeResult[], extra: Partial<NodePlanStatus> = {}): NodePlanStatus {
  return { ...emptyNodePlanStatus, latestHash: "h1", nodes, ...extra };
}

describe("recordPlanEvents", () => {
  it("numbers the new steps after the last recorded one", () => {
    const claimed = recordPlanEvents(emptyNodePlanStatus, status([node("n1", "Claimed")]), at, steps);
    const started = recordPlanEvents(claimed, status([node("n1", "JobStarted")]), at, steps);
    expect(started.events?.map((e) => [e.sequence, e.type])).toEqual([
      [1, "NodeSelected"],
      [2, "NodeCordoned"],
      [3, "JobStarted"],
    ]);
    expect(lastEventSequence(started)).toBe(3);
  });

  it("says a node someone else cordoned stays cordoned, and does not uncordon it", () => {
    const started = recordPlanEvents(emptyNodePlanStatus, status([node("n1", "JobStarted", { cordonedByPlan: false })]), at, steps);
    const done = recordPlanEvents(started, status([node("n1", "Succeeded", { cordonedByPlan: false })]), at, steps);
    expect(done.events?.find((e) => e.type === "NodeCordoned")?.message).toContain("stays cordoned");
    expect(done.events?.map((e) => e.type)).not.toContain("NodeUncordoned");
  });

  it("records a failure before the Job (the drain) as NodeFailed with its reason", () => {
    const claimed = recordPlanEvents(emptyNodePlanStatus, status([node("n1", "Claimed")]), at, steps);
    const failed = recordPlanEvents(claimed, status([node("n1", "Failed", { message: "drain timed out" })]), at, steps);
    expect(failed.events?.at(-1)).toMatchObject({ sequence: 2, type: "NodeFailed", node: "n1", message: "drain timed out" });
  });

  it("records an invalid spec once, and again only when the reason changes", () => {
    const invalid = (message: string): NodePlanStatus =>
      status([], { conditions: [{ type: "Validated", status: "False", reason: "InvalidSelector", message, lastTransitionTime: at.toISOString() }] });
    const first = recordPlanEvents(emptyNodePlanStatus, invalid("bad selector"), at, steps);
    const same = recordPlanEvents(first, invalid("bad selector"), at, steps);
    const other = recordPlanEvents(same, invalid("another bad selector"), at, steps);
    expect(same.events).toHaveLength(1);
    expect(other.events?.map((e) => e.type)).toEqual(["PlanFailed", "PlanFailed"]);
    expect(other.events?.[0]?.message).toContain("bad selector");
  });

  it("keeps only the newest events beyond the bound, their numbers unchanged", () => {
    let current: NodePlanStatus = emptyNodePlanStatus;
    for (let index = 0; index < 5; index++) {
      current = recordPlanEvents(current, { ...current, nodes: [...current.nodes, node(`n${index}`, "Claimed")] }, at, steps, 3);
    }
    expect(current.events?.map((e) => e.sequence)).toEqual([3, 4, 5]);
    expect(lastEventSequence(current)).toBe(5);
  });

  it("leaves a status with no new step as it is", () => {
    const claimed = recordPlanEvents(emptyNodePlanStatus, status([node("n1", "Claimed")]), at, steps);
    const again = recordPlanEvents(claimed, { ...claimed, message: "waiting" }, at, steps);
    expect(again.events).toEqual(claimed.events);
  });
});
