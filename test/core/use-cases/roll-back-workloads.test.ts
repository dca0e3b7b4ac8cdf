import { describe, expect, it } from "vitest";
import { createHarness, deployment, isEvent, rejection } from "./engine-harness.js";

// Written the way a manifest might write it (not normalised): a rollback must restore it exactly.
const oldImage = "registry.example.com:443/shop/web:1.0";
const newImage = "registry.example.com:443/shop/web:2.0";
const digest = `sha256:${"a".repeat(64)}`;

function seedTwo(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }, { name: "sidecar", image: "docker.io/library/busybox:1" }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
}

describe("rolling back", () => {
  it("restores exactly the previous images on a crash loop, never touches unpatched workloads, and quarantines the image", async () => {
    const h = createHarness();
    seedTwo(h);
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("Deployment shop/a");
    expect(done.reason).toContain("CrashLoopBackOff");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`, "sidecar=docker.io/library/busybox:1"]);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${oldImage}`]);
    expect(done.workloads.map((w) => [w.workload.name, w.phase, w.patched])).toEqual([
      ["a", "rolled-back", true],
      ["b", "pending", false],
    ]);
    // b was never written to: neither patched nor "rolled back".
    expect(h.patchWrites().map((w) => [w.target.name, w.patches])).toEqual([
      ["a", [{ container: "app", init: false, expectedImage: oldImage, newImage }]],
      ["a", [{ container: "app", init: false, expectedImage: newImage, newImage: oldImage }]],
    ]);

    const events = await h.events(id);
    expect(events.map((e) => e.type).filter((t) => t !== "workload-progress")).toEqual([
      "planned",
      "workload-patched",
      "workload-failed",
      "rollback-started",
      "workload-rolled-back",
      "rollback-finished",
      "finished",
    ]);
    expect(events.find((e) => e.type === "rollback-started")).toMatchObject({
      workloads: [deployment("a")],
      migrationsNotUndone: [],
    });
    expect(events.find((e) => e.type === "workload-rolled-back")).toMatchObject({
      containers: [{ name: "app", currentImage: newImage, newImage: oldImage }],
    });
    expect(events.find((e) => e.type === "rollback-finished")).toMatchObject({ success: true, remaining: [] });

    const quarantined = await h.quarantines.list({ pageSize: 10 });
    expect(quarantined.items).toHaveLength(1);
    expect(quarantined.items[0]).toMatchObject({
      workload: deployment("a"),
      image: "registry.example.com:443/shop/web:2.0",
      updateId: id,
    });
    // The crash-looping pod's node reported the image ID: its digest identifies the image.
    expect(quarantined.items[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
  });

  it("refuses the quarantined image next time unless overridden, and accepts it once cleared", async () => {
    const h = createHarness();
    seedTwo(h);
    const undo = h.cluster.failImage(newImage, "crash-loop");
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(first.id);
    undo();

    const refused = await rejection(h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" }));
    expect(refused).toMatchObject({
      code: "failed-precondition",
      reason: "IMAGE_QUARANTINED",
      metadata: { image: "registry.example.com:443/shop/web:2.0", workload: "Deployment/shop/a", update_id: first.id },
    });
    expect(h.locks.holder(deployment("a"))).toBeUndefined();

    const overridden = await h.manager.startUpdate(
      { image: newImage, classifier: "shop", overrideQuarantine: true },
      { requester: "ci" },
    );
    expect(overridden.overrideQuarantine).toBe(true);
    expect((await h.settle(overridden.id)).state).toBe("succeeded");

    // Back to the old image, clear, and the image is accepted without override.
    const back = await h.manager.startUpdate({ image: oldImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(back.id);
    const cleared = await h.manager.clearQuarantine("registry.example.com:443/shop/web:2.0");
    expect(cleared.map((q) => q.workload.name)).toEqual(["a"]);
    const again = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect(again.state).toBe("pending");
  });

  it("quarantines by the requested digest when the image is pinned", async () => {
    const h = createHarness();
    seedTwo(h);
    const pinned = `registry.example.com:443/shop/web:2.0@${digest}`;
    h.cluster.failImage(pinned, "image-pull");
    const { id } = await h.manager.startUpdate({ image: pinned, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.workloads[0]!.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    const [record] = (await h.quarantines.list({ pageSize: 10 })).items;
    expect(record).toMatchObject({ digest, image: pinned });
  });

  it("rolls back on ProgressDeadlineExceeded", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, progressDeadlineSeconds: 30, containers: [{ name: "app", image: oldImage }] });
    // Unready pods report no waiting reason: only the progress deadline catches them.
    h.cluster.failImage(newImage, "unready");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("exceeded its progress deadline");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    const [record] = (await h.quarantines.list({ pageSize: 10 })).items;
    expect(record).toMatchObject({ workload: deployment("a"), updateId: id });
    expect(record!.digest).toBeUndefined();
  });

  it("rolls back when the update times out, without quarantining the image", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    h.cluster.failImage(newImage, "unready");
    const { id } = await h.manager.startUpdate(
      { image: newImage, classifier: "shop", updateTimeoutMs: 60_000 },
      { requester: "ci" },
    );
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("timeout of 1m");
    expect(done.workloads[0]!.phase).toBe("rolled-back");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect((await h.quarantines.list({ pageSize: 10 })).items).toEqual([]);
    const failed = (await h.events(id)).find((e) => e.type === "workload-failed")!;
    expect(failed.time.getTime() - done.startTime!.getTime()).toBe(60_000);
  });

  it("rolls back every patched workload in reverse order when a later one fails", async () => {
    const h = createHarness();
    seedTwo(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-healthy", deployment("a")));
    h.cluster.failImage(newImage, "crash-loop"); // only pods created from now on: b's
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("Deployment shop/b");
    const restores = h.patchWrites().filter((w) => w.patches![0]!.newImage === oldImage);
    expect(restores.map((w) => w.target.name)).toEqual(["b", "a"]);
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`, "sidecar=docker.io/library/busybox:1"]);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${oldImage}`]);
    // The quarantine names the workload whose pods failed, not the one that was healthy.
    expect((await h.quarantines.list({ pageSize: 10 })).items.map((q) => q.workload.name)).toEqual(["b"]);
  });

  it("reports a conflict and keeps a foreign image when someone edits a workload mid-update", async () => {
    const h = createHarness();
    seedTwo(h);
    const hotfix = "registry.example.com:443/shop/web:1.0-hotfix";
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    h.cluster.setContainerImage(deployment("b"), "app", hotfix);
    const done = await h.settle(id);

    expect(done.state).toBe("rolled-back");
    expect(done.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ["a", "rolled-back"],
      ["b", "conflict"],
    ]);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${hotfix}`]);
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`, "sidecar=docker.io/library/busybox:1"]);
    const conflict = (await h.events(id)).find((e) => e.type === "workload-conflict");
    expect(conflict).toMatchObject({ workload: deployment("b"), container: "app", expectedImage: oldImage, actualImage: hotfix });
    expect(done.reason).toContain(hotfix);
    // The conflicting workload is not in the rollback: it was never patched.
    expect((await h.events(id)).find((e) => e.type === "rollback-started")).toMatchObject({ workloads: [deployment("a")] });
    expect((await h.quarantines.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("ends ROLLBACK_FAILED naming the workload when a rollback meets a foreign change, and does not overwrite it", async () => {
    const h = createHarness();
    seedTwo(h);
    const foreign = "registry.example.com:443/shop/web:3.0-manual";
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-healthy", deployment("a")));
    h.cluster.setContainerImage(deployment("a"), "app", foreign);
    h.cluster.failImage(newImage, "crash-loop");
    const done = await h.settle(id);

    expect(done.state).toBe("rollback-failed");
    expect(done.reason).toContain("could not restore Deployment shop/a");
    expect(done.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ["a", "rollback-failed"],
      ["b", "rolled-back"],
    ]);
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${foreign}`, "sidecar=docker.io/library/busybox:1"]);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${oldImage}`]);
    const events = await h.events(id);
    expect(events.find((e) => e.type === "workload-rollback-failed")).toMatchObject({ workload: deployment("a") });
    expect(events.find((e) => e.type === "rollback-finished")).toMatchObject({ success: false, remaining: [deployment("a")] });
    expect(events.filter((e) => e.type === "finished")).toHaveLength(1);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
  });

  it("fails fast only when enabled: without it a crash loop runs into the update timeout", async () => {
    const h = createHarness({ engine: { failFastOnPodProblems: false } });
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 1, progressDeadlineSeconds: 3600, containers: [{ name: "app", image: oldImage }] });
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate(
      { image: newImage, classifier: "shop", updateTimeoutMs: 120_000 },
      { requester: "ci" },
    );
    const done = await h.settle(id);
    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("timeout");
    expect(done.reason).not.toContain("CrashLoopBackOff");
  });
});
