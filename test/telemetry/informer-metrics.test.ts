import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createInformerMetrics } from "../../src/telemetry/informer-metrics.js";
import { createFakeClock } from "../support/fake-clock.js";

const web = { resource: "deployments.apps", namespace: "shop", name: "web" };

/** The bucket counts and count of the lag histogram of `resource`, from the scraped text. */
async function lagOf(registry: Registry, resource: string): Promise<Record<string, number>> {
  const text = await registry.metrics();
  const found: Record<string, number> = {};
  const pattern = new RegExp(`^update_manager_informer_lag_seconds_(bucket|count)\\{(?:le="([^"]+)",)?resource="${resource}"(?:,le="([^"]+)")?\\} (\\d+)$`, "gm");
  for (const match of text.matchAll(pattern)) found[match[1] === "count" ? "count" : `le=${match[2] ?? match[3]}`] = Number(match[4]);
  return found;
}

describe("createInformerMetrics", () => {
  it("times a write until its informer delivers that version, and starts each informer's series at 0", async () => {
    const registry = new Registry();
    const clock = createFakeClock();
    const events = createInformerMetrics(registry, { clock });
    events.informerCreated("deployments.apps");
    events.informerCreated("jobs.batch");
    let text = await registry.metrics();
    expect(text).toContain('update_manager_informer_relists_total{resource="jobs.batch"} 0');
    expect(text).toContain('update_manager_informer_lag_seconds_count{resource="deployments.apps"} 0');

    events.written({ ...web, resourceVersion: "100" });
    clock.advance(40);
    // An older version (the watch still catching up) does not end the wait.
    events.delivered({ ...web, resourceVersion: "99" });
    expect((await lagOf(registry, "deployments.apps")).count).toBe(0);
    clock.advance(30);
    events.delivered({ ...web, resourceVersion: "100" });
    let lag = await lagOf(registry, "deployments.apps");
    expect(lag.count).toBe(1);
    expect(lag["le=0.05"]).toBe(0);
    expect(lag["le=0.1"]).toBe(1);

    // A later version (a relist after a missed event) ends it too; the object is timed once.
    events.written({ ...web, resourceVersion: "200" });
    clock.advance(3000);
    events.delivered({ ...web, resourceVersion: "205" });
    events.delivered({ ...web, resourceVersion: "206" });
    lag = await lagOf(registry, "deployments.apps");
    expect(lag.count).toBe(2);
    expect(lag["le=2.5"]).toBe(1);
    expect(lag["le=5"]).toBe(2);

    events.relisted("jobs.batch");
    text = await registry.metrics();
    expect(text).toContain('update_manager_informer_relists_total{resource="jobs.batch"} 1');
    expect(text).toContain('update_manager_informer_relists_total{resource="deployments.apps"} 0');
  });

  it("observes a version its informer never delivers once it waited the longest wait, so a stalled watch shows", async () => {
    const registry = new Registry();
    const clock = createFakeClock();
    const events = createInformerMetrics(registry, { clock, maxWaitMs: 600_000 });
    events.informerCreated("deployments.apps");
    events.written({ ...web, resourceVersion: "100" });
    clock.advance(599_000);
    expect((await lagOf(registry, "deployments.apps")).count).toBe(0);
    clock.advance(2_000);
    const lag = await lagOf(registry, "deployments.apps");
    expect(lag.count).toBe(1);
    expect(lag["le=300"]).toBe(0);
    // Forgotten: a late delivery is not counted again.
    events.delivered({ ...web, resourceVersion: "100" });
    expect((await lagOf(registry, "deployments.apps")).count).toBe(1);
  });

  it("ignores writes to resources no informer caches, and keeps at most maxPending versions waiting", async () => {
    const registry = new Registry();
    const clock = createFakeClock();
    const events = createInformerMetrics(registry, { clock, maxPending: 2 });
    events.informerCreated("deployments.apps");
    events.written({ resource: "leases.coordination.k8s.io", namespace: "um", name: "leader", resourceVersion: "1" });
    expect(await registry.metrics()).not.toContain("leases");
    for (const name of ["a", "b", "c"]) events.written({ ...web, name, resourceVersion: "7" });
    for (const name of ["a", "b", "c"]) events.delivered({ ...web, name, resourceVersion: "7" });
    // "a" made room for "c".
    expect((await lagOf(registry, "deployments.apps")).count).toBe(2);
  });

  it("observes 0 s for a version its informer delivered before the write's answer was read", async () => {
    const registry = new Registry();
    const clock = createFakeClock();
    const events = createInformerMetrics(registry, { clock, maxRecent: 2 });
    events.informerCreated("jobs.batch");
    const copy = { resource: "jobs.batch", namespace: "shop", name: "migrate-1" };
    events.delivered({ ...copy, resourceVersion: "50" });
    events.written({ ...copy, resourceVersion: "50" });
    let lag = await lagOf(registry, "jobs.batch");
    expect(lag.count).toBe(1);
    expect(lag["le=0.01"]).toBe(1);
    // Only the last maxRecent objects are remembered: an older delivery is not, and the write waits.
    for (const name of ["a", "b"]) events.delivered({ ...copy, name, resourceVersion: "60" });
    events.written({ ...copy, resourceVersion: "50" });
    clock.advance(200);
    events.delivered({ ...copy, resourceVersion: "51" });
    lag = await lagOf(registry, "jobs.batch");
    expect(lag.count).toBe(2);
    expect(lag["le=0.1"]).toBe(1);
    expect(lag["le=0.25"]).toBe(2);
  });
});
