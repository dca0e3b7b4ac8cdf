import { describe, expect, it } from "vitest";
import { createHarness, deployment, rejection } from "./engine-harness.js";

const image = "registry.example.com/shop/web:1.0";

function seed(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image }], fieldManagers: ["helm-controller"] });
  h.add({ kind: "Deployment", namespace: "shop", name: "admin", classifier: "shop", containers: [{ name: "app", image: "registry.example.com/shop/web-admin:1.0" }] });
  h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", migrationOrder: 3, containers: [{ name: "m", image }] });
  h.add({ kind: "Job", namespace: "shop", name: "adhoc", classifier: "shop", suspended: false, containers: [{ name: "m", image }] });
  h.add({ kind: "CronJob", namespace: "blog", name: "nightly", classifier: "blog", containers: [{ name: "c", image: "nginx:1.27" }] });
  h.add({ kind: "StatefulSet", namespace: "blog", name: "db", legacyClassifier: "blog", containers: [{ name: "db", image: "postgres:16" }] });
  h.add({ kind: "Deployment", namespace: "blog", name: "untracked", containers: [{ name: "c", image: "nginx:1.27" }] });
}

describe("listing targets", () => {
  it("lists opted-in objects from the cache ordered by namespace, kind and name, with role, rollout and warnings", async () => {
    const h = createHarness();
    seed(h);
    const { items, nextPageToken } = await h.manager.listTargets({});
    expect(nextPageToken).toBe("");
    expect(items.map((t) => `${t.workload.namespace}/${t.workload.kind}/${t.workload.name}`)).toEqual([
      "blog/CronJob/nightly",
      "blog/StatefulSet/db",
      "shop/Deployment/admin",
      "shop/Deployment/web",
      "shop/Job/adhoc",
      "shop/Job/migrate",
    ]);
    const byName = Object.fromEntries(items.map((t) => [t.workload.name, t]));
    expect(byName["web"]).toMatchObject({
      role: "workload",
      classifier: "shop",
      containers: [{ name: "app", image, init: false }],
      rollout: { state: "complete", desired: 2, ready: 2 },
      warnings: ["fields are managed by helm-controller: it may revert this change"],
    });
    expect(byName["web"]!.busyUpdateId).toBeUndefined();
    expect(byName["migrate"]).toMatchObject({ role: "migration", migrationOrder: 3, rollout: { state: "not-applicable" }, warnings: [] });
    expect(byName["adhoc"]!.warnings).toEqual(["Job shop/adhoc is not suspended: it ran by itself when it was created; set spec.suspend: true so the template never runs on its own"]);
    expect(byName["adhoc"]!.migrationOrder).toBeUndefined();
    expect(byName["nightly"]!.rollout.state).toBe("not-applicable");
    expect(byName["db"]!.classifier).toBe("blog");
  });

  it("filters by classifier, namespace and exact normalised repository", async () => {
    const h = createHarness();
    seed(h);
    const names = async (query: Parameters<typeof h.manager.listTargets>[0]) =>
      (await h.manager.listTargets(query)).items.map((t) => t.workload.name);
    expect(await names({ classifier: "blog" })).toEqual(["nightly", "db"]);
    expect(await names({ namespace: "shop", repository: "registry.example.com/shop/web" })).toEqual(["web", "adhoc", "migrate"]);
    expect(await names({ repository: "registry.example.com/shop/web:any-tag" })).toEqual(["web", "adhoc", "migrate"]);
    expect(await names({ repository: "docker.io/library/nginx" })).toEqual(["nightly"]);
    expect(await names({ classifier: "shop", repository: "nginx" })).toEqual([]);
    expect(await rejection(h.manager.listTargets({ repository: "Not A Repo" }))).toMatchObject({
      code: "invalid-argument",
      metadata: { field: "repository" },
    });
  });

  it("leaves legacy-annotated objects out when legacy mode is off", async () => {
    const h = createHarness({ engine: { legacyAnnotation: false } });
    seed(h);
    expect((await h.manager.listTargets({ classifier: "blog" })).items.map((t) => t.workload.name)).toEqual(["nightly"]);
  });

  it("pages with an opaque token and bounded page sizes", async () => {
    const h = createHarness();
    seed(h);
    const first = await h.manager.listTargets({ pageSize: 4 });
    expect(first.items).toHaveLength(4);
    expect(first.nextPageToken).not.toBe("");
    // Objects appearing meanwhile neither repeat nor shift the next page.
    h.add({ kind: "Deployment", namespace: "a-first", name: "new", classifier: "x", containers: [{ name: "c", image }] });
    const second = await h.manager.listTargets({ pageSize: 4, pageToken: first.nextPageToken });
    expect(second.items.map((t) => t.workload.name)).toEqual(["adhoc", "migrate"]);
    expect(second.nextPageToken).toBe("");

    expect(await rejection(h.manager.listTargets({ pageSize: 501 }))).toMatchObject({ code: "invalid-argument", metadata: { field: "page_size" } });
    expect(await rejection(h.manager.listTargets({ pageSize: -1 }))).toMatchObject({ code: "invalid-argument", metadata: { field: "page_size" } });
    expect(await rejection(h.manager.listTargets({ pageToken: "garbage!" }))).toMatchObject({ code: "invalid-argument", metadata: { field: "page_token" } });
    expect((await h.manager.listTargets({ pageSize: 500 })).items).toHaveLength(7);
  });

  it("defaults to pages of 100", async () => {
    const h = createHarness();
    for (let i = 0; i < 101; i++) {
      h.add({ kind: "Deployment", namespace: "load", name: `w${String(i).padStart(3, "0")}`, classifier: "load", containers: [{ name: "c", image }] });
    }
    const page = await h.manager.listTargets({});
    expect(page.items).toHaveLength(100);
    const rest = await h.manager.listTargets({ pageToken: page.nextPageToken });
    expect(rest.items.map((t) => t.workload.name)).toEqual(["w100"]);
  });

  it("shows which update holds a target", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: "registry.example.com/shop/web:2.0", classifier: "shop" }, { requester: "ci" });
    const targets = (await h.manager.listTargets({ namespace: "shop" })).items;
    const busy = Object.fromEntries(targets.map((t) => [t.workload.name, t.busyUpdateId]));
    expect(busy).toEqual({ admin: undefined, web: id, adhoc: id, migrate: id });
    await h.settle(id);
    expect((await h.manager.listTargets({ namespace: "shop" })).items.every((t) => t.busyUpdateId === undefined)).toBe(true);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
  });

  it("answers UNAVAILABLE until the cache has synced", async () => {
    const h = createHarness({ start: false });
    seed(h);
    expect(await rejection(h.manager.listTargets({}))).toMatchObject({ code: "unavailable", reason: "CACHE_NOT_SYNCED" });
  });
});
