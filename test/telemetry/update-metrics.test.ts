import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createUpdateMetrics, requesterKind } from "../../src/telemetry/update-metrics.js";
import { createMemoryUpdateStore } from "../../src/store/memory/memory-update-store.js";
import { aRecord } from "../contract/update-store-contract.js";
import { createHarness } from "../core/use-cases/engine-harness.js";
import { createFakeClock } from "../support/fake-clock.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

/** The engine on the simulated cluster, its store observed as the composition root does. */
function setup() {
  const registry = new Registry();
  let nowMs = 0;
  const metrics = createUpdateMetrics(registry, { now: () => nowMs });
  const h = createHarness({ wrap: (deps) => ({ ...deps, store: metrics.observeStore(deps.store) }) });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  return { registry, h, setNow: (ms: number) => (nowMs = ms) };
}

async function registry0(): Promise<string> {
  const registry = new Registry();
  createUpdateMetrics(registry);
  return registry.metrics();
}

describe("createUpdateMetrics", () => {
  it("counts finished updates by state and requester kind and times their rollouts", async () => {
    const { registry, h } = setup();
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci" });
    // Read from the store at scrape time.
    const before = await registry.metrics();
    expect(before).toContain('update_manager_updates{state="running",requester_kind="api"} 1');
    expect(before).toContain("update_manager_rollouts_waiting 0");
    await h.settle(id);
    const text = await registry.metrics();
    expect(text).toContain('update_manager_updates_finished_total{state="succeeded",requester_kind="api"} 1');
    expect(text).toMatch(/update_manager_step_duration_seconds_count\{step="rollout",result="succeeded"\} 1\n/);
    expect(text).toMatch(/update_manager_update_duration_seconds_count\{state="succeeded"\} 1\n/);
    // Nothing unfinished is left, and no series names the update or the workload.
    expect(text).not.toMatch(/update_manager_updates\{/);
    expect(text).not.toContain(id);
    expect(text).not.toContain("web");
  });

  it("starts every bounded series at zero, so that the first update shows in increase()", async () => {
    const text = await registry0();
    expect(text).toContain('update_manager_updates_finished_total{state="rollback-failed",requester_kind="registry-watcher"} 0');
    expect(text).toContain('update_manager_rollbacks_total{result="failed"} 0');
    expect(text).toMatch(/update_manager_step_duration_seconds_count\{step="migration",result="failed"\} 0\n/);
  });

  it("counts rollbacks by result, from a crash-looping image", async () => {
    const { registry, h } = setup();
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "registry-watcher" });
    await h.settle(id);
    const text = await registry.metrics();
    expect(text).toContain('update_manager_rollbacks_total{result="succeeded"} 1');
    expect(text).toContain('update_manager_updates_finished_total{state="rolled-back",requester_kind="registry-watcher"} 1');
    expect(text).toMatch(/update_manager_step_duration_seconds_count\{step="rollout",result="failed"\} 1\n/);
    expect(text).toMatch(/update_manager_step_duration_seconds_count\{step="rollback",result="succeeded"\} 1\n/);
  });

  it("shows an unfinished update past its timeout", async () => {
    const { registry, h, setNow } = setup();
    // A rollout that never becomes healthy keeps the update running.
    h.cluster.failImage(newImage, "unready");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop", updateTimeoutMs: 60_000 }, { requester: "shop-ci" });
    const record = await h.store.get(id);
    setNow(record!.startTime!.getTime() + 30_000);
    expect(await registry.metrics()).toContain("update_manager_updates_past_deadline 0");
    setNow(record!.startTime!.getTime() + 61_000);
    expect(await registry.metrics()).toContain("update_manager_updates_past_deadline 1");
  });

  it("counts updates recorded on a replica that may not execute as waiting for the leader", async () => {
    const registry = new Registry();
    const metrics = createUpdateMetrics(registry);
    const h = createHarness({ wrap: (deps) => ({ ...deps, store: metrics.observeStore(deps.store), canExecute: () => false }) });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "registry-watcher" });
    const text = await registry.metrics();
    expect(text).toContain("update_manager_rollouts_waiting 1");
    expect(text).toContain('update_manager_updates{state="pending",requester_kind="registry-watcher"} 1');
  });

  it("counts an update queued behind another one's targets as waiting", async () => {
    const { registry, h } = setup();
    h.cluster.failImage(newImage, "unready");
    await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci" });
    await h.manager.startUpdate({ image: "registry.example.com/shop/web:3.0", classifier: "shop", queueIfBusy: true }, { requester: "shop-ci" });
    const text = await registry.metrics();
    expect(text).toContain('update_manager_updates{state="queued",requester_kind="api"} 1');
    expect(text).toContain("update_manager_rollouts_waiting 1");
  });

  it("counts an update waiting for its window as waiting", async () => {
    const registry = new Registry();
    const metrics = createUpdateMetrics(registry);
    // The harness's clock starts at midnight UTC: outside a 09:00-17:00 window.
    const officeHours = {
      name: "office-hours",
      classifiers: ["shop"],
      window: { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 9 * 3600, endSecond: 17 * 3600, timeZone: "UTC" },
      outside: "wait" as const,
    };
    const h = createHarness({ engine: { windowPolicies: [officeHours] }, wrap: (deps) => ({ ...deps, store: metrics.observeStore(deps.store) }) });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    const update = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci" });
    expect(update.state).toBe("waiting-for-gate");
    const text = await registry.metrics();
    expect(text).toContain('update_manager_updates{state="waiting-for-gate",requester_kind="api"} 1');
    expect(text).toContain("update_manager_rollouts_waiting 1");
  });

  it("times a step saved in batches from when the engine saved its events, each once", async () => {
    const registry = new Registry();
    let nowMs = 0;
    const metrics = createUpdateMetrics(registry, { now: () => nowMs });
    const store = metrics.observeStore(createMemoryUpdateStore({ clock: createFakeClock() }));
    const record = aRecord("00000000-0000-4000-8000-000000000041");
    await store.create(record, []);
    const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
    nowMs = 1_000;
    await store.save({ ...record, state: "running" }, [{ type: "workload-patched", workload: web, containers: [] }], { batch: true });
    nowMs = 3_500;
    await store.save({ ...record, state: "running" }, [{ type: "workload-healthy", workload: web }], { batch: true });
    await store.save({ ...record, state: "succeeded" }, [{ type: "finished", state: "succeeded", reason: "" }]);
    const text = await registry.metrics();
    expect(text).toMatch(/update_manager_step_duration_seconds_count\{step="rollout",result="succeeded"\} 1\n/);
    expect(text).toMatch(/update_manager_step_duration_seconds_sum\{step="rollout",result="succeeded"\} 2.5\n/);
  });

  it("tells requester kinds apart without naming requesters", () => {
    expect(requesterKind("registry-watcher")).toBe("registry-watcher");
    expect(requesterKind("anonymous")).toBe("anonymous");
    expect(requesterKind("shop-ci")).toBe("api");
  });
});
