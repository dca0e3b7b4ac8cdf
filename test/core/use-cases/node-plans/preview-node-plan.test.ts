import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import { createNodePlanController } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { previewNodePlan } from "../../../../src/core/use-cases/node-plans/preview-node-plan.js";
import { createFakeClock } from "../../../support/fake-clock.js";
import { k3osExample } from "../../../support/node-plan-examples.js";
import { createFakeNodePlanReads } from "./fake-node-plan-reads.js";
import { createFakeNodePlans } from "./fake-node-plans.js";

const selectorLabel = "plan.upgrade.cattle.io/k3os-latest";
const options = { keyPrefix: "update-manager.io" };

function harness() {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  for (let index = 1; index <= 4; index++) fake.addNode(`node-${index}`, { [selectorLabel]: "true" });
  fake.addNode("other", {});
  const reads = createFakeNodePlanReads(fake);
  const controller = createNodePlanController(
    { port: fake.port, clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("no channel")) } },
    { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
  );
  return { fake, reads, controller };
}

describe("previewNodePlan (plans NAME --dry-run)", () => {
  it("lists the selected nodes in the order the plan takes them, and changes nothing", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    const preview = previewNodePlan(h.reads.reads, "k3os-latest", options);
    expect(preview.nodes.map((n) => n.state)).toEqual(["Pending", "Pending", "Pending", "Pending"]);
    expect(preview.nodes.map((n) => n.position)).toEqual([1, 2, 3, 4]);
    expect(preview.nodes.map((n) => n.name)).not.toContain("other");
    expect(h.fake.writes).toEqual([]);

    // The controller takes them in exactly that order (concurrency 1).
    const taken: string[] = [];
    for (let round = 0; round < 30 && taken.length < 4; round++) {
      for (let pass = 0; pass < 20 && (await h.controller.reconcile("k3os-latest")).requeueAfterMs === 0; pass++);
      for (const job of h.fake.runningJobs()) {
        taken.push(h.fake.jobs.get(job)!.manifest.spec.template.spec.nodeName);
        h.fake.finishJob(job, "succeeded");
      }
    }
    expect(taken).toEqual(preview.nodes.map((n) => n.name));
  });

  it("shows what is done, applying and skipped", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await h.controller.reconcile("k3os-latest"); // finalizer
    await h.controller.reconcile("k3os-latest"); // claims the first node
    const first = previewNodePlan(h.reads.reads, "k3os-latest", options);
    expect(first.hash).toBe(h.fake.plan("k3os-latest").status.latestHash);
    const applying = first.nodes.find((n) => n.state === "Applying");
    expect(applying?.position).toBe(1);
    const last = first.nodes.at(-1)!;
    h.fake.nodes.get(last.name)!.labels["plan.update-manager.io/k3os-latest"] = "disabled";
    const second = previewNodePlan(h.reads.reads, "k3os-latest", options);
    expect(second.nodes.at(-1)).toMatchObject({ name: last.name, state: "Skipped" });
    expect(second.nodes.at(-1)?.message).toContain("disabled");
  });

  it("refuses an invalid plan with its reason, and an unknown one", () => {
    const h = harness();
    h.fake.applyPlan("bad", { ...k3osExample().spec, concurrency: 0 });
    expect(() => previewNodePlan(h.reads.reads, "bad", options)).toThrow(/invalid/);
    expect(() => previewNodePlan(h.reads.reads, "nope", options)).toThrow(/no node upgrade plan named "nope"/);
  });
});
