import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../src/core/ports/clock.js";
import { silentLogger } from "../src/core/ports/logger.js";
import * as kubernetes from "../src/kubernetes-composition.js";
import { createNodePlans, type NodePlans } from "../src/node-plans-composition.js";
import { createInformerMetrics } from "../src/telemetry/informer-metrics.js";
import { createRuntimeMetrics } from "../src/telemetry/runtime-metrics.js";
import { findCondition } from "../src/core/domain/node-plan/node-plan-status.js";
import type { WindowPolicy } from "../src/core/domain/window-policy.js";
import { createFakeNodePlans } from "./core/use-cases/node-plans/fake-node-plans.js";
import { createFakeClock } from "./support/fake-clock.js";
import { emptyCluster, type FakeApiServer, startFakeApiServer } from "./support/fake-api-server.js";
import { k3osExample } from "./support/node-plan-examples.js";

let api: FakeApiServer | undefined;
let plans: NodePlans | undefined;

afterEach(async () => {
  await plans?.stop();
  plans = undefined;
  await api?.close();
  api = undefined;
});

/** A loopback API server with no plans, nodes, Jobs or budgets: lists are empty, watches stay open and quiet. */
async function emptyApiServer() {
  api = await startFakeApiServer(emptyCluster);
  return api.kubeConfig;
}

describe("createNodePlans", () => {
  it("makes its Kubernetes requests on the process's connection, so they are counted with every other API request", async () => {
    const registry = new Registry();
    const runtime = createRuntimeMetrics(registry, { version: "0.0.0", cachesSynced: () => true, leading: () => false });
    const clients = kubernetes.createKubernetesClients(await emptyApiServer(), {
      onApiRequest: runtime.onApiRequest,
      informerEvents: createInformerMetrics(registry),
    });
    plans = createNodePlans({
      kubernetes,
      clients,
      namespace: "system-upgrade",
      keyPrefix: "update-manager.io",
      channelIntervalMs: 60_000,
      canExecute: () => false,
      clock: systemClock,
      logger: silentLogger,
    });
    plans.start();
    await vi.waitFor(
      async () => {
        const text = await registry.metrics();
        expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="list",resource="nodes",code="200"} 1');
        expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="list",resource="nodeupgradeplans.updatemanager.io",code="200"} 1');
      },
      { timeout: 5_000, interval: 20 },
    );
    // Its informers report to the same metrics: their series exist from the start.
    expect(await registry.metrics()).toContain('update_manager_informer_relists_total{resource="nodes"} 0');
  });

  it("holds a plan while a window of the policies file that names it, or names nothing, is closed, and says when it opens", async () => {
    // Monday 10:00 UTC; the windows open at 01:00 UTC. The cluster is the in-memory fake behind the real wiring.
    const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
    const fake = createFakeNodePlans(clock);
    for (const node of ["node-1", "node-2"]) fake.addNode(node, { "plan.upgrade.cattle.io/k3os-latest": "true" });
    for (const name of ["held", "free"]) fake.applyPlan(name, { ...k3osExample().spec, version: `v-${name}` });
    const nights = { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 3600, endSecond: 4 * 3600, timeZone: "UTC" };
    const windows: WindowPolicy[] = [
      { name: "nights", plans: ["held"], window: nights, outside: "wait" },
      { name: "other-plans", plans: ["someone-else"], window: { ...nights, startSecond: 0, endSecond: 60 }, outside: "wait" },
    ];
    plans = createNodePlans({
      kubernetes: { ...kubernetes, createKubernetesNodePlans: () => ({ ...fake.port, start: async () => {}, stop: async () => {} }) },
      clients: kubernetes.createKubernetesClients(await emptyApiServer()),
      namespace: "system-upgrade",
      keyPrefix: "update-manager.io",
      channelIntervalMs: 60_000,
      windows,
      canExecute: () => true,
      clock,
      logger: silentLogger,
    });
    plans.start();
    for (let step = 0; step < 20 && fake.runningJobs().length === 0; step++) await clock.advanceAsync(1_000);
    for (let step = 0; step < 5; step++) await clock.advanceAsync(1_000);
    expect(fake.runningJobs().map((job) => fake.jobs.get(job)!.manifest.metadata.labels["update-manager.io/node-plan"])).toEqual(["free"]);
    const held = fake.plan("held").status;
    expect(held.applying).toEqual([]);
    expect(findCondition(held, "Complete")?.reason).toBe("WindowClosed");
    expect(held.nextWindowOpening).toBe("2026-12-08T01:00:00.000Z");
  });
});
