import { describe, expect, it } from "vitest";
import { decodePlanStatus } from "../../../../src/cluster/kubernetes/node-plans/decode-plan-status.js";
import { emptyNodePlanStatus } from "../../../../src/core/domain/node-plan/node-plan-status.js";

describe("decodePlanStatus", () => {
  it("reads what the manager wrote", () => {
    const written = {
      observedGeneration: 3,
      latestVersion: "v1",
      latestHash: "abc",
      applying: ["n1"],
      nodes: [
        {
          name: "n1",
          hash: "abc",
          phase: "JobStarted",
          cordonedByPlan: true,
          jobName: "apply-p-on-n1-with-abc",
          startTime: "2026-12-07T00:00:00.000Z",
          evictedOwners: [{ kind: "ReplicaSet", namespace: "shop", name: "web-5d4f" }],
        },
      ],
      conditions: [{ type: "Validated", status: "True", reason: "Valid", message: "", lastTransitionTime: "2026-12-07T00:00:00.000Z" }],
      lastResolveTime: "2026-12-07T00:00:00.000Z",
      gateFailedHash: "abc",
      message: "1 applying",
    };
    expect(decodePlanStatus(written)).toEqual(written);
  });

  it("treats a new plan's missing status as empty", () => {
    expect(decodePlanStatus(undefined)).toEqual(emptyNodePlanStatus);
  });

  it("drops what someone damaged instead of failing, so the next write repairs it", () => {
    const decoded = decodePlanStatus({ observedGeneration: "x", applying: ["n1", 7], nodes: [{ phase: "Claimed" }, "junk"], conditions: "none", message: 5 });
    expect(decoded).toEqual({ ...emptyNodePlanStatus, applying: ["n1"] });
  });

  it("keeps only well-formed owners of evicted pods", () => {
    const node = { name: "n1", hash: "abc", phase: "Succeeded", cordonedByPlan: true, jobName: "j", startTime: "2026-12-07T00:00:00.000Z" };
    const owner = { kind: "StatefulSet", namespace: "shop", name: "db" };
    const decoded = decodePlanStatus({ nodes: [{ ...node, evictedOwners: [owner, { kind: 1 }, "x"] }, { ...node, name: "n2", evictedOwners: "junk" }] });
    expect(decoded.nodes).toEqual([{ ...node, evictedOwners: [owner] }, { ...node, name: "n2" }]);
  });
});

describe("decodePlanStatus: events", () => {
  it("reads the recorded events and drops entries without a sequence, type or time", () => {
    const event = { sequence: 4, time: "2026-12-07T00:00:00.000Z", type: "JobStarted", node: "n1", hash: "abc", message: "apply-p-on-n1" };
    expect(decodePlanStatus({ events: [event, { type: "JobStarted" }, "junk"] }).events).toEqual([event]);
  });
});
