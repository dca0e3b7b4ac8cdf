import { describe, expect, it } from "vitest";
import type { UpdateEvent } from "../../../src/core/domain/update-event.js";
import { createHarness, deployment, isEvent } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";
const migrationTemplate = { kind: "Job", namespace: "shop", name: "web-migrate" } as const;

function seedShop(h: ReturnType<typeof createHarness>) {
  h.add({
    kind: "Job",
    namespace: "shop",
    name: "web-migrate",
    classifier: "shop",
    containers: [{ name: "migrate", image: oldImage }],
  });
  h.add({ kind: "Deployment", namespace: "shop", name: "api", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 3, containers: [{ name: "app", image: oldImage }] });
}

describe("executing an update", () => {
  it("runs the migration to completion before patching the first workload, then rolls out each workload", async () => {
    const h = createHarness();
    seedShop(h);

    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect(started.state).toBe("pending");
    const done = await h.settle(started.id);

    expect(done.state).toBe("succeeded");
    expect(done.reason).toBe("");
    expect(done.finishTime).toBeDefined();
    expect(done.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ["api", "healthy"],
      ["web", "healthy"],
    ]);
    expect(done.migrations.map((m) => m.phase)).toEqual(["succeeded"]);

    const writes = h.cluster.writes();
    expect(writes.map((w) => `${w.operation} ${w.target.name} ${w.outcome}`)).toEqual([
      `create-job ${done.migrations[0]!.jobName} applied`,
      "patch-images api applied",
      "patch-images web applied",
    ]);
    const job = writes[0]!.job!;
    expect(job.images).toEqual([{ container: "migrate", init: false, image: newImage }]);
    expect(job.labels).toEqual({
      [h.keys.updateIdLabel]: started.id,
      [h.keys.migrationOfLabel]: "web-migrate",
    });
    expect(job.activeDeadlineSeconds).toBe(600);
    // The migration had completed before the first patch was sent.
    const events = await h.events(started.id);
    const migrated = events.find((e) => e.type === "migration-succeeded")!;
    const firstPatch = events.find((e) => e.type === "workload-patched")!;
    expect(migrated.sequence).toBeLessThan(firstPatch.sequence);
    expect(writes[1]!.time.getTime()).toBeGreaterThanOrEqual(migrated.time.getTime());

    expect(h.imagesOf(deployment("api"))).toEqual([`app=${newImage}`]);
    expect(h.imagesOf(deployment("web"))).toEqual([`app=${newImage}`]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
    expect(h.locks.holder(migrationTemplate)).toBeUndefined();
    expect(h.errorLogs()).toEqual([]);
  });

  it("starts executing an accepted update where deferStart lets it, after the accept's answer, and runs it to its end", async () => {
    const deferred: (() => void)[] = [];
    const h = createHarness({ wrap: (deps) => ({ ...deps, deferStart: (start) => deferred.push(start) }) });
    seedShop(h);

    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    // One turn of the event loop: an execution started at once would have written by then.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(deferred).toHaveLength(1);
    expect((await h.store.get(started.id))?.state).toBe("pending");
    expect((await h.events(started.id)).map((e) => e.type)).toEqual(["planned"]);
    expect(h.cluster.writes()).toEqual([]);

    deferred[0]!();
    const done = await h.settle(started.id);
    expect(done.state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([`app=${newImage}`]);
  });

  it("records gapless events in pipeline order, ending with exactly one finished event", async () => {
    const h = createHarness();
    seedShop(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(id);

    const events = await h.events(id);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "finished")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "finished", state: "succeeded", reason: "" });
    const milestones = events.map((e) => e.type).filter((type) => type !== "workload-progress");
    expect(milestones).toEqual([
      "planned",
      "migration-started",
      "migration-succeeded",
      "workload-patched",
      "workload-healthy",
      "workload-patched",
      "workload-healthy",
      "finished",
    ]);
    // Progress of the 3-replica rollout was reported between its patch and its healthy event.
    const webProgress = events.filter(isEvent("workload-progress", deployment("web")));
    expect(webProgress.length).toBeGreaterThan(0);
    const patchedWeb = events.find(isEvent("workload-patched", deployment("web")))!;
    const healthyWeb = events.find(isEvent("workload-healthy", deployment("web")))!;
    for (const event of webProgress) {
      expect(event.sequence).toBeGreaterThan(patchedWeb.sequence);
      expect(event.sequence).toBeLessThan(healthyWeb.sequence);
    }
  });

  it("coalesces progress events to at most one per workload per interval", async () => {
    // 10 replicas, a controller step every 100ms: dozens of status changes within a few seconds.
    const h = createHarness({ cluster: { rolloutStepMs: 100 }, engine: { progressIntervalMs: 1000 } });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 10, maxSurge: 1, maxUnavailable: 0, containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(id, 60_000, 50);

    const events = await h.events(id);
    const progress = events.filter((e) => e.type === "workload-progress");
    expect(progress.length).toBeGreaterThan(1);
    const patched = events.find((e) => e.type === "workload-patched")!;
    const healthy = events.find((e) => e.type === "workload-healthy")!;
    // The latest state still waiting for its interval is flushed right before the healthy event.
    const flushed = progress.at(-1)!;
    expect(flushed.sequence).toBe(healthy.sequence - 1);
    expect(flushed).toMatchObject({ rollout: { state: "progressing" } });
    const times = progress.slice(0, -1).map((e) => e.time.getTime());
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    // The rollout took longer than one interval, so coalescing really dropped intermediate states.
    const statusChanges = (healthy.time.getTime() - patched.time.getTime()) / 100;
    expect(progress.length).toBeLessThan(statusChanges);
  });

  it("ends FAILED with no workload touched when a migration fails, naming the Job", async () => {
    const h = createHarness();
    seedShop(h);
    h.cluster.failJobs(() => true);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("failed");
    const jobName = done.migrations[0]!.jobName;
    expect(done.reason).toContain(jobName);
    expect(done.reason).toContain("BackoffLimitExceeded");
    expect(done.migrations[0]!.phase).toBe("failed");
    expect(done.workloads.every((w) => w.phase === "pending" && !w.patched)).toBe(true);
    expect(h.patchWrites()).toEqual([]);
    const types = await h.eventTypes(id);
    expect(types).toEqual(["planned", "migration-started", "migration-failed", "finished"]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();
  });

  it("gives migrations the update's remaining time as their active deadline, and fails on the update timeout", async () => {
    const h = createHarness();
    seedShop(h);
    h.cluster.hangJobs(() => true);
    const { id } = await h.manager.startUpdate(
      { image: newImage, classifier: "shop", updateTimeoutMs: 120_000 },
      { requester: "ci" },
    );
    const done = await h.settle(id);

    expect(h.cluster.writes()[0]!.job!.activeDeadlineSeconds).toBe(120);
    expect(done.state).toBe("failed");
    expect(done.reason).toContain(done.migrations[0]!.jobName);
    expect(h.patchWrites()).toEqual([]);
    // Ended by the update's own timer or by the Job's deadline, whichever fired first: never later.
    expect(done.finishTime!.getTime() - done.startTime!.getTime()).toBeLessThanOrEqual(120_000 + 500);
  });

  it("runs migrations one at a time: explicit order first, then by namespace and name", async () => {
    const h = createHarness();
    for (const [name, order] of [["c-last", undefined], ["a-second", 20], ["b-first", 10], ["a-unordered", undefined]] as const) {
      h.add({
        kind: "Job",
        namespace: "shop",
        name,
        classifier: "shop",
        ...(order === undefined ? {} : { migrationOrder: order }),
        containers: [{ name: "migrate", image: oldImage }],
      });
    }
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("succeeded");
    expect(done.plan.migrations.map((m) => [m.template.name, m.order])).toEqual([
      ["b-first", 10],
      ["a-second", 20],
      ["a-unordered", 0],
      ["c-last", 0],
    ]);
    const events = await h.events(id);
    const sequence = events
      .filter((e) => e.type === "migration-started" || e.type === "migration-succeeded")
      .map((e) => `${e.type === "migration-started" ? "start" : "done"} ${(e as Extract<UpdateEvent, { template: unknown }>).template.name}`);
    expect(sequence).toEqual([
      "start b-first",
      "done b-first",
      "start a-second",
      "done a-second",
      "start a-unordered",
      "done a-unordered",
      "start c-last",
      "done c-last",
    ]);
  });

  it("runs an update of migrations only", async () => {
    const h = createHarness();
    h.add({ kind: "Job", namespace: "shop", name: "web-migrate", classifier: "shop", containers: [{ name: "migrate", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    expect(h.cluster.writes().map((w) => w.operation)).toEqual(["create-job"]);
    expect(h.locks.holder(migrationTemplate)).toBeUndefined();
  });

  it("puts the new image into a CronJob's job template and counts it healthy once patched", async () => {
    const h = createHarness();
    h.add({ kind: "CronJob", namespace: "shop", name: "nightly", classifier: "shop", containers: [{ name: "report", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("succeeded");
    expect(done.workloads[0]).toMatchObject({ phase: "healthy", rollout: { state: "not-applicable" } });
    expect(h.imagesOf({ kind: "CronJob", namespace: "shop", name: "nightly" })).toEqual([`report=${newImage}`]);
  });

  it("updates matching init containers and leaves other containers alone", async () => {
    const h = createHarness();
    h.add({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      classifier: "shop",
      containers: [
        { name: "wait-for-db", image: oldImage, init: true },
        { name: "app", image: oldImage },
        { name: "proxy", image: "docker.io/envoyproxy/envoy:v1.30" },
      ],
    });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([
      `wait-for-db=${newImage}`,
      `app=${newImage}`,
      "proxy=docker.io/envoyproxy/envoy:v1.30",
    ]);
    expect(h.patchWrites()[0]!.patches).toEqual([
      { container: "wait-for-db", init: true, expectedImage: oldImage, newImage },
      { container: "app", init: false, expectedImage: oldImage, newImage },
    ]);
  });

  it("patches an OnDelete StatefulSet and counts it healthy at once, since its rollout cannot be watched", async () => {
    const h = createHarness();
    h.add({ kind: "StatefulSet", namespace: "shop", name: "db", classifier: "shop", strategy: "OnDelete", containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    expect(done.state).toBe("succeeded");
    expect(done.plan.workloads[0]!.warnings).toContain("not gateable: rollout cannot be health-checked");
    expect(done.workloads[0]!.rollout?.state).toBe("not-gateable");
  });
});
