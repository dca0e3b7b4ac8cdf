import { describe, expect, it } from "vitest";
import type { FreezeStore } from "../../../src/core/ports/freeze-store.js";
import type { UpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";
import { createMemoryFreezeStore } from "../../../src/store/memory/memory-freeze-store.js";
import { createHarness, deployment, type Harness, rejection } from "./engine-harness.js";

const registry = "registry.example.com/shop";
const hour = 60 * 60_000;

function harness(engine: UpdateEngineOptions = {}): Harness & { freeze: FreezeStore } {
  const freeze = createMemoryFreezeStore();
  const h = createHarness({ engine, wrap: (deps) => ({ ...deps, freeze }) });
  h.add({
    kind: "Deployment",
    namespace: "shop",
    name: "web",
    classifier: "shop",
    replicas: 2,
    containers: [{ name: "web", image: `${registry}/web:0` }],
  });
  return Object.assign(h, { freeze });
}

const start = (h: Harness, tag: number, extra: { queueIfBusy?: boolean; refuseWhenFrozen?: boolean } = {}) =>
  h.manager.startUpdate({ image: `${registry}/web:${tag}`, classifier: "shop", ...extra }, { requester: "ci" });

describe("the global freeze", () => {
  it("refuses new updates while frozen (FAILED_PRECONDITION, FROZEN), recording nothing; unfreeze lets them start", async () => {
    const h = harness();
    const frozen = await h.manager.freeze("release weekend", "alice");
    expect(frozen).toMatchObject({ frozen: true, reason: "release weekend", principal: "alice" });
    expect(await h.manager.getFreeze()).toEqual(frozen);
    const refused = await rejection(start(h, 1));
    expect(refused).toMatchObject({ code: "failed-precondition", reason: "FROZEN", metadata: { frozen_by: "alice" } });
    expect(refused.message).toContain("release weekend");
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(0);

    // Freezing again changes nothing (the first freeze stays in force).
    await h.clock.advanceAsync(1000);
    expect(await h.manager.freeze("other", "bob")).toEqual(frozen);

    expect(await h.manager.unfreeze("bob")).toMatchObject({ frozen: false, principal: "bob" });
    const update = await start(h, 1);
    expect((await h.settle(update.id)).state).toBe("succeeded");
  });

  it("with the queue policy, holds new updates (queued) until unfrozen, then runs them in order", async () => {
    const h = harness({ frozenNewUpdates: "queue" });
    await h.manager.freeze("incident", "alice");
    const first = await start(h, 1);
    const second = await start(h, 2);
    expect(first.state).toBe("queued");
    expect(await h.eventTypes(first.id)).toEqual(["planned", "held"]);
    // Held past the queue timeout: a freeze does not count as waiting for busy targets.
    await h.clock.advanceAsync(2 * hour);
    await h.manager.whenIdle();
    expect((await h.store.get(first.id))?.state).toBe("queued");
    expect(h.patchWrites()).toHaveLength(0);

    await h.manager.unfreeze("alice");
    expect((await h.settle(first.id)).state).toBe("succeeded");
    expect((await h.settle(second.id)).state).toBe("succeeded");
    expect(h.imagesOf(deployment("web"))).toEqual([`web=${registry}/web:2`]);
  });

  it("refuses the registry watcher's updates even under the queue policy (it asks again later)", async () => {
    const h = harness({ frozenNewUpdates: "queue" });
    await h.manager.freeze("", "alice");
    expect(await rejection(start(h, 1, { refuseWhenFrozen: true }))).toMatchObject({ reason: "FROZEN" });
  });

  it("holds queued updates while frozen: an update queued behind a running one waits for the unfreeze", async () => {
    const h = harness();
    const running = await start(h, 1);
    const queued = await start(h, 2, { queueIfBusy: true });
    expect(queued.state).toBe("queued");
    await h.manager.freeze("", "alice");
    expect((await h.settle(running.id)).state).toBe("succeeded");
    await h.clock.advanceAsync(60_000);
    expect((await h.store.get(queued.id))?.state).toBe("queued");
    await h.manager.unfreeze("alice");
    expect((await h.settle(queued.id)).state).toBe("succeeded");
  });

  it("holds an approved update while frozen, and runs it when unfrozen", async () => {
    const h = harness({ approvalPolicies: [{ name: "all", approvers: 1, deadlineMs: hour }] });
    const update = await start(h, 1);
    await h.manager.freeze("", "alice");
    const approved = await h.manager.decideApproval({ id: update.id, decision: "approve" }, { requester: "bob" });
    expect(approved.state).toBe("waiting-for-approval");
    // Approved: its deadline no longer applies.
    await h.clock.advanceAsync(2 * hour);
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-approval");
    await h.manager.unfreeze("alice");
    expect((await h.settle(update.id)).state).toBe("succeeded");
  });

  it("answers UNIMPLEMENTED without a freeze store", async () => {
    const h = createHarness();
    expect(await rejection(h.manager.freeze("", "alice"))).toMatchObject({ code: "unimplemented" });
  });
});
