import { describe, expect, it } from "vitest";
import { createHarness, deployment, isEvent, rejection } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

describe("cancelling an update", () => {
  it("waits for a running migration Job to end, then stops as CANCELLED without touching workloads", async () => {
    const h = createHarness({ cluster: { jobDurationMs: 5000 } });
    h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("migration-started"));

    const cancelled = await h.manager.cancelUpdate(id, "wrong build", "alice");
    expect(cancelled.cancelRequested).toBe(true);
    expect(cancelled.state).toBe("running");
    await h.clock.advanceAsync(2000);
    // The Job still runs, and so does the update: stopping a migration half-way is worse.
    expect((await h.store.get(id))!.state).toBe("running");
    expect(h.cluster.getJob("shop", cancelled.migrations[0]!.jobName)!.active).toBe(1);

    const done = await h.settle(id);
    expect(done.state).toBe("cancelled");
    expect(done.reason).toBe("cancelled by alice: wrong build");
    expect(done.migrations[0]!.phase).toBe("succeeded");
    expect(h.patchWrites()).toEqual([]);
    expect(await h.eventTypes(id)).toEqual(["planned", "migration-started", "cancel-requested", "migration-succeeded", "finished"]);
    expect((await h.events(id)).find((e) => e.type === "cancel-requested")).toMatchObject({ reason: "wrong build", requester: "alice" });
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
  });

  it("rolls back what was changed when cancelled during a rollout, ending CANCELLED", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    await h.manager.cancelUpdate(id, "", "bob");
    const done = await h.settle(id);

    expect(done.state).toBe("cancelled");
    expect(done.reason).toBe("cancelled by bob");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect(h.patchWrites().map((w) => w.target.name)).toEqual(["a", "a"]);
    const types = (await h.eventTypes(id)).filter((t) => t !== "workload-progress");
    expect(types).toEqual([
      "planned",
      "workload-patched",
      "cancel-requested",
      "rollback-started",
      "workload-rolled-back",
      "rollback-finished",
      "finished",
    ]);
    expect((await h.quarantines.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("answers FAILED_PRECONDITION UPDATE_FINISHED for a finished update, NOT_FOUND for an unknown one", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(id);
    expect(await rejection(h.manager.cancelUpdate(id, "", "ci"))).toMatchObject({
      code: "failed-precondition",
      reason: "UPDATE_FINISHED",
    });
    expect(await rejection(h.manager.cancelUpdate("nope", "", "ci"))).toMatchObject({ code: "not-found", reason: "UPDATE_NOT_FOUND" });
  });

  it("records a second cancel only once", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 3, containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched"));
    await h.manager.cancelUpdate(id, "first", "ci");
    await h.manager.cancelUpdate(id, "second", "ci");
    await h.settle(id);
    expect((await h.eventTypes(id)).filter((t) => t === "cancel-requested")).toHaveLength(1);
  });
});

describe("getting and listing updates", () => {
  it("gets an update by id and answers UPDATE_NOT_FOUND otherwise", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect((await h.manager.getUpdate(id)).id).toBe(id);
    expect(await rejection(h.manager.getUpdate("missing"))).toMatchObject({ code: "not-found", reason: "UPDATE_NOT_FOUND" });
  });

  it("lists newest first with default and bounded page sizes", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const ids: string[] = [];
    for (const tag of ["2.0", "3.0", "4.0"]) {
      const { id } = await h.manager.startUpdate({ image: `registry.example.com/shop/web:${tag}`, classifier: "shop" }, { requester: "ci" });
      await h.settle(id);
      ids.push(id);
    }
    const all = await h.manager.listUpdates({});
    expect(all.items.map((u) => u.id)).toEqual([...ids].reverse());
    const page = await h.manager.listUpdates({ pageSize: 2 });
    expect(page.items).toHaveLength(2);
    const rest = await h.manager.listUpdates({ pageSize: 2, pageToken: page.nextPageToken });
    expect(rest.items.map((u) => u.id)).toEqual([ids[0]]);
    expect(await rejection(h.manager.listUpdates({ pageSize: 501 }))).toMatchObject({ code: "invalid-argument", metadata: { field: "page_size" } });
    expect(await rejection(h.manager.listUpdates({ pageSize: -1 }))).toMatchObject({ code: "invalid-argument" });
    expect((await h.manager.listUpdates({ states: ["failed"] })).items).toEqual([]);
  });
});
