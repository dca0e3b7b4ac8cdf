import { GateKind } from "../../../gen/updatemanager/v1/gate_pb.js";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  MigrationPhase,
  type Update,
  UpdatePhase,
  UpdateSchema,
  UpdateState,
  WorkloadPhase,
  WorkloadStatusSchema,
} from "../../../gen/updatemanager/v1/update_pb.js";
import { RolloutState } from "../../../gen/updatemanager/v1/workload_pb.js";
import { applyEvent, type LiveUpdate, liveUpdateFrom } from "../../../src/dashboard/browser/live-update.js";
import { deployment, event, job } from "./events.js";

const web = deployment("web");
const worker = deployment("worker");
const migrate = job("web-migrate");

/** A freshly recorded update: only its plan, no status yet. */
function pendingUpdate(): Update {
  return create(UpdateSchema, {
    id: "u1",
    state: UpdateState.PENDING,
    phase: UpdatePhase.PLANNING,
    image: "registry.example.com/shop/web:1.5.0",
    classifier: "shop",
    requester: "shop-ci",
    plan: {
      migrations: [{ template: migrate, jobName: "web-migrate-1a2b" }],
      workloads: [{ workload: web }, { workload: worker }, { workload: deployment("admin"), unchanged: true }],
    },
    lastSequence: 0n,
  });
}

function fold(model: LiveUpdate, ...events: Parameters<typeof applyEvent>[1][]): LiveUpdate {
  return events.reduce(applyEvent, model);
}

const rollout = (updated: number, ready: number, available: number, desired = 3) => ({
  state: RolloutState.PROGRESSING,
  desiredReplicas: desired,
  updatedReplicas: updated,
  readyReplicas: ready,
  availableReplicas: available,
});

describe("the live view's model of one update", () => {
  it("starts a pending update from its plan: migrations and workloads pending, untouched ones unchanged", () => {
    const model = liveUpdateFrom(pendingUpdate());
    expect(model.state).toBe(UpdateState.PENDING);
    expect(model.migrations).toEqual([
      { ref: migrate, jobName: "web-migrate-1a2b", phase: MigrationPhase.PENDING, message: "" },
    ]);
    expect(model.workloads.map((w) => [w.ref?.name, w.phase])).toEqual([
      ["web", WorkloadPhase.PENDING],
      ["worker", WorkloadPhase.PENDING],
      ["admin", WorkloadPhase.UNCHANGED],
    ]);
    expect(model.rollback).toBeUndefined();
  });

  it("shows a queued update as QUEUED, then its new plan and PENDING when it leaves the queue", () => {
    const start = liveUpdateFrom(pendingUpdate());
    const queued = fold(start, event(1, { case: "planned", value: {} }), event(2, { case: "queued", value: { behindUpdateIds: ["u0"] } }));
    expect(queued.state).toBe(UpdateState.QUEUED);
    const replanned = fold(queued, event(3, { case: "planned", value: { plan: { workloads: [{ workload: worker }] } } }));
    expect(replanned.state).toBe(UpdateState.PENDING);
    expect(replanned.workloads.map((w) => w.ref?.name)).toEqual(["worker"]);
    expect(replanned.migrations).toEqual([]);
  });

  it("shows an update waiting for approval as WAITING_FOR_APPROVAL, then PENDING with its new plan once approved", () => {
    const start = liveUpdateFrom(pendingUpdate());
    const waiting = fold(
      start,
      event(1, { case: "planned", value: {} }),
      event(2, { case: "approvalRequired", value: { requiredApprovals: 1, policy: 'policy "production"' } }),
      event(3, { case: "approvalGranted", value: { approver: "alice", approvals: 1, requiredApprovals: 1 } }),
    );
    expect(waiting.state).toBe(UpdateState.WAITING_FOR_APPROVAL);
    const replanned = fold(waiting, event(4, { case: "planned", value: { plan: { workloads: [{ workload: worker }] } } }));
    expect(replanned.state).toBe(UpdateState.PENDING);
    expect(replanned.workloads.map((w) => w.ref?.name)).toEqual(["worker"]);
  });

  it("shows an update waiting for a gate as WAITING_FOR_GATE, then PENDING once planned again; a running one stays RUNNING", () => {
    const start = liveUpdateFrom(pendingUpdate());
    const gateClosed = { case: "gateClosed" as const, value: { gate: GateKind.ALERTS, policy: 'alert gate "no-pages"', reason: "1 alert fires" } };
    const waiting = fold(start, event(1, { case: "planned", value: {} }), event(2, gateClosed));
    expect(waiting.state).toBe(UpdateState.WAITING_FOR_GATE);
    expect(waiting.gateWait?.reason).toBe("1 alert fires");
    const replanned = fold(
      waiting,
      event(3, { case: "gateOpened", value: { gate: GateKind.ALERTS, policy: 'alert gate "no-pages"', waitedMs: 1000n } }),
      event(4, { case: "planned", value: { plan: { workloads: [{ workload: worker }] } } }),
    );
    expect(replanned.state).toBe(UpdateState.PENDING);
    expect(replanned.workloads.map((w) => w.ref?.name)).toEqual(["worker"]);
    const running = { ...liveUpdateFrom(pendingUpdate()), state: UpdateState.RUNNING };
    expect(fold(running, event(1, gateClosed)).state).toBe(UpdateState.RUNNING);
  });

  it("prefers the update's own status lists once it has them", () => {
    const update = pendingUpdate();
    update.state = UpdateState.RUNNING;
    update.workloads = [
      create(WorkloadStatusSchema, { workload: web, phase: WorkloadPhase.ROLLING_OUT, rollout: rollout(1, 3, 3) }),
    ];
    const model = liveUpdateFrom(update);
    expect(model.workloads).toHaveLength(1);
    expect(model.workloads[0]?.phase).toBe(WorkloadPhase.ROLLING_OUT);
    expect(model.workloads[0]?.rollout?.updatedReplicas).toBe(1);
  });

  it("follows a successful update: migration, rollout with progress per workload, SUCCEEDED", () => {
    const start = liveUpdateFrom(pendingUpdate());
    const migrating = fold(start, event(1, { case: "planned", value: {} }), event(2, { case: "migrationStarted", value: { template: migrate, jobName: "web-migrate-1a2b" } }));
    expect(migrating.state).toBe(UpdateState.RUNNING);
    expect(migrating.phase).toBe(UpdatePhase.MIGRATING);
    expect(migrating.migrations[0]?.phase).toBe(MigrationPhase.RUNNING);

    const rolling = fold(
      migrating,
      event(3, { case: "migrationSucceeded", value: { template: migrate, jobName: "web-migrate-1a2b" } }),
      event(4, { case: "workloadPatched", value: { workload: web } }),
      event(5, { case: "workloadProgress", value: { workload: web, rollout: rollout(2, 3, 3) } }),
    );
    expect(rolling.phase).toBe(UpdatePhase.ROLLING_OUT);
    expect(rolling.migrations[0]?.phase).toBe(MigrationPhase.SUCCEEDED);
    const webNow = rolling.workloads.find((w) => w.ref?.name === "web");
    expect(webNow?.phase).toBe(WorkloadPhase.ROLLING_OUT);
    expect([webNow?.rollout?.updatedReplicas, webNow?.rollout?.readyReplicas, webNow?.rollout?.availableReplicas]).toEqual([2, 3, 3]);
    expect(rolling.workloads.find((w) => w.ref?.name === "worker")?.phase).toBe(WorkloadPhase.PENDING);

    const done = fold(
      rolling,
      event(6, { case: "workloadHealthy", value: { workload: web } }),
      event(7, { case: "workloadPatched", value: { workload: worker } }),
      event(8, { case: "workloadHealthy", value: { workload: worker } }),
      event(9, { case: "finished", value: { state: UpdateState.SUCCEEDED } }),
    );
    expect(done.state).toBe(UpdateState.SUCCEEDED);
    expect(done.phase).toBe(UpdatePhase.FINISHED);
    expect(done.workloads.map((w) => w.phase)).toEqual([WorkloadPhase.HEALTHY, WorkloadPhase.HEALTHY, WorkloadPhase.UNCHANGED]);
    expect(done.lastSequence).toBe(9n);
  });

  it("shows a failed rollout's rollback: what is restored, what cannot be undone, and ROLLED_BACK", () => {
    const model = fold(
      liveUpdateFrom(pendingUpdate()),
      event(1, { case: "workloadPatched", value: { workload: web } }),
      event(2, { case: "workloadFailed", value: { workload: web, reason: "CrashLoopBackOff" } }),
      event(3, { case: "rollbackStarted", value: { reason: "web failed", workloads: [web], migrationsNotUndone: [migrate] } }),
    );
    expect(model.state).toBe(UpdateState.ROLLING_BACK);
    expect(model.phase).toBe(UpdatePhase.ROLLING_BACK);
    expect(model.workloads[0]).toMatchObject({ phase: WorkloadPhase.FAILED, message: "CrashLoopBackOff" });
    expect(model.rollback).toEqual({ reason: "web failed", workloads: [web], migrationsNotUndone: [migrate] });

    const finished = fold(
      model,
      // A late progress event during the rollback must not make the update look RUNNING again.
      event(4, { case: "workloadPatched", value: { workload: web } }),
      event(5, { case: "workloadRolledBack", value: { workload: web } }),
      event(6, { case: "rollbackFinished", value: { success: true } }),
      event(7, { case: "finished", value: { state: UpdateState.ROLLED_BACK, reason: "web failed" } }),
    );
    expect(finished.state).toBe(UpdateState.ROLLED_BACK);
    expect(finished.reason).toBe("web failed");
    expect(finished.workloads[0]?.phase).toBe(WorkloadPhase.ROLLED_BACK);
    expect(finished.rollback?.result).toEqual({ success: true, remaining: [] });
  });

  it("names what a failed rollback left behind", () => {
    const model = fold(
      liveUpdateFrom(pendingUpdate()),
      event(1, { case: "rollbackStarted", value: { reason: "timeout", workloads: [web, worker] } }),
      event(2, { case: "workloadRollbackFailed", value: { workload: worker, reason: "forbidden" } }),
      event(3, { case: "rollbackFinished", value: { success: false, remaining: [worker] } }),
      event(4, { case: "finished", value: { state: UpdateState.ROLLBACK_FAILED, reason: "worker not restored" } }),
    );
    expect(model.state).toBe(UpdateState.ROLLBACK_FAILED);
    expect(model.workloads.find((w) => w.ref?.name === "worker")).toMatchObject({
      phase: WorkloadPhase.ROLLBACK_FAILED,
      message: "forbidden",
    });
    expect(model.rollback?.result).toEqual({ success: false, remaining: [worker] });
  });

  it("ignores events the snapshot already reflects, so replaying the history cannot roll progress back", () => {
    const update = pendingUpdate();
    update.state = UpdateState.RUNNING;
    update.lastSequence = 5n;
    const snapshot = liveUpdateFrom(update);
    const replayed = fold(
      snapshot,
      event(4, { case: "workloadProgress", value: { workload: web, rollout: rollout(0, 3, 3) } }),
      event(5, { case: "migrationStarted", value: { template: migrate } }),
    );
    expect(replayed).toBe(snapshot);
    const newer = applyEvent(replayed, event(6, { case: "workloadProgress", value: { workload: web, rollout: rollout(3, 3, 3) } }));
    expect(newer.workloads[0]?.rollout?.updatedReplicas).toBe(3);
    expect(newer.lastSequence).toBe(6n);
  });

  it("records a conflict without claiming the workload was changed", () => {
    const model = applyEvent(
      liveUpdateFrom(pendingUpdate()),
      event(1, {
        case: "workloadConflict",
        value: { workload: worker, container: "worker", expectedImage: "shop/web:1.4.2", actualImage: "shop/web:9.9.9" },
      }),
    );
    expect(model.workloads.find((w) => w.ref?.name === "worker")).toMatchObject({
      phase: WorkloadPhase.CONFLICT,
      message: "container worker runs shop/web:9.9.9, expected shop/web:1.4.2",
    });
  });

  it("adds a workload the snapshot did not list when an event names it", () => {
    const model = applyEvent(
      liveUpdateFrom(pendingUpdate()),
      event(1, { case: "workloadPatched", value: { workload: deployment("storefront", "legacy") } }),
    );
    expect(model.workloads.map((w) => w.ref?.name)).toEqual(["web", "worker", "admin", "storefront"]);
  });

  it("marks a requested cancel and never changes the model it was given", () => {
    const start = Object.freeze(liveUpdateFrom(pendingUpdate()));
    const model = applyEvent(start, event(1, { case: "cancelRequested", value: { reason: "wrong tag", requester: "ops" } }));
    expect(model.cancelRequested).toBe(true);
    expect(start.cancelRequested).toBe(false);
    expect(start.lastSequence).toBe(0n);
  });
});
