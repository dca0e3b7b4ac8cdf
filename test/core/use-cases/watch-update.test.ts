import { describe, expect, it } from "vitest";
import { updateEventBytes } from "../../../src/core/domain/update-event-size.js";
import type { WatchItem } from "../../../src/core/use-cases/watch-update.js";
import { createHarness, rejection } from "./engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

function seed(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 3, containers: [{ name: "app", image: oldImage }] });
}

/** Reads the stream to its end in the background while the test drives the clock. */
function collect(stream: AsyncIterable<WatchItem>) {
  const items: WatchItem[] = [];
  let error: unknown;
  let ended = false;
  const done = (async () => {
    try {
      for await (const item of stream) items.push(item);
    } catch (caught) {
      error = caught;
    } finally {
      ended = true;
    }
  })();
  return {
    items,
    done,
    get ended() {
      return ended;
    },
    get error() {
      return error;
    },
    sequences: () => items.flatMap((item) => (item.type === "event" ? [item.event.sequence] : [])),
  };
}

describe("watching an update", () => {
  it("streams every event from the start, gapless, ending after the one finished event", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const watch = collect(h.manager.watchUpdate(id, 0));
    const done = await h.settle(id);
    await watch.done;

    expect(watch.error).toBeUndefined();
    const events = watch.items.filter((item) => item.type === "event");
    expect(watch.sequences()).toEqual(Array.from({ length: done.lastSequence }, (_, i) => i + 1));
    expect(events.filter((item) => item.event.type === "finished")).toHaveLength(1);
    expect(watch.items.at(-1)).toMatchObject({ type: "event", event: { type: "finished", state: "succeeded" } });
  });

  it("resumes after a sequence with only what came later, and recorded events of a finished update", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);

    const resumed = collect(h.manager.watchUpdate(id, 3));
    await resumed.done;
    expect(resumed.sequences()).toEqual(Array.from({ length: done.lastSequence - 3 }, (_, i) => i + 4));

    // Already past the end of a finished update: nothing more will come, so the stream just ends.
    const past = collect(h.manager.watchUpdate(id, done.lastSequence));
    await past.done;
    expect(past.items).toEqual([]);
  });

  it("joins a running update mid-way without gaps or duplicates", async () => {
    const h = createHarness();
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(3000);
    const midway = (await h.store.get(id))!.lastSequence;
    expect(midway).toBeGreaterThan(1);
    const watch = collect(h.manager.watchUpdate(id, 1));
    const done = await h.settle(id);
    await watch.done;
    expect(watch.sequences()).toEqual(Array.from({ length: done.lastSequence - 1 }, (_, i) => i + 2));
  });

  it("delivers an event recorded while the backlog is read exactly once", async () => {
    let interleave = true;
    const h = createHarness({
      wrap: (deps) => ({
        ...deps,
        store: {
          ...deps.store,
          // Another writer appends an event after the watcher subscribed but before its read returns.
          readEvents: async (id, after) => {
            if (interleave) {
              interleave = false;
              const record = (await deps.store.get(id))!;
              await deps.store.save(record, [{ type: "cancel-requested", reason: "race", requester: "other" }]);
            }
            return deps.store.readEvents(id, after);
          },
        },
      }),
    });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const watch = collect(h.manager.watchUpdate(id, 0));
    await h.clock.flush();
    const last = (await h.store.get(id))!.lastSequence;
    expect(last).toBeGreaterThanOrEqual(2);
    expect(watch.sequences()).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(watch.items[1]).toMatchObject({ type: "event", event: { type: "cancel-requested" } });
  });

  it("fills a gap in the live events from the store, and fails with INTERNAL when the store cannot", async () => {
    /** A harness whose store loses the notification of the third event (and, if `lostByStore`, the event). */
    const lossy = (lostByStore: boolean) => {
      const h = createHarness({
        wrap: (deps) => ({
          ...deps,
          store: {
            ...deps.store,
            subscribe: (id, listener) => deps.store.subscribe(id, (event) => event.sequence !== 3 && listener(event)),
            readEvents: async (id, after) =>
              (await deps.store.readEvents(id, after)).filter((event) => !lostByStore || event.sequence !== 3),
          },
        }),
      });
      seed(h);
      return h;
    };

    const h = lossy(false);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const watch = collect(h.manager.watchUpdate(id, 0));
    const done = await h.settle(id);
    await watch.done;
    expect(watch.error).toBeUndefined();
    expect(watch.sequences()).toEqual(Array.from({ length: done.lastSequence }, (_, i) => i + 1));

    const broken = lossy(true);
    const started = await broken.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const holed = collect(broken.manager.watchUpdate(started.id, 0));
    await broken.settle(started.id);
    await holed.done;
    expect(holed.sequences()).toEqual([1, 2]);
    expect(holed.error).toMatchObject({ code: "internal", reason: "INTERNAL" });
  });

  it("sends only live events when after_sequence is beyond the last one", async () => {
    const h = createHarness({ cluster: { jobDurationMs: 5000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(100);
    const before = (await h.store.get(id))!.lastSequence;
    const watch = collect(h.manager.watchUpdate(id, 1000));
    const done = await h.settle(id);
    await watch.done;
    expect(watch.sequences()).toEqual(Array.from({ length: done.lastSequence - before }, (_, i) => before + 1 + i));
    expect(watch.items.at(-1)).toMatchObject({ type: "event", event: { type: "finished" } });
  });

  it("sends heartbeats while nothing else happens, and stops when the client goes", async () => {
    const h = createHarness({ engine: { watchHeartbeatMs: 15_000 }, cluster: { jobDurationMs: 60_000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(100); // the migration is running: a minute without events
    const controller = new AbortController();
    const watch = collect(h.manager.watchUpdate(id, 0, controller.signal));
    await h.clock.flush();
    const initial = watch.items.length;
    expect(initial).toBe(2); // planned, migration-started

    await h.clock.advanceAsync(14_999);
    expect(watch.items).toHaveLength(initial);
    await h.clock.advanceAsync(1);
    expect(watch.items[initial]).toMatchObject({ type: "heartbeat", lastSequence: 2 });
    expect((watch.items[initial] as Extract<WatchItem, { type: "heartbeat" }>).time.getTime()).toBe(h.clock.now().getTime());
    await h.clock.advanceAsync(15_000);
    expect(watch.items.filter((item) => item.type === "heartbeat")).toHaveLength(2);

    const timersBefore = h.clock.pendingTimers();
    controller.abort();
    await watch.done;
    expect(watch.ended).toBe(true);
    expect(watch.error).toBeUndefined();
    // The heartbeat timer went with the stream.
    expect(h.clock.pendingTimers()).toBe(timersBefore - 1);
  });

  it("sends a heartbeat only after watchHeartbeatMs without anything sent, counted from the last event", async () => {
    const h = createHarness({ engine: { watchHeartbeatMs: 15_000 }, cluster: { jobDurationMs: 60_000 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.clock.advanceAsync(100); // the migration is running: a minute without events of the engine's
    const controller = new AbortController();
    const watch = collect(h.manager.watchUpdate(id, 0, controller.signal));
    await h.clock.flush();
    expect(watch.items).toHaveLength(2);

    // An event 10 s into the quiet: the heartbeat moves to 15 s after it.
    await h.clock.advanceAsync(10_000);
    await h.store.save((await h.store.get(id))!, [{ type: "queued", behind: [] }]);
    await h.clock.flush();
    expect(watch.items).toHaveLength(3);
    await h.clock.advanceAsync(14_999);
    expect(watch.items).toHaveLength(3);
    await h.clock.advanceAsync(1);
    expect(watch.items[3]).toMatchObject({ type: "heartbeat", lastSequence: 3 });
    // And then every 15 s while nothing else comes.
    await h.clock.advanceAsync(15_000);
    expect(watch.items.slice(3).map((item) => item.type)).toEqual(["heartbeat", "heartbeat"]);
    controller.abort();
    await watch.done;
  });

  it("ends a watcher that falls too far behind with WATCHER_TOO_SLOW and where to resume", async () => {
    const h = createHarness({ engine: { watchBufferSize: 3 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const iterator = h.manager.watchUpdate(id, 0)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ type: "event", event: { sequence: 1 } });
    // The client stops reading while the update goes on producing events.
    await h.settle(id);
    const error = await rejection(iterator.next());
    expect(error).toMatchObject({ code: "resource-exhausted", reason: "WATCHER_TOO_SLOW", metadata: { last_sequence: "1" } });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });

    // Resuming from there delivers the rest.
    const resumed = collect(h.manager.watchUpdate(id, 1));
    await resumed.done;
    expect(resumed.sequences()[0]).toBe(2);
    expect(resumed.items.at(-1)).toMatchObject({ type: "event", event: { type: "finished" } });
  });

  it("ends a watcher whose unread events exceed watchBufferBytes, however few they are", async () => {
    // Far below the count bound (256): only the bytes can end it.
    const h = createHarness({ engine: { watchBufferBytes: 600 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const iterator = h.manager.watchUpdate(id, 0)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: "event", event: { sequence: 1 } });
    const done = await h.settle(id);
    const unread = (await h.store.readEvents(id, 1)).map(updateEventBytes);
    expect(unread.length).toBeLessThan(256);
    expect(unread.reduce((sum, bytes) => sum + bytes, 0)).toBeGreaterThan(600);

    const error = await rejection(iterator.next());
    expect(error).toMatchObject({ code: "resource-exhausted", reason: "WATCHER_TOO_SLOW", metadata: { last_sequence: "1" } });
    expect(error.message).toContain("600 bytes");
    const resumed = collect(h.manager.watchUpdate(id, 1));
    await resumed.done;
    expect(resumed.sequences()).toEqual(Array.from({ length: done.lastSequence - 1 }, (_, i) => i + 2));
  });

  it("counts only unread bytes: a watcher that keeps up never reaches watchBufferBytes", async () => {
    const h = createHarness({ engine: { watchBufferBytes: 1500 } });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const watch = collect(h.manager.watchUpdate(id, 0));
    const done = await h.settle(id);
    await watch.done;

    expect(watch.error).toBeUndefined();
    expect(watch.sequences()).toEqual(Array.from({ length: done.lastSequence }, (_, i) => i + 1));
    // More than the bound went through the stream in all.
    const total = (await h.store.readEvents(id, 0)).reduce((sum, event) => sum + updateEventBytes(event), 0);
    expect(total).toBeGreaterThan(1500);
  });

  it("answers NOT_FOUND for an unknown update on the first read", async () => {
    const h = createHarness();
    const iterator = h.manager.watchUpdate("missing", 0)[Symbol.asyncIterator]();
    expect(await rejection(iterator.next())).toMatchObject({ code: "not-found", reason: "UPDATE_NOT_FOUND" });
  });
});
