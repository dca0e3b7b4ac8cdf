import { describe, expect, it } from "vitest";
import type { Notification } from "../../../src/core/domain/notification.js";
import { notifyUpdateEvents } from "../../../src/core/use-cases/notify-update-events.js";
import type { UpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";
import { createHarness, deployment } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

/** The engine on its in-memory adapters, its store wrapped as the application wraps it. */
function notifyingHarness(options: { failing?: boolean; engine?: UpdateEngineOptions } = {}) {
  const told: Notification[] = [];
  const dispatcher = {
    notify(notification: Notification) {
      told.push(notification);
      if (options.failing === true) throw new Error("a dispatcher that throws must not fail the update");
    },
  };
  const h = createHarness({
    wrap: (deps) => ({ ...deps, store: notifyUpdateEvents(deps.store, dispatcher) }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
  });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "api", classifier: "shop", replicas: 1, containers: [{ name: "app", image: "other:1" }] });
  return { h, told };
}

describe("notifications of the update engine", () => {
  it("announces the start and the success of an update, once each, with the workloads it changes", async () => {
    const { h, told } = notifyingHarness();
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(started.id);
    expect(done.state).toBe("succeeded");
    expect(told.map((n) => n.kind)).toEqual(["update-started", "update-succeeded"]);
    expect(told[1]).toMatchObject({
      classifier: "shop",
      workloads: [deployment("web")],
      image: newImage,
      updateId: started.id,
      traceId: done.trace?.traceId,
      state: "succeeded",
      requester: "ci",
    });
    expect(done.trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("asks for approval when an update must wait for approvers, and announces its start once approved", async () => {
    const { h, told } = notifyingHarness({
      engine: { approvalPolicies: [{ name: "production", classifiers: ["shop"], approvers: 1, deadlineMs: 60 * 60_000 }] },
    });
    const waiting = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    expect(waiting.state).toBe("waiting-for-approval");
    expect(told.map((n) => n.kind)).toEqual(["approval-needed"]);
    expect(told[0]).toMatchObject({ updateId: waiting.id, image: newImage, state: "waiting-for-approval", requester: "ci" });
    expect(told[0]?.reason).toContain("needs 1 approvals");
    await h.manager.decideApproval({ id: waiting.id, decision: "approve" }, { requester: "alice" });
    expect((await h.settle(waiting.id)).state).toBe("succeeded");
    expect(told.map((n) => n.kind)).toEqual(["approval-needed", "update-started", "update-succeeded"]);
  });

  it("announces a rollback as rolled back, with the reason", async () => {
    const { h, told } = notifyingHarness();
    h.cluster.failImage(newImage, "crash-loop");
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(started.id);
    expect(done.state).toBe("rolled-back");
    expect(told.map((n) => n.kind)).toEqual(["update-started", "update-rolled-back"]);
    expect(told[1]?.reason).toBe(done.reason);
    expect(told[1]?.reason).not.toBe("");
  });

  it("announces a cancelled update as failed, with its state", async () => {
    const { h, told } = notifyingHarness();
    h.cluster.failImage(newImage, "unready");
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(1000);
    await h.manager.cancelUpdate(started.id, "wrong build", "ci");
    const done = await h.settle(started.id);
    expect(done.state).toBe("cancelled");
    expect(told.map((n) => [n.kind, n.state])).toEqual([
      ["update-started", "running"],
      ["update-failed", "cancelled"],
    ]);
  });

  it("does not announce a refused request, and an update whose notifier throws still succeeds", async () => {
    const { h, told } = notifyingHarness({ failing: true });
    await h.manager.recordRefusedUpdate({ image: newImage, classifier: "shop", requester: "ci", reason: "NO_TARGETS: nothing runs it" });
    expect(told).toEqual([]);
    const started = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(started.id);
    expect(done.state).toBe("succeeded");
    expect(told.map((n) => n.kind)).toEqual(["update-started", "update-succeeded"]);
    expect(h.errorLogs()).toEqual([]);
  });
});
