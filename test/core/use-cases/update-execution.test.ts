import { describe, expect, it } from "vitest";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import type { UpdateEventBody } from "../../../src/core/domain/update-event.js";
import type { HandledFailure } from "../../../src/core/ports/failure-counter.js";
import { createHarness, deployment, rejection } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";
const otherImage = "registry.example.com/shop/web:3.0";

/** The engine on a store whose final writes (the `finished` event) fail while `failing()` says so. */
function harnessWithFailingFinalWrite(failing: () => boolean, counted: HandledFailure[] = []) {
  let attempts = 0;
  const h = createHarness({
    engine: { outcomeWriteAttempts: 4, outcomeWriteBackoffMs: 1000 },
    wrap: (deps) => ({
      ...deps,
      countFailure: (failure) => counted.push(failure),
      store: {
        ...deps.store,
        save: (record: UpdateRecord, events?: readonly UpdateEventBody[]) => {
          if (events?.some((event) => event.type === "finished")) {
            attempts++;
            if (failing()) return Promise.reject(new Error("etcdserver: request timed out"));
          }
          return deps.store.save(record, events);
        },
      },
    }),
  });
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: oldImage }] });
  return { h, attempts: () => attempts };
}

describe("an update's final write", () => {
  it("is retried with backoff while the locks stay held, so no other update takes the targets meanwhile", async () => {
    let failuresLeft = 2;
    const { h, attempts } = harnessWithFailingFinalWrite(() => failuresLeft-- > 0);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    // Run until the first attempt of the final write failed: the outcome is decided, not recorded.
    for (let i = 0; attempts() === 0 && i < 600; i++) await h.clock.advanceAsync(100);
    expect(attempts()).toBe(1);
    expect((await h.store.get(id))!.state).toBe("running");
    expect(h.locks.holder(deployment("a"))).toBe(id);
    const busy = await rejection(h.manager.startUpdate({ image: otherImage, classifier: "shop" }, { requester: "ci" }));
    expect(busy).toMatchObject({ code: "aborted", reason: "TARGET_BUSY", metadata: { update_id: id } });

    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    expect(attempts()).toBe(3);
    expect((await h.events(id)).filter((event) => event.type === "finished")).toHaveLength(1);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
    expect(h.logLines.filter((line) => line.message.includes("retrying"))).toHaveLength(2);
  });

  it("when it never succeeds: logged, counted, the locks still held, and the next leader records the outcome", async () => {
    let broken = true;
    const counted: HandledFailure[] = [];
    const { h, attempts } = harnessWithFailingFinalWrite(() => broken, counted);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    for (let i = 0; attempts() < 4 && i < 2000; i++) await h.clock.advanceAsync(100);
    await h.manager.whenIdle();
    expect(attempts()).toBe(4);
    expect(counted).toEqual(["outcome-not-recorded"]);
    expect(h.errorLogs().map((line) => line.message)).toEqual([
      "recording the update's outcome failed; it stays unfinished with its locks held until the next leader resumes it",
    ]);
    expect((await h.store.get(id))!.state).toBe("running");
    expect(h.locks.holder(deployment("a"))).toBe(id);
    // Nothing else takes the targets of an update whose outcome is not recorded.
    const busy = await rejection(h.manager.startUpdate({ image: otherImage, classifier: "shop" }, { requester: "ci" }));
    expect(busy).toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: id } });

    // The next leader (same cluster, same store, the locks where they were) resumes and records it.
    broken = false;
    const next = h.restart(undefined, h.locks);
    expect((await next.resumeUnfinished()).resumed).toEqual([id]);
    const done = await h.settle(id, 60 * 60_000, 500, next);
    expect(done.state).toBe("succeeded");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${newImage}`]);
    expect(h.locks.holder(deployment("a"))).toBeUndefined();
  });

  it("a lock whose update has recorded its outcome is taken over by the next update", async () => {
    const { h } = harnessWithFailingFinalWrite(() => false);
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.settle(first.id);
    // As if the release after the final write had failed: the lock still names the finished update.
    await h.locks.acquire(first.id, [deployment("a")]);
    const second = await h.manager.startUpdate({ image: otherImage, classifier: "shop" }, { requester: "ci" });
    expect(h.locks.holder(deployment("a"))).toBe(second.id);
    expect((await h.settle(second.id)).state).toBe("succeeded");
  });
});
