import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isTerminal, type UpdateRecord } from "../../../src/core/domain/update.js";
import { workloadKey, type WorkloadRef } from "../../../src/core/domain/workload.js";
import type { TargetLocks } from "../../../src/core/ports/target-locks.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { createHarness, deployment, type Harness, isEvent, rejection } from "./engine-harness.js";

const registry = "registry.example.com/shop";

function seed(h: Harness, name: string, repositories: readonly string[]) {
  return h.add({
    kind: "Deployment",
    namespace: "shop",
    name,
    classifier: "shop",
    replicas: 2,
    containers: repositories.map((repository) => ({ name: repository, image: `${registry}/${repository}:0` })),
  });
}

const start = (h: Harness, repository: string, tag: string | number, extra: { queueIfBusy?: boolean } = { queueIfBusy: true }) =>
  h.manager.startUpdate({ image: `${registry}/${repository}:${tag}`, classifier: "shop", ...extra }, { requester: "ci" });

/** Waits (on the fake clock, bounded) until every recorded update has finished. */
async function settleAll(h: Harness, within = 4 * 60 * 60_000): Promise<UpdateRecord[]> {
  for (let elapsed = 0; ; elapsed += 500) {
    const all = (await h.store.list({ pageSize: 500 })).items;
    if (all.every((record) => isTerminal(record.state))) {
      await h.manager.whenIdle();
      return [...(await h.store.list({ pageSize: 500 })).items].reverse();
    }
    if (elapsed >= within) throw new Error(`updates still unfinished: ${all.map((r) => `${r.id}=${r.state}`).join(", ")}`);
    await h.clock.advanceAsync(500);
  }
}

describe("the queue of busy targets", () => {
  it("queues an update whose target is busy, runs it after the first, planned again, with its own timeout from then", async () => {
    const h = createHarness();
    seed(h, "web", ["web"]);
    const first = await start(h, "web", 1);
    const second = await start(h, "web", 2);
    expect(first.state).toBe("pending");
    expect(second).toMatchObject({ state: "queued", phase: "planning" });
    expect(second.queuedTime).toEqual(h.clock.now());
    expect(await h.eventTypes(second.id)).toEqual(["planned", "queued"]);
    expect((await h.events(second.id))[1]).toMatchObject({ type: "queued", behind: [first.id] });
    // No lock for the queued one.
    expect(h.locks.holder(deployment("web"))).toBe(first.id);
    expect((await h.manager.getUpdate(second.id)).state).toBe("queued");
    expect((await h.manager.listUpdates({ states: ["queued"] })).items.map((r) => r.id)).toEqual([second.id]);

    const done = await h.settle(second.id);
    expect(done.state).toBe("succeeded");
    const firstDone = await h.store.get(first.id);
    expect(done.startTime!.getTime()).toBeGreaterThanOrEqual(firstDone!.finishTime!.getTime());
    // Planned again: it replaces what the first update set, not the image it saw when queued.
    expect(done.plan.workloads[0]!.containers[0]).toMatchObject({ currentImage: `${registry}/web:1`, newImage: `${registry}/web:2` });
    expect((await h.eventTypes(second.id)).slice(0, 4)).toEqual(["planned", "queued", "planned", "workload-patched"]);
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:2`]);
    expect(h.errorLogs()).toEqual([]);
  });

  it("without queueIfBusy: TARGET_BUSY while a target runs or has queued updates (never overtakes them)", async () => {
    const h = createHarness();
    seed(h, "web", ["web"]);
    const first = await start(h, "web", 1);
    const queued = await start(h, "web", 2);
    const busy = await rejection(start(h, "web", 3, {}));
    // The queued update is named: it is what the newcomer would overtake.
    expect(busy).toMatchObject({ code: "aborted", reason: "TARGET_BUSY", metadata: { update_id: queued.id } });
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(2);
    await h.settle(first.id);
    expect((await h.settle(queued.id)).state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:2`]);
  });

  it("refuses the 21st waiting update of a target (QUEUE_FULL) and records nothing for it", async () => {
    const h = createHarness();
    seed(h, "web", ["web"]);
    await start(h, "web", 0.5);
    for (let i = 1; i <= 20; i++) expect((await start(h, "web", i)).state).toBe("queued");
    const full = await rejection(start(h, "web", 21));
    expect(full).toMatchObject({ code: "resource-exhausted", reason: "QUEUE_FULL", metadata: { workload: "Deployment/shop/web" } });
    expect((await h.store.list({ pageSize: 100 })).items).toHaveLength(21);
  });

  it("a cancelled queued update ends at once without a change, and the next one takes its place", async () => {
    const h = createHarness();
    seed(h, "web", ["web"]);
    const first = await start(h, "web", 1);
    const second = await start(h, "web", 2);
    const third = await start(h, "web", 3);
    const cancelled = await h.manager.cancelUpdate(second.id, "not this one", "alice");
    expect(cancelled).toMatchObject({ state: "cancelled", phase: "finished", cancelRequested: true });
    expect(await h.eventTypes(second.id)).toEqual(["planned", "queued", "cancel-requested", "finished"]);
    expect(await rejection(h.manager.cancelUpdate(second.id, "", "alice"))).toMatchObject({ reason: "UPDATE_FINISHED" });
    await h.settle(first.id);
    expect((await h.settle(third.id)).state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:3`]);
  });

  it("a wait longer than the queue timeout ends the update FAILED with QUEUE_TIMEOUT, nothing changed", async () => {
    const h = createHarness({ engine: { queueTimeoutMs: 60_000, defaultUpdateTimeoutMs: 30 * 60_000 } });
    seed(h, "web", ["web"]);
    // A migration that never finishes keeps the first update running.
    h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "web", image: `${registry}/web:0` }] });
    h.cluster.hangJobs(() => true);
    const first = await start(h, "web", 1);
    const second = await start(h, "web", 2);
    await h.until(second.id, isEvent("finished"), 5 * 60_000);
    const ended = (await h.store.get(second.id))!;
    expect(ended.state).toBe("failed");
    expect(ended.reason).toMatch(/^QUEUE_TIMEOUT: waited 60 s/);
    expect(ended.startTime).toBeUndefined();
    expect((await h.store.get(first.id))!.state).toBe("running");
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:0`]);
  });

  it("resumes queued updates in their order after a restart, their locks taken only when they run", async () => {
    const h = createHarness();
    seed(h, "web", ["web"]);
    const first = await start(h, "web", 1);
    const second = await start(h, "web", 2);
    const third = await start(h, "web", 3);
    await h.manager.shutdown();
    const locks = createMemoryTargetLocks();
    const again = h.restart(undefined, locks);
    const result = await again.resumeUnfinished();
    expect(result.resumed).toEqual([first.id]);
    expect(locks.holder(deployment("web"))).toBe(first.id);
    expect((await h.store.get(second.id))!.state).toBe("queued");
    await h.settle(third.id, 60 * 60_000, 500, again);
    const [a, b, c] = await Promise.all([first.id, second.id, third.id].map(async (id) => (await h.store.get(id))!));
    expect([a!.state, b!.state, c!.state]).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(b!.startTime!.getTime()).toBeGreaterThanOrEqual(a!.finishTime!.getTime());
    expect(c!.startTime!.getTime()).toBeGreaterThanOrEqual(b!.finishTime!.getTime());
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:3`]);
  });

  it("property: per target, updates run in arrival order, and no two running updates share a target", async () => {
    // Three deployments over three repositories: a uses web+api, b uses api+jobs, c uses jobs.
    const repositories = ["web", "api", "jobs"] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ repository: fc.constantFrom(...repositories), gapMs: fc.constantFrom(0, 0, 300, 1500, 4000) }), {
          minLength: 2,
          maxLength: 9,
        }),
        async (arrivals) => {
          const running = new Map<string, string>();
          const violations: string[] = [];
          const starts: string[] = [];
          const h = createHarness({
            // Ids that sort against their arrival order: the queue must not order by id.
            wrap: (deps) => {
              let next = 1_000_000;
              const newId = () => `00000000-0000-4000-8000-${String(--next).padStart(12, "0")}`;
              return { ...deps, newId, locks: watchLocks(deps.locks, running, violations, starts) };
            },
          });
          seed(h, "a", ["web", "api"]);
          seed(h, "b", ["api", "jobs"]);
          seed(h, "c", ["jobs"]);
          const ids: { id: string; repository: string }[] = [];
          for (const [index, arrival] of arrivals.entries()) {
            const record = await start(h, arrival.repository, index + 1);
            ids.push({ id: record.id, repository: arrival.repository });
            if (arrival.gapMs > 0) await h.clock.advanceAsync(arrival.gapMs);
          }
          const records = new Map((await settleAll(h)).map((record) => [record.id, record]));
          expect(violations).toEqual([]);
          // Per target: the updates touching it started in arrival order.
          for (const target of ["a", "b", "c"].map((name) => workloadKey(deployment(name)))) {
            const touching = ids.filter(({ id }) => records.get(id)!.plan.workloads.some((w) => workloadKey(w.workload) === target && !w.unchanged));
            const started = starts.filter((entry) => touching.some(({ id }) => entry === id));
            expect(started).toEqual(touching.map(({ id }) => id));
          }
          for (const { id } of ids) expect(records.get(id)!.state).toBe("succeeded");
          // Each container ends on the last image requested for its repository.
          for (const repository of repositories) {
            const last = ids.map(({ repository: r }, index) => (r === repository ? index + 1 : 0)).reduce((x, y) => Math.max(x, y), 0);
            if (last === 0) continue;
            for (const name of ["a", "b", "c"]) {
              const images = h.imagesOf(deployment(name)) ?? [];
              for (const image of images.filter((entry) => entry.startsWith(`${repository}=`))) {
                expect(image).toBe(`${repository}=${registry}/${repository}:${last}`);
              }
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

/** Locks that also record which update holds which target, and complain when two would. */
function watchLocks(inner: TargetLocks, running: Map<string, string>, violations: string[], starts: string[]): TargetLocks {
  return {
    async acquire(updateId: string, targets: readonly WorkloadRef[]) {
      await inner.acquire(updateId, targets);
      for (const target of targets) {
        const key = workloadKey(target);
        const holder = running.get(key);
        if (holder !== undefined && holder !== updateId) violations.push(`${key} held by ${holder} and ${updateId}`);
        running.set(key, updateId);
      }
      if (!starts.includes(updateId)) starts.push(updateId);
    },
    async release(updateId: string, targets: readonly WorkloadRef[]) {
      for (const target of targets) if (running.get(workloadKey(target)) === updateId) running.delete(workloadKey(target));
      await inner.release(updateId, targets);
    },
    holder: (target) => inner.holder(target),
  };
}
