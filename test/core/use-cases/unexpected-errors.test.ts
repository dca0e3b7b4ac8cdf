import { describe, expect, it } from "vitest";
import type { UpdateEventBody } from "../../../src/core/domain/update-event.js";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import { createHarness, deployment, isEvent } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

function seed(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
}

/** A harness whose store refuses the first `times` saves that `matches` with `message`; the rest go through. */
function withFailingSaves(
  times: number,
  message: string,
  matches: (record: UpdateRecord, events: readonly UpdateEventBody[]) => boolean,
) {
  let left = times;
  return createHarness({
    wrap: (deps) => ({
      ...deps,
      store: {
        ...deps.store,
        save: (record, events, options) => {
          if (left > 0 && matches(record, events ?? [])) {
            left--;
            return Promise.reject(new Error(message));
          }
          return deps.store.save(record, events, options);
        },
      },
    }),
  });
}

describe("unexpected errors", () => {
  it("treats a failing patch request as a failure of that workload and rolls back the others", async () => {
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        cluster: {
          ...deps.cluster,
          patchImages: (ref, patches) =>
            ref.name === "b" ? Promise.reject(new Error("connection reset by peer")) : deps.cluster.patchImages(ref, patches),
        },
      }),
    });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("connection reset by peer");
    expect(done.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ["a", "rolled-back"],
      ["b", "failed"],
    ]);
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect((await h.quarantines.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("rolls back and ends with the error's message when the store fails mid-rollout, releasing the locks", async () => {
    const h = withFailingSaves(1, "etcd request timed out", (_, events) => events.some((e) => e.type === "workload-healthy"));
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.reason).toBe("internal error: etcd request timed out");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect(h.patchWrites().map((w) => w.target.name)).toEqual(["a", "a"]);
    const events = await h.events(id);
    expect(events.filter((e) => e.type === "finished")).toHaveLength(1);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
    expect(h.errorLogs().map((line) => line.message)).toContain("update execution failed unexpectedly");
  });

  it("when the rollback's own first write fails too: ROLLBACK_FAILED, and each workload left changed says so", async () => {
    const h = withFailingSaves(2, "etcd request timed out", (_, events) =>
      events.some((e) => e.type === "workload-healthy" || e.type === "rollback-started"),
    );
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("rollback-failed");
    expect(done.reason).toBe("internal error: etcd request timed out; not restored: Deployment shop/a");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${newImage}`]);
    expect(done.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ["a", "rollback-failed"],
      ["b", "pending"],
    ]);
    const events = await h.events(id);
    const failed = events.filter((e) => e.type === "workload-rollback-failed");
    expect(failed.map((e) => (e.type === "workload-rollback-failed" ? [e.workload.name, e.reason] : []))).toEqual([
      ["a", "not restored after internal error: etcd request timed out"],
    ]);
    expect(events.filter((e) => e.type === "finished")).toHaveLength(1);
  });

  it("ends FAILED with the message when nothing was changed yet", async () => {
    const h = withFailingSaves(1, "disk full", (record) => record.state === "running");
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done).toMatchObject({ state: "failed", reason: "internal error: disk full" });
    expect(h.patchWrites()).toEqual([]);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
  });

  it("releases the locks it took when recording the update fails", async () => {
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        store: { ...deps.store, create: () => Promise.reject(new Error("store unavailable")) },
      }),
    });
    seed(h);
    await expect(h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" })).rejects.toThrow(
      "store unavailable",
    );
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
    expect(h.locks.holder(deployment("b"))).toBeUndefined();
    expect(h.cluster.writes()).toEqual([]);
  });

  it("keeps executing after the caller that started the update has gone", async () => {
    const h = createHarness();
    seed(h);
    // The request's promise is the caller's; the execution runs on regardless.
    void h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.flush();
    const [update] = (await h.store.list({ pageSize: 1 })).items;
    await h.until(update!.id, isEvent("finished"), 60_000, 500);
    expect((await h.store.get(update!.id))!.state).toBe("succeeded");
  });
});
