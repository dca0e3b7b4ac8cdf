import { describe, expect, it } from "vitest";
import { createSimulatedNodePlans } from "../../../src/cluster/simulated/simulated-node-plans.js";
import type { PodOnNode } from "../../../src/core/ports/node-plans.js";
import { describeNodePlansPortContract } from "../../contract/node-plans-port-contract.js";
import { createFakeClock } from "../../support/fake-clock.js";

const web = { kind: "ReplicaSet", namespace: "shop", name: "web" };

function simulation() {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const plans = createSimulatedNodePlans({ keyPrefix: "update-manager.io", clock, jobDurationMs: 4_000, rebootMs: 2_000, replacementReadyMs: 3_000 });
  return { clock, plans };
}

const podNamed = async (plans: ReturnType<typeof simulation>["plans"], node: string): Promise<PodOnNode[]> => [...(await plans.listPodsOnNode(node))];

describe("the simulated cluster of node plans", () => {
  it("refuses an eviction its PodDisruptionBudget does not allow until the evicted pod's replacement is ready elsewhere", async () => {
    const { clock, plans } = simulation();
    for (const node of ["a", "b", "c"]) plans.addNode(node);
    plans.addWorkload(web, ["a", "a", "b"]);
    plans.addDisruptionBudget("web", web, 1);
    await plans.setUnschedulable("a", true);
    const [first, second] = await podNamed(plans, "a");
    expect(await plans.evictPod(first!, { deleteInstead: false })).toBe("evicted");
    expect(await plans.readOwnerReplicas(web)).toEqual({ desired: 3, ready: 2 });
    expect(plans.listDisruptionBudgets()).toEqual([{ namespace: "shop", name: "web", healthy: true }]);
    expect(await plans.evictPod(second!, { deleteInstead: false })).toBe("blocked");
    await clock.advanceAsync(3_000);
    expect(await plans.readOwnerReplicas(web)).toEqual({ desired: 3, ready: 3 });
    expect(plans.podsOn("c")).toHaveLength(1); // not on the cordoned node
    expect(await plans.evictPod(second!, { deleteInstead: false })).toBe("evicted");
    expect(await plans.evictPod(second!, { deleteInstead: false })).toBe("gone");
  });

  it("runs an upgrade Job to success, then reboots its node (NotReady for a while)", async () => {
    const { clock, plans } = simulation();
    plans.addNode("a");
    let changes = 0;
    plans.onChange(() => changes++);
    const manifest = { metadata: { name: "apply-p-on-a-with-h", labels: { "update-manager.io/node-plan": "p" } }, spec: { template: { spec: { nodeName: "a" } } } };
    expect(await plans.createJob(manifest as never)).toEqual({ created: true });
    expect(await plans.createJob(manifest as never)).toEqual({ created: false });
    expect(plans.getJob(manifest.metadata.name)?.state).toBe("running");
    await clock.advanceAsync(4_000);
    expect(plans.getJob(manifest.metadata.name)).toMatchObject({ state: "succeeded", finishTime: "2026-12-07T10:00:04.000Z" });
    expect(plans.getNode("a")?.ready).toBe(false);
    await clock.advanceAsync(2_000);
    expect(plans.getNode("a")?.ready).toBe(true);
    expect(changes).toBeGreaterThanOrEqual(2);
    expect(plans.listJobs("p")).toEqual([manifest.metadata.name]);
    plans.stop();
  });
});

describeNodePlansPortContract("the simulated cluster", async () => {
  const { plans } = simulation();
  plans.addNode("node-1");
  return {
    port: plans,
    namespace: "system-upgrade",
    node: "node-1",
    async createPlan(name, spec) {
      plans.applyPlan(name, spec);
    },
    async eventually(check) {
      if (!check()) throw new Error("the simulation applies writes at once");
    },
  };
});
