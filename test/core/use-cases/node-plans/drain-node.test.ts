import { describe, expect, it } from "vitest";
import { parseNodePlan } from "../../../../src/core/domain/node-plan/parse-node-plan.js";
import type { DrainOptions } from "../../../../src/core/domain/node-plan/node-upgrade-plan.js";
import type { EvictionResult, PodOnNode } from "../../../../src/core/ports/node-plans.js";
import { drainNode } from "../../../../src/core/use-cases/node-plans/drain-node.js";
import { createFakeClock } from "../../../support/fake-clock.js";
import { createFakeNodePlans } from "./fake-node-plans.js";

/** The drain options a plan's `spec.drain` gives, defaults applied as for a real plan. */
function drainOf(drain: Record<string, unknown>): DrainOptions {
  const parsed = parseNodePlan("p", { version: "v1", upgrade: { image: "x" }, drain });
  if (!parsed.valid || parsed.spec.drain === undefined) throw new Error("the drain options do not parse");
  return parsed.spec.drain;
}

/** A fake cluster whose evictions are recorded with their options; `linger` pods stay (terminating) once evicted. */
function drainHarness(linger: readonly string[] = []) {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  fake.addNode("node-1");
  const calls: { pod: string; deleteInstead: boolean; gracePeriodSeconds?: number }[] = [];
  const evict = fake.port.evictPod;
  fake.port.evictPod = async (pod: PodOnNode, options): Promise<EvictionResult> => {
    calls.push({ pod: pod.name, ...options });
    if (!linger.includes(pod.name)) return evict(pod, options);
    const key = `${pod.namespace}/${pod.name}`;
    fake.pods.set(key, { ...fake.pods.get(key)!, deletionTime: clock.now().toISOString() });
    return "evicted";
  };
  const drain = (options: DrainOptions) => drainNode({ port: fake.port, clock }, "node-1", options, () => false);
  return { clock, fake, calls, drain };
}

describe("drainNode: the plan's drain options", () => {
  it("evicts only the pods drain.podSelector selects", async () => {
    const h = drainHarness();
    h.fake.addPod("node-1", { name: "web-1", labels: { tier: "web" } });
    h.fake.addPod("node-1", { name: "db-1", labels: { tier: "db" } });
    const outcome = await h.drain(drainOf({ podSelector: { matchLabels: { tier: "web" } } }));
    expect(outcome.drained).toBe(true);
    expect(h.calls.map((call) => call.pod)).toEqual(["web-1"]);
    expect([...h.fake.pods.keys()]).toEqual(["default/db-1"]);
  });

  it("passes drain.gracePeriod to each eviction, and deletes instead of evicting with disableEviction", async () => {
    const h = drainHarness();
    h.fake.addPod("node-1", { name: "web-1" });
    await h.drain(drainOf({ gracePeriod: 7 }));
    h.fake.addPod("node-1", { name: "web-2" });
    await h.drain(drainOf({ disableEviction: true }));
    expect(h.calls).toEqual([
      { pod: "web-1", deleteInstead: false, gracePeriodSeconds: 7 },
      { pod: "web-2", deleteInstead: true },
    ]);
  });

  it("waits for evicted pods to terminate until drain.timeout, unless skipWaitForDeleteTimeout lets it stop waiting", async () => {
    const waiting = drainHarness(["slow"]);
    waiting.fake.addPod("node-1", { name: "slow" });
    const timedOut = waiting.drain(drainOf({ timeout: "30s" }));
    await waiting.clock.advanceAsync(35_000);
    expect(await timedOut).toEqual({ drained: false, reason: "drain of node-1 timed out waiting for default/slow to terminate" });

    const skipping = drainHarness(["slow"]);
    skipping.fake.addPod("node-1", { name: "slow" });
    let settled = false;
    const done = skipping.drain(drainOf({ timeout: "5m", skipWaitForDeleteTimeout: 10 })).finally(() => {
      settled = true;
    });
    await skipping.clock.advanceAsync(5_000);
    expect(settled).toBe(false); // deleting for 5 s: still waited for
    await skipping.clock.advanceAsync(10_000);
    expect(await done).toMatchObject({ drained: true });
  });
});
