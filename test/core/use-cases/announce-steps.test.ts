import { describe, expect, it } from "vitest";
import type { RecordedStepEvent } from "../../../src/cluster/simulated/simulated-step-events.js";
import { createHarness, deployment, isEvent } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";
const migrationTemplate = { kind: "Job", namespace: "shop", name: "web-migrate" } as const;

function seed(h: ReturnType<typeof createHarness>, options: { migration?: boolean } = {}) {
  if (options.migration ?? true) {
    h.add({ kind: "Job", namespace: "shop", name: "web-migrate", classifier: "shop", containers: [{ name: "migrate", image: oldImage }] });
  }
  h.add({ kind: "Deployment", namespace: "shop", name: "api", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
}

/** "Reason on-object (type)": what `kubectl describe` of each object would list, in order. */
function timeline(events: readonly RecordedStepEvent[]): string[] {
  return events.map((event) => `${event.reason} ${event.workload === undefined ? "update" : event.workload.name} ${event.type}`);
}

describe("step events of an update", () => {
  it("tells each milestone of a successful update once, on the object it concerns, and no progress", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    // The update recorded progress, which is not a milestone.
    expect((await h.eventTypes(id)).filter((type) => type === "workload-progress").length).toBeGreaterThan(0);

    expect(timeline(h.stepEvents.list({ updateId: id }))).toEqual([
      "UpdateStarted update Normal",
      "MigrationStarted web-migrate Normal",
      "MigrationSucceeded web-migrate Normal",
      "WorkloadPatched api Normal",
      "WorkloadHealthy api Normal",
      "WorkloadPatched web Normal",
      "WorkloadHealthy web Normal",
      "UpdateSucceeded update Normal",
    ]);
    const events = h.stepEvents.list({ updateId: id });
    expect(events.every((event) => event.count === 1 && event.image === newImage)).toBe(true);
    expect(events.every((event) => event.note.includes(id))).toBe(true);
    expect(h.stepEvents.list({ workload: deployment("web") }).map((event) => event.note)).toEqual([
      `Update ${id} set container app: ${oldImage} -> ${newImage}`,
      `Update ${id} (${newImage}): rolled out and healthy`,
    ]);
    expect(h.stepEvents.list({ workload: migrationTemplate })[0]!.note).toBe(
      `Update ${id} (${newImage}): migration Job ${done.migrations[0]!.jobName} started from this template`,
    );
    expect(h.stepEvents.list({ updateLevel: true }).map((event) => event.note)).toEqual([
      `Update ${id} started: ${newImage} for classifier shop, 2 workloads to patch, 1 migration`,
      `Update ${id} (${newImage}) succeeded`,
    ]);
  });

  it("warns of a failed migration on its template and of the failed update, and touches no workload", async () => {
    const h = createHarness();
    seed(h);
    h.cluster.failJobs(() => true);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("failed");

    expect(timeline(h.stepEvents.list({ updateId: id }))).toEqual([
      "UpdateStarted update Normal",
      "MigrationStarted web-migrate Normal",
      "MigrationFailed web-migrate Warning",
      "UpdateFailed update Warning",
    ]);
    const [failed] = h.stepEvents.list({ workload: migrationTemplate }).filter((event) => event.reason === "MigrationFailed");
    expect(failed!.note).toContain(done.migrations[0]!.jobName);
    expect(failed!.note).toContain("BackoffLimitExceeded");
    expect(h.stepEvents.list({ updateLevel: true }).at(-1)!.note).toBe(`Update ${id} (${newImage}) failed: ${done.reason}`);
    expect(h.stepEvents.list({ workload: deployment("api") })).toEqual([]);
  });

  it("warns of the failing workload and the rollback, and tells what was restored", async () => {
    const h = createHarness();
    seed(h, { migration: false });
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("rolled-back");

    expect(timeline(h.stepEvents.list({ updateId: id }))).toEqual([
      "UpdateStarted update Normal",
      "WorkloadPatched api Normal",
      "WorkloadFailed api Warning",
      "RollbackStarted update Warning",
      "WorkloadRolledBack api Normal",
      "UpdateRolledBack update Warning",
    ]);
    const onApi = h.stepEvents.list({ workload: deployment("api") });
    expect(onApi.find((event) => event.reason === "WorkloadFailed")!.note).toContain("CrashLoopBackOff");
    expect(onApi.find((event) => event.reason === "WorkloadRolledBack")!.note).toBe(
      `Update ${id} restored container app: ${newImage} -> ${oldImage}`,
    );
    expect(h.stepEvents.list({ updateLevel: true }).find((event) => event.reason === "RollbackStarted")!.note).toContain(
      `Update ${id} (${newImage}) rolls back 1 workload: `,
    );
  });

  it("tells that a restarted engine resumed the update, without starting it twice", async () => {
    const h = createHarness();
    seed(h, { migration: false });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("api")), 60_000, 1);
    await h.manager.shutdown();

    const restarted = h.restart();
    await restarted.resumeUnfinished();
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("succeeded");
    const reasons = h.stepEvents.list({ updateLevel: true }).map((event) => event.reason);
    expect(reasons).toEqual(["UpdateStarted", "UpdateResumed", "UpdateSucceeded"]);
    expect(h.stepEvents.list({ updateLevel: true })[1]!.note).toBe(`Update ${id} (${newImage}) resumed while rolling-out`);
  });

  it("finishes the update when the recorder throws, and logs it", async () => {
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        stepEvents: {
          record() {
            throw new Error("recorder broken");
          },
        },
      }),
    });
    seed(h, { migration: false });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect((await h.settle(id)).state).toBe("succeeded");
    expect(h.logLines.filter((line) => line.message.startsWith("the step event recorder failed")).length).toBeGreaterThan(0);
  });

  it("tells that a queued update timed out without running", async () => {
    const h = createHarness({ cluster: { rolloutStepMs: 60_000 }, engine: { queueTimeoutMs: 1_000 } });
    seed(h, { migration: false });
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const queued = await h.manager.startUpdate(
      { image: "registry.example.com/shop/web:3.0", classifier: "shop", queueIfBusy: true },
      { requester: "ci" },
    );
    expect(queued.state).toBe("queued");
    const done = await h.settle(queued.id);
    expect(done.state).toBe("failed");
    expect(timeline(h.stepEvents.list({ updateId: queued.id }))).toEqual(["UpdateFailed update Warning"]);
    await h.settle(first.id);
  });
});
