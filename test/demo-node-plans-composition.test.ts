import { describe, expect, it } from "vitest";
import { demoNodeLabel, demoPlan } from "../src/cluster/simulated/demo-node-plans.js";
import { findCondition } from "../src/core/domain/node-plan/node-plan-status.js";
import { silentLogger } from "../src/core/ports/logger.js";
import { createDemoNodePlans } from "../src/demo-node-plans-composition.js";
import { createMemoryFreezeStore } from "../src/store/memory/memory-freeze-store.js";
import { createRecordingLogger, type LogLine } from "./core/use-cases/engine-harness.js";
import { createFakeClock } from "./support/fake-clock.js";

describe("the embedded demo's node plans", () => {
  it("runs the sample plan end to end: every node upgraded one at a time, the health gate between them, each step logged", async () => {
    const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
    const lines: LogLine[] = [];
    const demo = createDemoNodePlans({ keyPrefix: "update-manager.io", namespace: "system-upgrade", clock, logger: createRecordingLogger(lines) });
    const { cluster } = demo;
    demo.start();
    let mostCordoned = 0;
    let gateWaits = 0;
    for (let second = 0; second < 120; second++) {
      await clock.advanceAsync(1_000);
      mostCordoned = Math.max(mostCordoned, cluster.listNodes().filter((node) => node.unschedulable).length);
      if (findCondition(cluster.getPlan(demoPlan.name)!.status, "Complete")?.reason === "HealthGate") gateWaits++;
      if (findCondition(cluster.getPlan(demoPlan.name)!.status, "Complete")?.status === "True") break;
    }
    await clock.advanceAsync(10_000); // the last node's evicted pods come back too
    await demo.stop();

    const status = cluster.getPlan(demoPlan.name)!.status;
    expect(findCondition(status, "Complete")?.status).toBe("True");
    expect(findCondition(status, "Failed")?.status).toBe("False");
    expect(status.nodes.map((result) => result.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
    for (const node of cluster.listNodes()) {
      expect(node.labels[`plan.update-manager.io/${demoPlan.name}`], node.name).toBe(status.latestHash);
      expect(node.unschedulable, node.name).toBe(false);
      expect(node.labels[demoNodeLabel]).toBe("true");
    }
    expect(mostCordoned).toBe(1);
    expect(gateWaits).toBeGreaterThan(0); // the reboots and the evicted pods' replacements held the next node back
    // Every evicted pod came back ready somewhere: the web ReplicaSet and the cache StatefulSet are whole again.
    expect(await cluster.readOwnerReplicas({ kind: "ReplicaSet", namespace: "shop", name: "web-7d9c5" })).toEqual({ desired: 3, ready: 3 });
    expect(await cluster.readOwnerReplicas({ kind: "StatefulSet", namespace: "shop", name: "cache" })).toEqual({ desired: 2, ready: 2 });
    const logged = lines.filter((line) => line.fields["plan"] === demoPlan.name).map((line) => line.fields["reason"]);
    expect(logged.filter((reason) => reason === "NodeClaimed")).toHaveLength(3);
    expect(logged.filter((reason) => reason === "JobStarted")).toHaveLength(3);
    expect(logged.filter((reason) => reason === "NodeUpgraded")).toHaveLength(3);
    // Narrated: the cordon, the evictions (one refused by the budget, then retried) and what the gate waited for.
    const messages = lines.map((line) => line.message);
    expect(messages).toContain("cordoned demo-node-1");
    expect(messages.at(-1)).toMatch(/^node plan demo-os: complete: every selected node carries hash /);
    expect(messages.some((message) => message.includes("refused by its PodDisruptionBudget, retried"))).toBe(true);
    expect(messages.some((message) => message.includes("evicted pods' owners not back at their desired ready replicas: ReplicaSet/shop/web-7d9c5 (2/3 ready)"))).toBe(true);
    expect(lines.filter((line) => line.level === "warn" || line.level === "error")).toEqual([]);
  });
});

describe("the embedded demo's node plans with the freeze and notifications", () => {
  it("holds the sample plan while frozen, runs it once unfrozen, and tells once that it started", async () => {
    const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
    const freeze = createMemoryFreezeStore({ frozen: true, reason: "release day", principal: "ops", time: clock.now() });
    const told: string[] = [];
    const demo = createDemoNodePlans({
      keyPrefix: "update-manager.io",
      namespace: "system-upgrade",
      clock,
      logger: silentLogger,
      freeze,
      notify: { nodePlanStarted: (facts) => told.push(`started ${facts.nodePlan}`), nodePlanFailed: (facts) => told.push(`failed ${facts.nodePlan}`) },
    });
    const { cluster } = demo;
    demo.start();
    await clock.advanceAsync(10_000);
    let status = cluster.getPlan(demoPlan.name)!.status;
    expect(status.applying).toEqual([]);
    expect(cluster.listNodes().filter((node) => node.unschedulable)).toEqual([]);
    expect(status.message).toBe("held by the freeze (release day): no node starts until unfrozen");
    expect(told).toEqual([]);

    // The unfreeze pokes the runner: the plan moves without waiting for its idle pass.
    await freeze.set({ frozen: false, reason: "", principal: "ops", time: clock.now() });
    for (let step = 0; step < 20 && cluster.getPlan(demoPlan.name)!.status.applying.length === 0; step++) await clock.advanceAsync(100);
    status = cluster.getPlan(demoPlan.name)!.status;
    expect(status.applying).toHaveLength(1);
    for (let second = 0; second < 120; second++) {
      await clock.advanceAsync(1_000);
      if (findCondition(cluster.getPlan(demoPlan.name)!.status, "Complete")?.status === "True") break;
    }
    await demo.stop();
    expect(findCondition(cluster.getPlan(demoPlan.name)!.status, "Complete")?.status).toBe("True");
    expect(told).toEqual([`started ${demoPlan.name}`]);
  });
});
