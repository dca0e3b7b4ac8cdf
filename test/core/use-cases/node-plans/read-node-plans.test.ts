import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import { createNodePlanController } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { getNodePlan, listNodePlans } from "../../../../src/core/use-cases/node-plans/read-node-plans.js";
import { createFakeClock } from "../../../support/fake-clock.js";
import { k3osExample } from "../../../support/node-plan-examples.js";
import { createFakeNodePlanReads } from "./fake-node-plan-reads.js";
import { createFakeNodePlans } from "./fake-node-plans.js";

function harness(synced = true) {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  fake.addNode("node-1", { "plan.upgrade.cattle.io/k3os-latest": "true" });
  const reads = createFakeNodePlanReads(fake, { synced });
  const controller = createNodePlanController(
    { port: fake.port, clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("no channel")) } },
    { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
  );
  return { fake, reads: reads.reads, controller };
}

describe("listing and reading node plans", () => {
  it("lists plans by name with their state and the spec's image, version and concurrency", async () => {
    const h = harness();
    h.fake.applyPlan("zz-broken", { ...k3osExample().spec, concurrency: -1 });
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    expect(listNodePlans(h.reads).plans.map((plan) => [plan.record.name, plan.state])).toEqual([
      ["k3os-latest", "Pending"],
      ["zz-broken", "Pending"],
    ]);
    for (let pass = 0; pass < 5; pass++) {
      await h.controller.reconcile("k3os-latest");
      await h.controller.reconcile("zz-broken");
    }
    const [plan, broken] = listNodePlans(h.reads).plans;
    expect(plan).toMatchObject({ state: "Applying", image: "rancher/k3os", version: "v0.9.0-dev", concurrency: 1, firstSequence: 1 });
    expect(plan?.lastSequence).toBeGreaterThanOrEqual(4);
    expect(broken).toMatchObject({ state: "Invalid", concurrency: -1 });
    h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
    for (let pass = 0; pass < 3; pass++) await h.controller.reconcile("k3os-latest");
    expect(getNodePlan(h.reads, "k3os-latest").state).toBe("Complete");
  });

  it("lists nothing, saying so, on a server that runs no plans", () => {
    expect(listNodePlans(undefined)).toEqual({ disabled: true, plans: [] });
    expect(listNodePlans(harness().reads).disabled).toBe(false);
  });

  it("says why it cannot answer: unknown plan, empty name, caches not synced", () => {
    expect(() => getNodePlan(harness().reads, "nope")).toThrow(expect.objectContaining({ reason: "PLAN_NOT_FOUND" }));
    expect(() => getNodePlan(harness().reads, "")).toThrow(expect.objectContaining({ reason: "INVALID_ARGUMENT" }));
    expect(() => listNodePlans(harness(false).reads)).toThrow(expect.objectContaining({ reason: "CACHE_NOT_SYNCED" }));
  });
});
