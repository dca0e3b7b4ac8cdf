import { describe, expect, it } from "vitest";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import { createUpdateManager } from "../../../src/core/use-cases/update-manager.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { createHarness, deployment, isEvent } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

function seed(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 3, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
}

const writesTo = (h: ReturnType<typeof createHarness>, name: string) =>
  h.cluster.writes().filter((write) => write.target.name === name || write.job?.template.name === name);

describe("resuming unfinished updates after a restart", () => {
  it("does not re-run a succeeded migration nor re-patch a patched workload", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    await h.manager.shutdown();

    // The old process is gone: its record stays as it was, however long the restart takes.
    const frozen = (await h.store.get(id))!;
    await h.clock.advanceAsync(5000);
    expect((await h.store.get(id))!.lastSequence).toBe(frozen.lastSequence);
    expect(frozen).toMatchObject({ state: "running", phase: "rolling-out" });

    const restarted = h.restart();
    const result = await restarted.resumeUnfinished();
    expect(result).toEqual({ resumed: [id], failed: [] });
    const done = await h.settle(id, 60 * 60_000, 500, restarted);

    expect(done.state).toBe("succeeded");
    expect(writesTo(h, "migrate").map((w) => w.operation)).toEqual(["create-job"]);
    expect(writesTo(h, "a").map((w) => `${w.operation} ${w.outcome}`)).toEqual(["patch-images applied"]);
    expect(writesTo(h, "b").map((w) => `${w.operation} ${w.outcome}`)).toEqual(["patch-images applied"]);
    const events = await h.events(id);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "finished")).toHaveLength(1);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${newImage}`]);
  });

  it("re-attaches to a running migration Job by its name instead of starting another", async () => {
    const h = createHarness({ cluster: { jobDurationMs: 10_000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("migration-started"));
    await h.manager.shutdown();

    const restarted = h.restart();
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("succeeded");
    expect(writesTo(h, "migrate").map((w) => `${w.operation} ${w.outcome}`)).toEqual(["create-job applied"]);
    expect((await h.eventTypes(id)).filter((t) => t === "migration-started")).toHaveLength(1);
  });

  it("fails a resumed migration whose Job was deleted meanwhile, touching no workload", async () => {
    const h = createHarness({ cluster: { jobDurationMs: 10_000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("migration-started"));
    await h.manager.shutdown();
    const jobName = (await h.store.get(id))!.migrations[0]!.jobName;
    h.cluster.deleteJob("shop", jobName);

    const restarted = h.restart();
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("failed");
    expect(done.reason).toContain(jobName);
    expect(h.patchWrites()).toEqual([]);
  });

  it("recognises its own patch when the restart came before the patch was recorded", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    await h.manager.shutdown();
    // What the store holds when the process died between the patch and recording it.
    const record = (await h.store.get(id))!;
    record.workloads[0]!.patched = false;
    await h.store.save(record);

    const restarted = h.restart();
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("succeeded");
    expect(writesTo(h, "a").map((w) => `${w.operation} ${w.outcome}`)).toEqual(["patch-images applied"]);
  });

  it("recognises its own patch when the cache it resumes from does not show it yet", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    await h.manager.shutdown();
    const record = (await h.store.get(id))!;
    record.workloads[0]!.patched = false;
    await h.store.save(record);

    // The resumed attempt reads the workload from a cache that lags behind the patch (it still shows the old
    // image); the API server refuses the patch again as a conflict with the image this update set.
    const lagging = createUpdateManager({
      ...h.deps,
      locks: createMemoryTargetLocks(),
      cluster: {
        ...h.deps.cluster,
        getWorkload: (ref) => {
          const workload = h.deps.cluster.getWorkload(ref);
          return workload === undefined ? undefined : { ...workload, containers: workload.containers.map((c) => ({ ...c, image: oldImage })) };
        },
      },
    });
    await lagging.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, lagging);
    expect(done.state).toBe("succeeded");
    expect((await h.events(id)).filter((event) => event.type === "workload-conflict")).toEqual([]);
  });

  it("finishes an interrupted rollback without patching again what was restored", async () => {
    const h = createHarness();
    seed(h);
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("rollback-started"), 60_000, 1);
    await h.manager.shutdown();
    expect((await h.store.get(id))!.state).toBe("rolling-back");

    const restarted = h.restart();
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("rolled-back");
    expect(writesTo(h, "a").map((w) => w.patches![0]!.newImage)).toEqual([newImage, oldImage]);
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect(writesTo(h, "b")).toEqual([]);
  });

  it("honours a cancel recorded while no process executed the update", async () => {
    const h = createHarness({ cluster: { jobDurationMs: 10_000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("migration-started"));
    await h.manager.shutdown();

    const restarted = h.restart();
    const cancelled = await restarted.cancelUpdate(id, "abandon", "ops");
    expect(cancelled.cancelRequested).toBe(true);
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("cancelled");
    expect(done.reason).toBe("cancelled by ops: abandon");
    expect(h.patchWrites()).toEqual([]);
  });

  it("resumes a pending update that was recorded but never started, once the cache has synced", async () => {
    const h = createHarness();
    seed(h);
    await h.manager.shutdown(); // recorded, then the process stopped before executing it
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(5000);
    expect((await h.store.get(id))!.state).toBe("pending");
    h.cluster.stop();

    const restarted = h.restart();
    const resuming = restarted.resumeUnfinished();
    await h.clock.flush();
    h.cluster.start();
    expect((await resuming).resumed).toEqual([id]);
    expect((await h.settle(id, 60 * 60_000, 500, restarted)).state).toBe("succeeded");
  });
});

describe("resuming from a list that is already out of date", () => {
  it("does not run again an update that finished after the list was read, and leaves its targets free", async () => {
    let stale: UpdateRecord[] | undefined;
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        store: { ...deps.store, listUnfinished: async () => stale ?? deps.store.listUnfinished() },
      }),
    });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    stale = [structuredClone((await h.store.get(id))!)];
    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    const writesBefore = h.cluster.writes().length;

    const result = await h.manager.resumeUnfinished();

    expect(result).toEqual({ resumed: [], failed: [] });
    expect(h.cluster.writes()).toHaveLength(writesBefore);
    expect((await h.store.get(id))!.state).toBe("succeeded");
    const next = await h.manager.startUpdate({ image: oldImage, classifier: "shop" }, { requester: "ci" });
    expect((await h.settle(next.id)).state).toBe("succeeded");
  });
});
