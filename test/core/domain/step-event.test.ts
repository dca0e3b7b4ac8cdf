import { describe, expect, it } from "vitest";
import { stepEventsOf, updateResumedEvent, updateStartedEvent } from "../../../src/core/domain/step-event.js";
import type { UpdateRecord } from "../../../src/core/domain/update.js";

const web = { kind: "Deployment", namespace: "shop", name: "web" } as const;
const migrate = { kind: "Job", namespace: "shop", name: "migrate" } as const;
const image = "registry.example.com/shop/web:2.0";
const record: Pick<UpdateRecord, "id" | "image" | "classifier" | "plan" | "phase"> = {
  id: "u-1",
  image,
  classifier: "shop",
  phase: "rolling-back",
  plan: {
    migrations: [{ template: migrate, jobName: "migrate-u-1", containers: [], order: 0 }],
    workloads: [
      { workload: web, containers: [], unchanged: false, warnings: [] },
      { workload: { ...web, name: "static" }, containers: [], unchanged: true, warnings: [] },
    ],
    warnings: [],
  },
};

describe("step events", () => {
  it("says how much an update will change when it starts, and where a resumed one was", () => {
    expect(updateStartedEvent(record)).toEqual({
      reason: "UpdateStarted",
      type: "Normal",
      action: "Update",
      updateId: "u-1",
      image,
      note: `Update u-1 started: ${image} for classifier shop, 1 workload to patch, 1 migration`,
    });
    expect(updateResumedEvent(record)).toMatchObject({ reason: "UpdateResumed", note: `Update u-1 (${image}) resumed while rolling-back` });
  });

  it("warns of a conflict naming the container and both images", () => {
    const [event] = stepEventsOf(record, {
      type: "workload-conflict",
      workload: web,
      container: "app",
      expectedImage: "r/web:1.0",
      actualImage: "r/web:hotfix",
    });
    expect(event).toMatchObject({ reason: "WorkloadConflict", type: "Warning", workload: web });
    expect(event!.note).toBe(`Update u-1 (${image}): not patched: container app holds r/web:hotfix, not r/web:1.0 (changed by someone else)`);
  });

  it("says which migrations a rollback cannot undo, and warns of a workload it could not restore", () => {
    const [started] = stepEventsOf(record, { type: "rollback-started", reason: "web failed", workloads: [web], migrationsNotUndone: [migrate] });
    expect(started).toMatchObject({ reason: "RollbackStarted", type: "Warning", action: "Rollback" });
    expect(started!.workload).toBeUndefined();
    expect(started!.note).toBe(`Update u-1 (${image}) rolls back 1 workload: web failed; migrations are not undone: Job/shop/migrate`);
    const [failed] = stepEventsOf(record, { type: "workload-rollback-failed", workload: web, reason: "forbidden" });
    expect(failed).toMatchObject({ reason: "RollbackFailed", type: "Warning", workload: web, note: `Update u-1 (${image}): could not restore it: forbidden` });
  });

  it("names each outcome, Warning unless it succeeded or was cancelled", () => {
    const outcome = (state: UpdateRecord["state"], reason = "") =>
      stepEventsOf(record, { type: "finished", state, reason }).map((event) => `${event.type} ${event.reason}: ${event.note}`);
    expect(outcome("succeeded")).toEqual([`Normal UpdateSucceeded: Update u-1 (${image}) succeeded`]);
    expect(outcome("cancelled", "cancelled by ops: abandon")).toEqual([
      `Normal UpdateCancelled: Update u-1 (${image}) was cancelled: cancelled by ops: abandon`,
    ]);
    expect(outcome("rolled-back", "web failed")).toEqual([`Warning UpdateRolledBack: Update u-1 (${image}) failed and was rolled back: web failed`]);
    expect(outcome("rollback-failed", "x")).toEqual([
      `Warning UpdateRollbackFailed: Update u-1 (${image}) failed and its rollback failed: x`,
    ]);
  });

  it("makes no event of progress, plans, queueing, a cancel request or the rollback's end", () => {
    expect(stepEventsOf(record, { type: "workload-progress", workload: web, rollout: { state: "progressing", desired: 2, updated: 1, ready: 1, available: 1, message: "" } })).toEqual([]);
    expect(stepEventsOf(record, { type: "planned", plan: record.plan })).toEqual([]);
    expect(stepEventsOf(record, { type: "queued", behind: ["u-0"] })).toEqual([]);
    expect(stepEventsOf(record, { type: "cancel-requested", reason: "", requester: "ops" })).toEqual([]);
    expect(stepEventsOf(record, { type: "rollback-finished", success: true, remaining: [] })).toEqual([]);
  });

  it("carries the update's trace id, so the log lines about an event that was not recorded name the trace", () => {
    const traced = { ...record, trace: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true, attempts: 1 } };
    const events = [
      updateStartedEvent(traced),
      ...stepEventsOf(traced, { type: "workload-healthy", workload: web }),
      ...stepEventsOf(traced, { type: "finished", state: "succeeded", reason: "" }),
    ];
    expect(events.map((event) => event.traceId)).toEqual(Array(3).fill("4bf92f3577b34da6a3ce929d0e0e4736"));
    expect(updateStartedEvent(record).traceId).toBeUndefined();
  });
});
