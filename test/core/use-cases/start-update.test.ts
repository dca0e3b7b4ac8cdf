import { describe, expect, it } from "vitest";
import { type AccessScope, parseRepositoryPattern, type ScopeGrant } from "../../../src/core/domain/access-scope.js";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import { createHarness, deployment, rejection } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

function seedWeb(h: ReturnType<typeof createHarness>, name = "web") {
  return h.add({ kind: "Deployment", namespace: "shop", name, classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
}

describe("starting an update", () => {
  it("returns once recorded (pending, planned event) and executes without the caller", async () => {
    const h = createHarness();
    seedWeb(h);
    const started = await h.manager.startUpdate(
      { image: `  ${newImage}\n`, classifier: "shop", updateTimeoutMs: 300_000 },
      { requester: "ci" },
    );
    expect(started).toMatchObject({
      state: "pending",
      phase: "planning",
      image: newImage,
      classifier: "shop",
      requester: "ci",
      updateTimeoutMs: 300_000,
      cancelRequested: false,
      overrideQuarantine: false,
      lastSequence: 1,
    });
    expect(started.id).not.toBe("");
    expect(await h.eventTypes(started.id)).toEqual(["planned"]);
    // The image is written as requested (trimmed), not in its normalised form.
    expect(started.plan.workloads[0]!.containers[0]!.newImage).toBe(newImage);
    expect(h.locks.holder(deployment("web"))).toBe(started.id);
    expect((await h.settle(started.id)).state).toBe("succeeded");
  });

  it("stores the normalised image and writes the image as given", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "proxy", classifier: "edge", containers: [{ name: "nginx", image: "nginx:1.26" }] });
    const { id, image } = await h.manager.startUpdate({ image: "nginx:1.27", classifier: "edge" }, { requester: "ci" });
    expect(image).toBe("docker.io/library/nginx:1.27");
    await h.settle(id);
    expect(h.imagesOf({ kind: "Deployment", namespace: "shop", name: "proxy" })).toEqual(["nginx=nginx:1.27"]);
  });

  it.each([
    [{ image: "", classifier: "shop" }, "image"],
    [{ image: "registry.example.com/shop/web", classifier: "shop" }, "image"],
    [{ image: newImage, classifier: "" }, "classifier"],
    [{ image: newImage, classifier: "-shop" }, "classifier"],
    [{ image: newImage, classifier: "a".repeat(64) }, "classifier"],
    [{ image: newImage, classifier: "shop", idempotencyKey: "k".repeat(129) }, "idempotency_key"],
    [{ image: newImage, classifier: "shop", idempotencyKey: "tab\there" }, "idempotency_key"],
    [{ image: newImage, classifier: "shop", updateTimeoutMs: 0 }, "update_timeout"],
    [{ image: newImage, classifier: "shop", updateTimeoutMs: 24 * 3600_000 + 1 }, "update_timeout"],
  ])("refuses %j as INVALID_ARGUMENT naming %s", async (request, field) => {
    const h = createHarness();
    seedWeb(h);
    const error = await rejection(h.manager.startUpdate(request, { requester: "ci" }));
    expect(error).toMatchObject({ code: "invalid-argument", reason: "INVALID_ARGUMENT", metadata: { field } });
    expect(h.cluster.writes()).toEqual([]);
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("accepts a 63-character classifier and a 128-character idempotency key", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "c".repeat(63), containers: [{ name: "app", image: oldImage }] });
    const started = await h.manager.startUpdate(
      { image: newImage, classifier: "c".repeat(63), idempotencyKey: "k".repeat(128) },
      { requester: "ci" },
    );
    expect(started.idempotencyKey).toBe("k".repeat(128));
  });

  it("answers UNAVAILABLE until the cluster cache has synced", async () => {
    const h = createHarness({ start: false });
    seedWeb(h);
    const error = await rejection(h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" }));
    expect(error).toMatchObject({ code: "unavailable", reason: "CACHE_NOT_SYNCED" });
    h.cluster.start();
    expect((await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" })).state).toBe("pending");
  });

  it("answers NOT_FOUND naming the classifier and repository when nothing matches", async () => {
    const h = createHarness();
    seedWeb(h);
    const error = await rejection(
      h.manager.startUpdate({ image: "registry.example.com/shop/other:1", classifier: "shop" }, { requester: "ci" }),
    );
    expect(error).toMatchObject({ code: "not-found", reason: "NO_TARGETS" });
    expect(error.message).toContain('"shop"');
    expect(error.message).toContain("registry.example.com/shop/other");
    const wrongClassifier = await rejection(h.manager.startUpdate({ image: newImage, classifier: "blog" }, { requester: "ci" }));
    expect(wrongClassifier).toMatchObject({ code: "not-found", reason: "NO_TARGETS" });
  });

  it("never matches a repository by prefix: shop/web does not update shop/web-admin", async () => {
    const h = createHarness();
    seedWeb(h);
    h.add({ kind: "Deployment", namespace: "shop", name: "admin", classifier: "shop", containers: [{ name: "app", image: "registry.example.com/shop/web-admin:1.0" }] });
    const { id, plan } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect(plan.workloads.map((w) => w.workload.name)).toEqual(["web"]);
    await h.settle(id);
    expect(h.patchWrites().map((w) => w.target.name)).toEqual(["web"]);
    expect(h.imagesOf(deployment("admin"))).toEqual(["app=registry.example.com/shop/web-admin:1.0"]);
  });

  it("honours the legacy classifier annotation only in legacy mode", async () => {
    const legacy = { kind: "Deployment", namespace: "shop", name: "old", legacyClassifier: "shop", containers: [{ name: "app", image: oldImage }] } as const;
    const on = createHarness();
    on.add(legacy);
    const started = await on.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect(started.plan.workloads.map((w) => w.workload.name)).toEqual(["old"]);

    const off = createHarness({ engine: { legacyAnnotation: false } });
    off.add(legacy);
    const error = await rejection(off.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" }));
    expect(error).toMatchObject({ code: "not-found", reason: "NO_TARGETS" });
  });

  it("does a dry run without recording, locking or writing anything", async () => {
    const h = createHarness();
    seedWeb(h);
    const planned = await h.manager.startUpdate({ image: newImage, classifier: "shop", dryRun: true }, { requester: "ci" });
    expect(planned).toMatchObject({ id: "", state: "planned", lastSequence: 0 });
    expect(planned.plan.workloads).toHaveLength(1);
    expect(planned.plan.workloads[0]!.containers).toEqual([
      { name: "app", init: false, currentImage: oldImage, newImage, unchanged: false },
    ]);
    await h.clock.advanceAsync(60_000);
    expect(h.cluster.writes()).toEqual([]);
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
  });

  it("succeeds at once, writing nothing, when every target already runs the image", async () => {
    const h = createHarness();
    h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: newImage }] });
    // Another spelling of the same image is the same image.
    h.add({ kind: "Deployment", namespace: "shop", name: "api", classifier: "shop", containers: [{ name: "app", image: "registry.example.com/shop/web:2.0" }] });
    const record = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });

    expect(record.state).toBe("succeeded");
    expect(record.finishTime).toBeDefined();
    expect(record.workloads.map((w) => w.phase)).toEqual(["unchanged", "unchanged"]);
    expect(record.plan.workloads.every((w) => w.unchanged)).toBe(true);
    expect(record.plan.warnings).toContain("every workload already runs the image: migrations are not run");
    expect(await h.eventTypes(record.id)).toEqual(["planned", "finished"]);
    await h.clock.advanceAsync(10_000);
    expect(h.cluster.writes()).toEqual([]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
  });

  it("refuses a paused Deployment as TARGET_NOT_UPDATABLE naming it, holding no lock", async () => {
    const h = createHarness();
    seedWeb(h);
    h.add({ kind: "Deployment", namespace: "shop", name: "paused", classifier: "shop", paused: true, containers: [{ name: "app", image: oldImage }] });
    const error = await rejection(h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" }));
    expect(error).toMatchObject({
      code: "failed-precondition",
      reason: "TARGET_NOT_UPDATABLE",
      metadata: { workload: "Deployment/shop/paused" },
    });
    expect(error.message).toContain("shop/paused");
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("answers ABORTED TARGET_BUSY to a second update of a locked workload, and frees it when the first finishes", async () => {
    const h = createHarness();
    seedWeb(h);
    h.add({ kind: "Deployment", namespace: "shop", name: "api", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const busy = await rejection(
      h.manager.startUpdate({ image: "registry.example.com/shop/web:3.0", classifier: "shop" }, { requester: "other" }),
    );
    expect(busy).toMatchObject({ code: "aborted", reason: "TARGET_BUSY", metadata: { update_id: first.id } });
    // The refused update took no lock (all or nothing) and left no record behind.
    expect((await h.store.list({ pageSize: 10 })).items.map((u) => u.id)).toEqual([first.id]);

    await h.settle(first.id);
    const third = await h.manager.startUpdate({ image: "registry.example.com/shop/web:3.0", classifier: "shop" }, { requester: "other" });
    expect((await h.settle(third.id)).state).toBe("succeeded");
  });

  it("returns the first update for a retry with the same idempotency key and request", async () => {
    const h = createHarness();
    seedWeb(h);
    const request = { image: newImage, classifier: "shop", idempotencyKey: "pipeline-42" };
    const first = await h.manager.startUpdate(request, { requester: "ci" });
    const retry = await h.manager.startUpdate(request, { requester: "ci" });
    expect(retry.id).toBe(first.id);
    // An explicit default timeout is the same request as an omitted one.
    const explicit = await h.manager.startUpdate({ ...request, updateTimeoutMs: 15 * 60_000 }, { requester: "ci" });
    expect(explicit.id).toBe(first.id);
    await h.settle(first.id);
    const late = await h.manager.startUpdate(request, { requester: "ci" });
    expect(late).toMatchObject({ id: first.id, state: "succeeded" });
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(1);
  });

  it("refuses an idempotency key reused for a different request, naming the first update", async () => {
    const h = createHarness();
    seedWeb(h);
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop", idempotencyKey: "k1" }, { requester: "ci" });
    const error = await rejection(
      h.manager.startUpdate({ image: "registry.example.com/shop/web:9.9", classifier: "shop", idempotencyKey: "k1" }, { requester: "ci" }),
    );
    expect(error).toMatchObject({
      code: "invalid-argument",
      reason: "IDEMPOTENCY_KEY_REUSED",
      metadata: { update_id: first.id },
    });
  });

  it("keeps idempotency keys per requester", async () => {
    const h = createHarness();
    seedWeb(h);
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop", idempotencyKey: "k1" }, { requester: "ci" });
    await h.settle(first.id);
    const other = await h.manager.startUpdate(
      { image: "registry.example.com/shop/web:3.0", classifier: "shop", idempotencyKey: "k1" },
      { requester: "someone-else" },
    );
    expect(other.id).not.toBe(first.id);
  });

  it("answers two concurrent retries with one update", async () => {
    const h = createHarness();
    seedWeb(h);
    const request = { image: newImage, classifier: "shop", idempotencyKey: "race" };
    const results = await Promise.allSettled([
      h.manager.startUpdate(request, { requester: "ci" }),
      h.manager.startUpdate(request, { requester: "ci" }),
    ]);
    const ids = results.map((r) => (r.status === "fulfilled" ? (r.value as UpdateRecord).id : "rejected"));
    expect(ids[0]).not.toBe("rejected");
    expect(ids[1]).toBe(ids[0]);
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(1);
  });
});

describe("starting an update with a restricted scope", () => {
  const shopOnly = (grants: ScopeGrant[]): AccessScope => ({ principal: "shop-ci", grants });

  function seedShopAndLegacy(h: ReturnType<typeof createHarness>) {
    seedWeb(h);
    h.add({ kind: "Deployment", namespace: "legacy", name: "web", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
  }

  it("refuses the whole update, naming the namespace outside the scope, and writes nothing", async () => {
    const h = createHarness();
    seedShopAndLegacy(h);
    const error = await rejection(
      h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: shopOnly([{ namespaces: ["shop"] }]) }),
    );
    expect(error).toMatchObject({ code: "permission-denied", reason: "PERMISSION_DENIED", metadata: { denied: "namespace:legacy" } });
    expect(error.message).toContain('namespace "legacy"');
    expect(error.message).toContain("shop-ci");
    await h.clock.advanceAsync(60_000);
    expect(h.cluster.writes()).toEqual([]);
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
    // A dry run would show the other namespace's workloads: refused as well.
    const dryRun = await rejection(
      h.manager.startUpdate({ image: newImage, classifier: "shop", dryRun: true }, { requester: "shop-ci", scope: shopOnly([{ namespaces: ["shop"] }]) }),
    );
    expect(dryRun.code).toBe("permission-denied");
  });

  it("counts the namespaces of migration templates", async () => {
    const h = createHarness();
    seedWeb(h);
    h.add({ kind: "Job", namespace: "db", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
    const error = await rejection(
      h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: shopOnly([{ namespaces: ["shop"] }]) }),
    );
    expect(error.metadata).toMatchObject({ denied: "namespace:db" });
    expect(h.cluster.writes()).toEqual([]);
  });

  it("never merges grants: shop in one and legacy in another do not cover both at once", async () => {
    const h = createHarness();
    seedShopAndLegacy(h);
    const split = shopOnly([{ namespaces: ["shop"] }, { namespaces: ["legacy"] }]);
    expect((await rejection(h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: split }))).code).toBe(
      "permission-denied",
    );
    const both = shopOnly([{ namespaces: ["legacy"] }, { classifiers: ["shop"], namespaces: ["shop", "legacy"] }]);
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: both });
    expect(started).toMatchObject({ state: "pending", requester: "shop-ci" });
    expect((await h.settle(started.id)).state).toBe("succeeded");
  });

  it("checks the classifier and the normalised repository exactly, or by a path-segment prefix", async () => {
    const h = createHarness();
    seedWeb(h);
    h.add({ kind: "Deployment", namespace: "shop", name: "admin", classifier: "shop", containers: [{ name: "app", image: "registry.example.com/shop-admin/web:1" }] });
    const only = (repositories: string[]) =>
      shopOnly([{ classifiers: ["shop"], repositories: repositories.map((text) => parseRepositoryPattern(text)) }]);

    const wrongRepository = await rejection(
      h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: only(["registry.example.com/shop/web-admin"]) }),
    );
    expect(wrongRepository.metadata).toMatchObject({ denied: "repository:registry.example.com/shop/web" });

    const wrongClassifier = await rejection(
      h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: shopOnly([{ classifiers: ["blog"] }]) }),
    );
    expect(wrongClassifier.metadata).toMatchObject({ denied: "classifier:shop" });

    // "shop/*" covers shop/web but not shop-admin/web: segments, not characters.
    const prefix = only(["registry.example.com/shop/*"]);
    const denied = await rejection(
      h.manager.startUpdate({ image: "registry.example.com/shop-admin/web:2", classifier: "shop" }, { requester: "shop-ci", scope: prefix }),
    );
    expect(denied.metadata).toMatchObject({ denied: "repository:registry.example.com/shop-admin/web" });
    expect(h.cluster.writes()).toEqual([]);
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "shop-ci", scope: prefix });
    expect(started.state).toBe("pending");
  });
});
