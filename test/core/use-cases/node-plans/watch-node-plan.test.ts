import { describe, expect, it } from "vitest";
import { isDomainError } from "../../../../src/core/domain/domain-error.js";
import { emptyNodePlanStatus } from "../../../../src/core/domain/node-plan/node-plan-status.js";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import { createNodePlanController } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { createWatchNodePlan, type NodePlanWatchItem } from "../../../../src/core/use-cases/node-plans/watch-node-plan.js";
import { createFakeClock } from "../../../support/fake-clock.js";
import { k3osExample } from "../../../support/node-plan-examples.js";
import { createFakeNodePlanReads } from "./fake-node-plan-reads.js";
import { createFakeNodePlans } from "./fake-node-plans.js";

const selectorLabel = "plan.upgrade.cattle.io/k3os-latest";

function harness(nodes = 2) {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  for (let index = 1; index <= nodes; index++) fake.addNode(`node-${index}`, { [selectorLabel]: "true" });
  const reads = createFakeNodePlanReads(fake);
  const controller = createNodePlanController(
    { port: fake.port, clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("no channel")) } },
    { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
  );
  const watch = createWatchNodePlan({ reads: reads.reads, clock }, { heartbeatMs: 15_000 });
  /** One step of the leader: a pass (as often as it asks at once), then its Jobs finish; the cache tells watchers. */
  async function step(outcome: "succeeded" | "failed" = "succeeded"): Promise<void> {
    for (let pass = 0; pass < 20 && (await controller.reconcile("k3os-latest")).requeueAfterMs === 0; pass++);
    for (const job of fake.runningJobs()) fake.finishJob(job, outcome, outcome === "failed" ? "BackoffLimitExceeded" : undefined);
    reads.changed();
  }
  return { clock, fake, reads, watch, step };
}

/** Reads the stream to its end (bounded), driving the plan between reads. */
async function collect(stream: AsyncGenerator<NodePlanWatchItem>, drive: () => Promise<void>, limit = 200): Promise<NodePlanWatchItem[]> {
  const items: NodePlanWatchItem[] = [];
  for (let read = 0; read < limit; read++) {
    const next = stream.next();
    await drive();
    const result = await next;
    if (result.done) return items;
    items.push(result.value);
  }
  throw new Error("the stream did not end");
}

describe("WatchNodePlan", () => {
  it("streams a plan's steps live, gapless, and ends once it is complete (until_settled)", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    const stream = h.watch({ name: "k3os-latest", afterSequence: 0, untilSettled: true }, new AbortController().signal);
    const items = await collect(stream, () => h.step());
    const events = items.flatMap((item) => (item.type === "event" ? [item.event] : []));
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events.filter((e) => e.type === "JobSucceeded").map((e) => e.node).sort()).toEqual(["node-1", "node-2"]);
    expect(events.at(-1)?.type).toBe("PlanComplete");
    expect(h.reads.subscribers()).toBe(0);
  });

  it("resumes after the sequence it is given, from the plan's status (any replica, after a restart)", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    for (let round = 0; round < 6; round++) await h.step();
    const all = h.fake.plan("k3os-latest").status.events ?? [];
    expect(all.at(-1)?.type).toBe("PlanComplete");
    // A second watcher, as if on another replica, resuming after event 5.
    const items = await collect(h.watch({ name: "k3os-latest", afterSequence: 5, untilSettled: true }, new AbortController().signal), async () => {});
    expect(items.map((item) => (item.type === "event" ? item.event.sequence : -1))).toEqual(all.slice(5).map((e) => e.sequence));
  });

  it("refuses to resume before the oldest kept event (OUT_OF_RANGE, EVENTS_EXPIRED) instead of leaving a gap", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    const plan = h.fake.plan("k3os-latest");
    const kept = [300, 301].map((sequence) => ({ sequence, time: "2026-12-07T10:00:00.000Z", type: "NodeSelected" as const, node: "node-1", hash: "h" }));
    await h.fake.port.writeStatus("k3os-latest", plan.resourceVersion, { ...emptyNodePlanStatus, observedGeneration: 1, events: kept });
    const stream = h.watch({ name: "k3os-latest", afterSequence: 12, untilSettled: false }, new AbortController().signal);
    const error = await stream.next().catch((caught: unknown) => caught);
    expect(isDomainError(error, "out-of-range")).toBe(true);
    expect((error as { reason: string; metadata: Record<string, string> }).reason).toBe("EVENTS_EXPIRED");
    expect((error as { metadata: Record<string, string> }).metadata["first_sequence"]).toBe("300");
    // Resuming at the boundary works.
    const resumed = h.watch({ name: "k3os-latest", afterSequence: 299, untilSettled: false }, new AbortController().signal);
    expect((await resumed.next()).value).toMatchObject({ type: "event", event: { sequence: 300 } });
    await resumed.return(undefined);
  });

  it("sends heartbeats while nothing happens, and ends when the caller aborts", async () => {
    const h = harness(0);
    h.fake.applyPlan("k3os-latest", k3osExample().spec); // not judged yet: nothing recorded.
    const abort = new AbortController();
    const stream = h.watch({ name: "k3os-latest", afterSequence: 0, untilSettled: false }, abort.signal);
    const next = stream.next();
    await h.clock.advanceAsync(15_000);
    expect((await next).value).toMatchObject({ type: "heartbeat", lastSequence: 0 });
    const ending = stream.next();
    abort.abort();
    expect((await ending).done).toBe(true);
    expect(h.reads.subscribers()).toBe(0);
  });

  it("ends with ABORTED, PLAN_REPLACED when the plan is deleted while watched", async () => {
    const h = harness();
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    const stream = h.watch({ name: "k3os-latest", afterSequence: 0, untilSettled: false }, new AbortController().signal);
    const next = stream.next();
    h.fake.deletePlan("k3os-latest");
    await h.fake.port.setFinalizer("k3os-latest", false); // the finalizer is done: the plan is gone.
    h.reads.changed();
    const error = await next.catch((caught: unknown) => caught);
    expect(isDomainError(error, "aborted")).toBe(true);
    expect((error as { reason: string }).reason).toBe("PLAN_REPLACED");
  });

  it("answers NOT_FOUND for an unknown plan, and FAILED_PRECONDITION when this server runs no plans", async () => {
    const h = harness();
    const missing = await h.watch({ name: "nope", afterSequence: 0, untilSettled: false }, new AbortController().signal).next().catch((e: unknown) => e);
    expect((missing as { reason: string }).reason).toBe("PLAN_NOT_FOUND");
    const disabled = createWatchNodePlan({ reads: undefined, clock: h.clock });
    const refused = await disabled({ name: "k3os-latest", afterSequence: 0, untilSettled: false }, new AbortController().signal).next().catch((e: unknown) => e);
    expect((refused as { reason: string }).reason).toBe("NODE_PLANS_DISABLED");
  });
});
