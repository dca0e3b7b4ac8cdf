import { describe, expect, it } from "vitest";
import { ExecutionHalted } from "../../../src/core/use-cases/execution-halted.js";
import { createUpdateManager } from "../../../src/core/use-cases/update-manager.js";
import { createHarness, deployment, isEvent } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

/** Two replicas on one store and cluster: the harness's manager leads while `leading` is true; the other never does. */
function twoReplicas() {
  const state = { leading: true };
  const h = createHarness({ wrap: (deps) => ({ ...deps, canExecute: () => state.leading }) });
  const follower = createUpdateManager({ ...h.deps, canExecute: () => false });
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  return { h, follower, state };
}

describe("executing only on the leader", () => {
  it("has a follower record a new update as pending, which the leader resumes and finishes", async () => {
    const { h, follower } = twoReplicas();
    const { id } = await follower.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(5000);
    expect((await h.store.get(id))!.state).toBe("pending");
    expect(h.patchWrites()).toEqual([]);
    // Its locks are taken, so no other update can slip in before the leader picks it up.
    expect(h.locks.holder(deployment("a"))).toBe(id);

    expect((await follower.resumeUnfinished()).resumed).toEqual([]);
    expect((await h.manager.resumeUnfinished()).resumed).toEqual([id]);
    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${newImage}`]);
  });

  it("stops the leader's execution when a cancel is recorded through a follower", async () => {
    const { h, follower } = twoReplicas();
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    const answer = await follower.cancelUpdate(id, "wrong build", "alice");
    expect(answer.cancelRequested).toBe(true);
    const done = await h.settle(id);
    expect(done.state).toBe("cancelled");
    expect(done.reason).toBe("cancelled by alice: wrong build");
    expect(h.imagesOf(deployment("a"))).toEqual([`app=${oldImage}`]);
    expect(h.imagesOf(deployment("b"))).toEqual([`app=${oldImage}`]);
    expect((await h.eventTypes(id)).filter((type) => type === "cancel-requested")).toHaveLength(1);
  });

  it("stops executing without another write when it steps down, and resumes when it leads again", async () => {
    const { h, state } = twoReplicas();
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    state.leading = false;
    await h.manager.stepDown();
    const frozen = await h.events(id);
    const writes = h.patchWrites().length;
    await h.clock.advanceAsync(60_000);
    expect(await h.events(id)).toEqual(frozen);
    expect(h.patchWrites()).toHaveLength(writes);
    expect((await h.store.get(id))!.state).toBe("running");

    state.leading = true;
    expect((await h.manager.resumeUnfinished()).resumed).toEqual([id]);
    const done = await h.settle(id);
    expect(done.state).toBe("succeeded");
    // Nothing was patched twice: a is patched once, b once.
    expect(h.patchWrites().map((write) => write.target.name)).toEqual(["a", "b"]);
  });

  it("resumes an update when it leads again before the execution it halted on stepping down has ended", async () => {
    const state = { leading: true };
    /** While set, the next save waits until released (a write in flight when the lead is lost). */
    let hold: { reached: () => void; release: Promise<void> } | undefined;
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        canExecute: () => state.leading,
        store: {
          ...deps.store,
          save: async (record, events, options) => {
            const held = hold;
            hold = undefined;
            if (held !== undefined) {
              held.reached();
              await held.release;
            }
            return deps.store.save(record, events, options);
          },
        },
      }),
    });
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      hold = { reached: resolve, release: new Promise<void>((go) => (release = go)) };
    });
    let inFlight = false;
    void reached.then(() => (inFlight = true));
    for (let waited = 0; !inFlight; waited += 100) {
      if (waited > 60_000) throw new Error("the execution never saved again");
      await h.clock.advanceAsync(100);
    }
    // The lead is lost and taken again while that write is in flight.
    state.leading = false;
    const steppedDown = h.manager.stepDown();
    state.leading = true;
    expect((await h.manager.resumeUnfinished()).resumed).toEqual([id]);
    release();
    await steppedDown;
    const done = await h.settle(id, 10 * 60_000);
    expect(done.state).toBe("succeeded");
    expect(h.patchWrites().map((write) => write.target.name)).toEqual(["a"]);
  });

  it("resumes an update whose write was refused while its lead lapsed for a moment, without a step-down", async () => {
    const state = { leading: true, refusals: 0 };
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        canExecute: () => state.leading,
        store: {
          ...deps.store,
          // As the UpdateRun store does when the Lease's renew deadline has passed.
          save: (record, events, options) => {
            if (!state.leading) {
              // Progress is saved on the side (a refusal there is ignored); the steps' saves end the execution.
              if (!(events ?? []).some((event) => event.type === "workload-progress")) state.refusals++;
              return Promise.reject(new ExecutionHalted("this replica is not the leader"));
            }
            return deps.store.save(record, events, options);
          },
        },
      }),
    });
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    // The renewal comes back late: a step's write is refused, and the lead is kept (no step-down).
    state.leading = false;
    for (let waited = 0; state.refusals === 0; waited += 100) {
      if (waited > 60_000) throw new Error("the execution never saved a step again");
      await h.clock.advanceAsync(100);
    }
    state.leading = true;
    const done = await h.settle(id, 10 * 60_000);
    expect(done.state).toBe("succeeded");
    expect(h.patchWrites().map((write) => write.target.name)).toEqual(["a"]);
  });
});
