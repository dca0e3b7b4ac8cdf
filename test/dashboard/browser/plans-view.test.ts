import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { NodePlanSchema, NodePlanState, NodeUpgradePhase } from "../../../gen/updatemanager/v1/node_plan_pb.js";
import { nodePhaseText, nodePhaseTone, nodePlanStateText, nodePlanStateTone, upgradedCount } from "../../../src/dashboard/browser/plans-view.js";

describe("the node plans view's words and colours", () => {
  it("names every plan state and colours failures and invalid specs as bad", () => {
    expect([NodePlanState.PENDING, NodePlanState.APPLYING, NodePlanState.COMPLETE, NodePlanState.FAILED, NodePlanState.INVALID].map(nodePlanStateText)).toEqual([
      "pending",
      "applying",
      "complete",
      "failed",
      "invalid",
    ]);
    expect(nodePlanStateTone(NodePlanState.INVALID)).toBe("bad");
    expect(nodePlanStateTone(NodePlanState.COMPLETE)).toBe("ok");
    expect(nodePhaseText(NodeUpgradePhase.CLAIMED)).toBe("cordoning and draining");
    expect(nodePhaseTone(NodeUpgradePhase.FAILED)).toBe("bad");
  });

  it("counts only the nodes upgraded to the plan's current hash", () => {
    const plan = create(NodePlanSchema, {
      latestHash: "new",
      nodes: [
        { name: "a", hash: "new", phase: NodeUpgradePhase.SUCCEEDED },
        { name: "b", hash: "old", phase: NodeUpgradePhase.SUCCEEDED },
        { name: "c", hash: "new", phase: NodeUpgradePhase.JOB_STARTED },
      ],
    });
    expect(upgradedCount(plan)).toBe(1);
  });
});
