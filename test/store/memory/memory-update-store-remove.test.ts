import { describe, expect, it } from "vitest";
import type { UpdateRecord, UpdateState } from "../../../src/core/domain/update.js";
import type { UpdateEvent, UpdateEventBody } from "../../../src/core/domain/update-event.js";
import { createMemoryUpdateStore } from "../../../src/store/memory/memory-update-store.js";
import { createFakeClock } from "../../support/fake-clock.js";

function aRecord(id: string, state: UpdateState, idempotencyKey?: string): UpdateRecord {
  return {
    id,
    state,
    phase: state === "running" ? "rolling-out" : "finished",
    image: "registry.example.com/shop/web:1.5.0",
    classifier: "shop",
    requester: "ci",
    plan: { migrations: [], workloads: [], warnings: [] },
    createTime: new Date("2025-01-01T00:00:00Z"),
    reason: "",
    updateTimeoutMs: 900_000,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    overrideQuarantine: false,
    cancelRequested: false,
    migrations: [],
    workloads: [],
    lastSequence: 0,
  };
}

const planned: UpdateEventBody = { type: "planned", plan: { migrations: [], workloads: [], warnings: [] } };

function setup() {
  return createMemoryUpdateStore({ clock: createFakeClock() });
}

describe("memory update store: remove (the original's DELETE /updates/{uuid})", () => {
  it("forgets a finished update, its events and its idempotency key", async () => {
    const store = setup();
    await store.create(aRecord("u1", "succeeded", "build-7"), [planned]);

    expect(await store.remove("u1")).toBe("removed");

    expect(await store.get("u1")).toBeUndefined();
    expect(await store.findByIdempotencyKey("ci", "build-7")).toBeUndefined();
    expect((await store.list({ pageSize: 10 })).items).toEqual([]);
    await expect(store.readEvents("u1", 0)).rejects.toMatchObject({ code: "not-found" });
    // The key is free again: the same pipeline can start a new update with it.
    await store.create(aRecord("u2", "running", "build-7"), [planned]);
    expect((await store.findByIdempotencyKey("ci", "build-7"))?.id).toBe("u2");
  });

  it("keeps an unfinished update: it may still execute, resume or be cancelled", async () => {
    const store = setup();
    await store.create(aRecord("u1", "running"), [planned]);

    expect(await store.remove("u1")).toBe("unfinished");

    expect((await store.get("u1"))?.state).toBe("running");
    expect(await store.readEvents("u1", 0)).toHaveLength(1);
  });

  it("answers not-found for an unknown id, also when asked twice", async () => {
    const store = setup();
    await store.create(aRecord("u1", "failed"), [planned]);
    expect(await store.remove("nope")).toBe("not-found");
    expect(await store.remove("u1")).toBe("removed");
    expect(await store.remove("u1")).toBe("not-found");
  });

  it("stops live events to subscribers of a removed update without touching others", async () => {
    const store = setup();
    await store.create(aRecord("u1", "succeeded"), [planned]);
    const other = aRecord("u2", "running");
    await store.create(other, [planned]);
    const seen: UpdateEvent[] = [];
    store.subscribe("u1", (event) => seen.push(event));
    store.subscribe("u2", (event) => seen.push(event));

    await store.remove("u1");
    other.state = "succeeded";
    await store.save(other, [{ type: "finished", state: "succeeded", reason: "" }]);
    await new Promise<void>((resolve) => queueMicrotask(resolve));

    expect(seen.map((event) => event.updateId)).toEqual(["u2"]);
  });
});
