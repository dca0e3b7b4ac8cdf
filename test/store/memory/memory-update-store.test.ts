import { describe, expect, it } from "vitest";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import type { UpdateRecord, UpdateState } from "../../../src/core/domain/update.js";
import type { UpdateEvent, UpdateEventBody } from "../../../src/core/domain/update-event.js";
import { createMemoryUpdateStore } from "../../../src/store/memory/memory-update-store.js";
import { createFakeClock } from "../../support/fake-clock.js";

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };

function aRecord(id: string, overrides: Partial<UpdateRecord> = {}): UpdateRecord {
  return {
    id,
    state: "pending",
    phase: "planning",
    image: "registry.example.com/shop/web:1.5.0",
    classifier: "shop",
    requester: "ci",
    plan: { migrations: [], workloads: [], warnings: [] },
    createTime: new Date("2025-01-01T00:00:00Z"),
    reason: "",
    updateTimeoutMs: 900_000,
    overrideQuarantine: false,
    cancelRequested: false,
    migrations: [],
    workloads: [
      {
        workload: web,
        phase: "pending",
        containers: [
          { name: "web", init: false, currentImage: "a:1", newImage: "a:2", unchanged: false },
        ],
        message: "",
        patched: false,
      },
    ],
    lastSequence: 0,
    ...overrides,
  };
}

const planned: UpdateEventBody = { type: "planned", plan: { migrations: [], workloads: [], warnings: [] } };
const healthy: UpdateEventBody = { type: "workload-healthy", workload: web };
const finished = (state: UpdateState): UpdateEventBody => ({ type: "finished", state, reason: "" });

function setup(options: { maxFinishedUpdates?: number } = {}) {
  const clock = createFakeClock(new Date("2025-01-01T00:00:00Z"));
  return { clock, store: createMemoryUpdateStore({ clock, ...options }) };
}

describe("memory update store", () => {
  it("numbers events from 1 without gaps and stamps them with the clock", async () => {
    const { clock, store } = setup();
    const record = aRecord("u1");
    const first = await store.create(record, [planned]);
    expect(first.map((e) => [e.sequence, e.updateId, e.time.toISOString()])).toEqual([
      [1, "u1", "2025-01-01T00:00:00.000Z"],
    ]);
    expect(record.lastSequence).toBe(1);
    clock.advance(1500);
    record.state = "running";
    const more = await store.save(record, [healthy, finished("succeeded")]);
    expect(more.map((e) => [e.sequence, e.type, e.time.toISOString()])).toEqual([
      [2, "workload-healthy", "2025-01-01T00:00:01.500Z"],
      [3, "finished", "2025-01-01T00:00:01.500Z"],
    ]);
    expect(record.lastSequence).toBe(3);
    expect((await store.get("u1"))?.lastSequence).toBe(3);
    expect((await store.readEvents("u1", 1)).map((e) => e.sequence)).toEqual([2, 3]);
    expect((await store.readEvents("u1", 0)).map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect(await store.readEvents("u1", 3)).toEqual([]);
  });

  it("keeps sequences gapless when a caller saves a stale copy", async () => {
    const { store } = setup();
    const record = aRecord("u1");
    await store.create(record, [planned]);
    const stale = structuredClone(record);
    await store.save(record, [healthy]);
    await store.save(stale, [finished("succeeded")]);
    expect((await store.readEvents("u1", 0)).map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect(stale.lastSequence).toBe(3);
  });

  it("shares no mutable state with callers", async () => {
    const { store } = setup();
    const record = aRecord("u1");
    const events = await store.create(record, [planned]);
    record.state = "failed";
    record.workloads[0]!.phase = "failed";
    (events[0] as { type: string }).type = "mangled";
    const stored = (await store.get("u1"))!;
    expect(stored.state).toBe("pending");
    expect(stored.workloads[0]!.phase).toBe("pending");
    stored.workloads[0]!.message = "changed by a reader";
    expect((await store.get("u1"))!.workloads[0]!.message).toBe("");
    expect((await store.readEvents("u1", 0))[0]!.type).toBe("planned");
    expect((await store.get("u1"))!.createTime).toBeInstanceOf(Date);
  });

  it("refuses a second update with the same requester and idempotency key, naming the first", async () => {
    const { store } = setup();
    await store.create(aRecord("u1", { idempotencyKey: "build-42" }), [planned]);
    const error = await store.create(aRecord("u2", { idempotencyKey: "build-42" }), [planned]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: "already-exists", reason: "UPDATE_EXISTS", metadata: { update_id: "u1" } });
    expect(await store.get("u2")).toBeUndefined();
    // Same key from another requester is another update.
    await store.create(aRecord("u3", { idempotencyKey: "build-42", requester: "other" }), [planned]);
    expect((await store.findByIdempotencyKey("ci", "build-42"))?.id).toBe("u1");
    expect((await store.findByIdempotencyKey("other", "build-42"))?.id).toBe("u3");
    expect(await store.findByIdempotencyKey("ci", "build-43")).toBeUndefined();
  });

  it("refuses to create an id twice and to save an unknown update", async () => {
    const { store } = setup();
    await store.create(aRecord("u1"), []);
    await expect(store.create(aRecord("u1"), [])).rejects.toMatchObject({ code: "already-exists" });
    await expect(store.save(aRecord("nope"), [])).rejects.toMatchObject({ code: "not-found", reason: "UPDATE_NOT_FOUND" });
    await expect(store.readEvents("nope", 0)).rejects.toMatchObject({ code: "not-found" });
  });

  it("lists newest first, filtered, in pages that continue where the last one ended", async () => {
    const { store } = setup();
    for (let i = 1; i <= 5; i++) {
      await store.create(aRecord(`u${i}`, { classifier: i % 2 === 0 ? "even" : "odd", requester: i === 5 ? "dev" : "ci" }), []);
    }
    const first = await store.list({ pageSize: 2 });
    expect(first.items.map((r) => r.id)).toEqual(["u5", "u4"]);
    expect(first.nextPageToken).not.toBe("");
    // A newer update arriving between pages does not shift the next page.
    await store.create(aRecord("u6"), []);
    const second = await store.list({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.items.map((r) => r.id)).toEqual(["u3", "u2"]);
    const third = await store.list({ pageSize: 2, pageToken: second.nextPageToken });
    expect(third.items.map((r) => r.id)).toEqual(["u1"]);
    expect(third.nextPageToken).toBe("");

    expect((await store.list({ pageSize: 10, classifier: "odd" })).items.map((r) => r.id)).toEqual(["u5", "u3", "u1"]);
    expect((await store.list({ pageSize: 10, requester: "dev" })).items.map((r) => r.id)).toEqual(["u5"]);
    const running = aRecord("u2", { state: "running" });
    await store.save(running, []);
    expect((await store.list({ pageSize: 10, states: ["running"] })).items.map((r) => r.id)).toEqual(["u2"]);
    expect((await store.list({ pageSize: 10, states: [] })).items).toHaveLength(6);
    const exact = await store.list({ pageSize: 6 });
    expect(exact.items).toHaveLength(6);
    expect(exact.nextPageToken).toBe("");
  });

  it("rejects a malformed page token as invalid page_token", async () => {
    const { store } = setup();
    for (const token of ["garbage!", "bm90IGEgdG9rZW4", Buffer.from("v1:-1").toString("base64url")]) {
      await expect(store.list({ pageSize: 5, pageToken: token })).rejects.toMatchObject({
        code: "invalid-argument",
        metadata: { field: "page_token" },
      });
    }
  });

  it("lists unfinished updates for resumption", async () => {
    const { store } = setup();
    await store.create(aRecord("u1", { state: "running" }), []);
    await store.create(aRecord("u2", { state: "succeeded" }), []);
    await store.create(aRecord("u3", { state: "rolling-back" }), []);
    expect((await store.listUnfinished()).map((r) => r.id)).toEqual(["u1", "u3"]);
  });

  it("delivers saved events to subscribers in order, after the save, one frozen copy none of them can change", async () => {
    const thrown: unknown[] = [];
    const store = createMemoryUpdateStore({ onListenerError: (error) => thrown.push(error) });
    const record = aRecord("u1");
    await store.create(record, [planned]);
    const a: UpdateEvent[] = [];
    const b: UpdateEvent[] = [];
    const stopA = store.subscribe("u1", (event) => {
      a.push(event);
      (event as { type: string }).type = "mangled by a";
    });
    store.subscribe("u1", (event) => b.push(event));
    store.subscribe("u2", () => {
      throw new Error("must not hear of u1");
    });
    await store.save(record, [healthy, finished("succeeded")]);
    expect(b.map((e) => [e.sequence, e.type])).toEqual([
      [2, "workload-healthy"],
      [3, "finished"],
    ]);
    expect(a.map((e) => e.sequence)).toEqual([2, 3]);
    // The mutation threw (reported, the others still got the event); what the store keeps is untouched too.
    expect(thrown).toHaveLength(2);
    expect(thrown[0]).toBeInstanceOf(TypeError);
    expect(b[0]).toBe(a[0]);
    expect((await store.readEvents("u1", 1)).map((e) => e.type)).toEqual(["workload-healthy", "finished"]);
    stopA();
    await store.save(record, [healthy]);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
  });

  it("does not deliver re-entrantly: events saved by a subscriber come after the current ones", async () => {
    const { store } = setup();
    const record = aRecord("u1");
    await store.create(record, []);
    const seen: string[] = [];
    store.subscribe("u1", (event) => {
      seen.push(`first:${event.sequence}`);
      if (event.sequence === 1) void store.save(record, [healthy]);
    });
    store.subscribe("u1", (event) => seen.push(`second:${event.sequence}`));
    await store.save(record, [planned]);
    expect(seen).toEqual(["first:1", "second:1", "first:2", "second:2"]);
  });

  it("keeps at most maxFinishedUpdates finished updates, forgetting the oldest, never an unfinished one", async () => {
    const { store } = setup({ maxFinishedUpdates: 2 });
    await store.create(aRecord("running", { state: "running", idempotencyKey: "k0" }), []);
    for (let i = 1; i <= 3; i++) {
      const record = aRecord(`u${i}`, { idempotencyKey: `k${i}` });
      await store.create(record, []);
      record.state = "succeeded";
      await store.save(record, [finished("succeeded")]);
    }
    expect(await store.get("u1")).toBeUndefined();
    expect(await store.findByIdempotencyKey("ci", "k1")).toBeUndefined();
    expect((await store.list({ pageSize: 10 })).items.map((r) => r.id)).toEqual(["u3", "u2", "running"]);
    // The key of a forgotten update can start a new one.
    await store.create(aRecord("u4", { idempotencyKey: "k1" }), []);
  });
});
