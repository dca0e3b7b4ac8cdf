import { describe, expect, it } from "vitest";
import { demoNodeLabel, demoPlan } from "../src/cluster/simulated/demo-node-plans.js";
import { findCondition } from "../src/core/domain/node-plan/node-plan-status.js";
import { createDemoNodePlans } from "../src/demo-node-plans-composition.js";
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
