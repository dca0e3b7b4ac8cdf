import { describe, expect, it } from "vitest";
import type { ApprovalPolicy } from "../../../src/core/domain/approval-policy.js";
import type { UpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { createHarness, deployment, type Harness, rejection } from "./engine-harness.js";

const registry = "registry.example.com/shop";
const hour = 60 * 60_000;
const production: ApprovalPolicy = { name: "production", classifiers: ["shop"], approvers: 2, deadlineMs: 24 * hour };

function harness(engine: UpdateEngineOptions = { approvalPolicies: [production] }): Harness {
  const h = createHarness({ engine });
  h.add({
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    classifier: "shop",
    replicas: 2,
    containers: [{ name: "web", image: `${registry}/web:0` }],
  });
  return h;
}

const start = (h: Harness, tag: number, extra: { queueIfBusy?: boolean } = {}) =>
  h.manager.startUpdate({ image: `${registry}/web:${tag}`, classifier: "shop", ...extra }, { requester: "ci" });
const approve = (h: Harness, id: string, who: string) => h.manager.decideApproval({ id, decision: "approve" }, { requester: who });
const reject = (h: Harness, id: string, who: string, reason = "") =>
  h.manager.decideApproval({ id, decision: "reject", reason }, { requester: who });

describe("updates that need approval", () => {
  it("waits without a lock or a change, and runs after two distinct approvers, planned again, its timeout from then", async () => {
    const h = harness();
    const update = await start(h, 1);
    expect(update).toMatchObject({ state: "waiting-for-approval", approval: { required: 2, policy: 'policy "production"', approvals: [] } });
    expect(update.approval?.deadline).toEqual(new Date(h.clock.now().getTime() + 24 * hour));
    expect(await h.eventTypes(update.id)).toEqual(["planned", "approval-required"]);
    expect(h.locks.holder(deployment("web"))).toBeUndefined();

    await h.clock.advanceAsync(2 * hour);
    const once = await approve(h, update.id, "alice");
    expect(once).toMatchObject({ state: "waiting-for-approval", approval: { approvals: [{ principal: "alice" }] } });
    // The same approver again: counted once, no new event.
    const again = await approve(h, update.id, "alice");
    expect(again.approval?.approvals).toHaveLength(1);
    expect(h.patchWrites()).toHaveLength(0);

    const twice = await approve(h, update.id, "bob");
    expect(twice.approval?.approvals.map((decision) => decision.principal)).toEqual(["alice", "bob"]);
    expect(twice.state).not.toBe("waiting-for-approval");
    const done = await h.settle(update.id);
    expect(done.state).toBe("succeeded");
    // The update timeout counts from when it ran, not from when it was asked for.
    expect(done.startTime!.getTime()).toBeGreaterThanOrEqual(update.createTime.getTime() + 2 * hour);
    expect((await h.eventTypes(update.id)).slice(0, 5)).toEqual([
      "planned",
      "approval-required",
      "approval-granted",
      "approval-granted",
      "planned",
    ]);
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:1`]);
    expect(h.errorLogs()).toEqual([]);
  });

  it("refuses the requester approving its own update (PERMISSION_DENIED, OWN_UPDATE) and counts nothing", async () => {
    const h = harness();
    const update = await start(h, 1);
    expect(await rejection(approve(h, update.id, "ci"))).toMatchObject({ code: "permission-denied", reason: "OWN_UPDATE" });
    expect(await rejection(reject(h, update.id, "ci"))).toMatchObject({ code: "permission-denied", reason: "OWN_UPDATE" });
    expect((await h.store.get(update.id))?.approval?.approvals).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown id and FAILED_PRECONDITION for an update that does not wait", async () => {
    const h = harness({});
    expect(await rejection(approve(h, "nope", "alice"))).toMatchObject({ code: "not-found", reason: "UPDATE_NOT_FOUND" });
    const running = await start(h, 1);
    expect(running.state).toBe("pending");
    expect(await rejection(approve(h, running.id, "alice"))).toMatchObject({
      code: "failed-precondition",
      reason: "NOT_WAITING_FOR_APPROVAL",
    });
    await h.settle(running.id);
    expect(await rejection(reject(h, running.id, "alice"))).toMatchObject({ code: "failed-precondition", reason: "NOT_WAITING_FOR_APPROVAL" });
  });

  it("ends FAILED with APPROVAL_REJECTED at once on a rejection; nothing changed", async () => {
    const h = harness();
    const update = await start(h, 1);
    await approve(h, update.id, "alice");
    const rejected = await reject(h, update.id, "bob", "not during the sale");
    expect(rejected).toMatchObject({ state: "failed" });
    expect(rejected.reason).toMatch(/^APPROVAL_REJECTED: rejected by bob: not during the sale/);
    expect(await h.eventTypes(update.id)).toEqual(["planned", "approval-required", "approval-granted", "approval-rejected", "finished"]);
    expect(h.patchWrites()).toHaveLength(0);
    expect(await rejection(approve(h, update.id, "carol"))).toMatchObject({ reason: "NOT_WAITING_FOR_APPROVAL" });
  });

  it("ends FAILED with APPROVAL_EXPIRED at its deadline, also after a restart", async () => {
    const h = harness({ approvalPolicies: [{ ...production, deadlineMs: 2 * hour }] });
    const update = await start(h, 1);
    await approve(h, update.id, "alice");
    await h.manager.shutdown();
    // A new process on the same store: it keeps waiting, and honours the recorded deadline.
    const restarted = h.restart({ approvalPolicies: [production] }, createMemoryTargetLocks({ clock: h.clock }));
    await restarted.resumeUnfinished();
    await h.clock.advanceAsync(hour);
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-approval");
    await h.clock.advanceAsync(hour + 1000);
    await restarted.whenIdle();
    const expired = await h.store.get(update.id);
    expect(expired?.state).toBe("failed");
    expect(expired?.reason).toMatch(/^APPROVAL_EXPIRED: 1 of 2 approvals/);
    expect(h.patchWrites()).toHaveLength(0);
  });

  it("a restarted manager keeps the approvals and runs the update after the last one", async () => {
    const h = harness();
    const update = await start(h, 1);
    await approve(h, update.id, "alice");
    await h.manager.shutdown();
    const restarted = h.restart({ approvalPolicies: [production] }, createMemoryTargetLocks({ clock: h.clock }));
    expect((await restarted.resumeUnfinished()).resumed).toEqual([]);
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-approval");
    await restarted.decideApproval({ id: update.id, decision: "approve" }, { requester: "bob" });
    expect((await h.settle(update.id, hour, 500, restarted)).state).toBe("succeeded");
  });

  it("blocks no other update while it waits; once approved it queues behind a busy target", async () => {
    const h = harness({ approvalPolicies: [{ ...production, classifiers: ["shop"], namespaces: ["shop"] }] });
    const waiting = await start(h, 1);
    // Another classifier-free path: a second request while the first waits is not TARGET_BUSY.
    const second = await start(h, 2);
    expect(second.state).toBe("waiting-for-approval");
    await approve(h, second.id, "alice");
    await approve(h, second.id, "bob");
    expect((await h.store.get(second.id))?.state).toMatch(/pending|running/);
    const approved = await approve(h, waiting.id, "alice").then(() => approve(h, waiting.id, "bob"));
    expect(approved.state).toBe("queued");
    expect(approved.queuedTime).toBeDefined();
    expect((await h.settle(second.id)).state).toBe("succeeded");
    const last = await h.settle(waiting.id);
    expect(last.state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:1`]);
  });

  it("asks for the approvers a workload annotation names (the strictest requirement wins)", async () => {
    const h = createHarness({ engine: { approvalPolicies: [{ ...production, approvers: 1 }] } });
    h.add({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      classifier: "shop",
      annotations: { "update-manager.io/approvals": "3" },
      containers: [{ name: "web", image: `${registry}/web:0` }],
    });
    const update = await start(h, 1);
    expect(update.approval).toMatchObject({ required: 3, policy: "annotation update-manager.io/approvals on Deployment shop/web" });
  });

  it("refuses an update with a malformed approvals annotation rather than running it unapproved", async () => {
    const h = createHarness();
    h.add({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      classifier: "shop",
      annotations: { "update-manager.io/approvals": "two" },
      containers: [{ name: "web", image: `${registry}/web:0` }],
    });
    expect(await rejection(start(h, 1))).toMatchObject({ code: "failed-precondition", reason: "TARGET_NOT_UPDATABLE" });
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(0);
  });

  it("refuses an update needing more approvers than may approve it (APPROVAL_IMPOSSIBLE)", async () => {
    const h = harness({ approvalPolicies: [production], approverCapacity: (requester) => (requester === "ci" ? 1 : 2) });
    expect(await rejection(start(h, 1))).toMatchObject({
      code: "failed-precondition",
      reason: "APPROVAL_IMPOSSIBLE",
      metadata: { required: "2", available: "1" },
    });
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(0);
  });

  it("only counts an approver whose scope covers the update", async () => {
    const h = harness();
    const update = await start(h, 1);
    const denied = await rejection(
      h.manager.decideApproval(
        { id: update.id, decision: "approve" },
        { requester: "alice", scope: { principal: "alice", grants: [{ namespaces: ["other"] }] } },
      ),
    );
    expect(denied).toMatchObject({ code: "permission-denied", reason: "PERMISSION_DENIED" });
    expect((await h.store.get(update.id))?.approval?.approvals).toEqual([]);
  });

  it("cancels a waiting update at once", async () => {
    const h = harness();
    const update = await start(h, 1);
    const cancelled = await h.manager.cancelUpdate(update.id, "changed my mind", "ci");
    expect(cancelled.state).toBe("cancelled");
  });

  it("says in a dry run that the update would need approval", async () => {
    const h = harness();
    const plan = await h.manager.startUpdate({ image: `${registry}/web:1`, classifier: "shop", dryRun: true }, { requester: "ci" });
    expect(plan.plan.warnings).toContain('needs 2 approvals (policy "production") before it runs');
  });
});
