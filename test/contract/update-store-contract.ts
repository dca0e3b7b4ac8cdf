import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/domain/domain-error.js";
import type { UpdateRecord, UpdateState } from "../../src/core/domain/update.js";
import type { UpdateEvent, UpdateEventBody } from "../../src/core/domain/update-event.js";
import type { WorkloadRef } from "../../src/core/domain/workload.js";
import type { UpdateStore } from "../../src/core/ports/update-store.js";

/** A store under test; `close` releases whatever the factory started. */
export interface StoreUnderTest {
  readonly store: UpdateStore;
  close(): Promise<void>;
}

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };

export function aRecord(id: string, overrides: Partial<UpdateRecord> = {}): UpdateRecord {
  return {
    id,
    state: "pending",
    phase: "planning",
    image: "registry.example.com/shop/web:1.5.0",
    classifier: "shop",
    requester: "ci",
    plan: {
      migrations: [],
      workloads: [
        {
          workload: web,
          containers: [{ name: "web", init: false, currentImage: "registry.example.com/shop/web:1.4.0", newImage: "registry.example.com/shop/web:1.5.0", unchanged: false }],
          unchanged: false,
          warnings: [],
        },
      ],
      warnings: [],
    },
    createTime: new Date("2025-01-01T00:00:00.123Z"),
    reason: "",
    updateTimeoutMs: 900_000,
    overrideQuarantine: false,
    cancelRequested: false,
    migrations: [],
    workloads: [
      {
        workload: web,
        phase: "pending",
        containers: [{ name: "web", init: false, currentImage: "registry.example.com/shop/web:1.4.0", newImage: "registry.example.com/shop/web:1.5.0", unchanged: false }],
        message: "",
        patched: false,
      },
    ],
    lastSequence: 0,
    ...overrides,
  };
}

const planned = (record: UpdateRecord): UpdateEventBody => ({ type: "planned", plan: record.plan });
const healthy: UpdateEventBody = { type: "workload-healthy", workload: web };
const finished = (state: UpdateState): UpdateEventBody => ({ type: "finished", state, reason: "" });

async function expectDomainError(promise: Promise<unknown>, code: string): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

/**
 * What every UpdateStore must do, whatever it keeps updates in. `open` gives a fresh, empty store;
 * ids must be unique per call (stores may share a backend between tests).
 */
export function describeUpdateStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`UpdateStore contract: ${name}`, () => {
    const withStore = (test: (store: UpdateStore) => Promise<void>) => async () => {
      const subject = await open();
      try {
        await test(subject.store);
      } finally {
        await subject.close();
      }
    };

    it(
      "records an update with its first events, numbered from 1, and reads it back as it was",
      withStore(async (store) => {
        const record = aRecord("u-create");
        const events = await store.create(record, [planned(record)]);
        expect(events.map((e) => [e.sequence, e.type, e.updateId])).toEqual([[1, "planned", "u-create"]]);
        expect(events[0]?.time).toBeInstanceOf(Date);
        expect(record.lastSequence).toBe(1);
        const stored = await store.get("u-create");
        expect(stored).toEqual({ ...record, lastSequence: 1 });
        expect(stored?.createTime).toBeInstanceOf(Date);
        const [event] = await store.readEvents("u-create", 0);
        expect(event).toMatchObject({ type: "planned", plan: record.plan, sequence: 1 });
      }),
    );

    it(
      "keeps the update's trace: the accept span from its creation, the latest execution attempt from each save",
      withStore(async (store) => {
        const trace = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true, attempts: 0 };
        const record = aRecord("u-trace", { trace: { ...trace } });
        await store.create(record, [planned(record)]);
        expect((await store.get("u-trace"))?.trace).toEqual(trace);
        record.state = "running";
        record.trace = { ...trace, attemptSpanId: "b7ad6b7169203331", attempts: 1 };
        await store.save(record, [healthy]);
        expect((await store.get("u-trace"))?.trace).toEqual({ ...trace, attemptSpanId: "b7ad6b7169203331", attempts: 1 });
        // An update recorded before tracing existed has none until its next attempt.
        const untraced = aRecord("u-untraced");
        await store.create(untraced, [planned(untraced)]);
        expect((await store.get("u-untraced"))?.trace).toBeUndefined();
      }),
    );

    it(
      "removes a finished update on request, but never one that may still run",
      withStore(async (store) => {
        const running = aRecord("u-remove-running");
        await store.create(running, [planned(running)]);
        expect(await store.remove("u-remove-running")).toBe("unfinished");
        expect(await store.get("u-remove-running")).toBeDefined();

        const done = aRecord("u-remove-done");
        await store.create(done, [planned(done)]);
        done.state = "succeeded";
        done.phase = "finished";
        await store.save(done, [{ type: "finished", state: "succeeded", reason: "" }]);
        expect(await store.remove("u-remove-done")).toBe("removed");
        expect(await store.get("u-remove-done")).toBeUndefined();
        expect(await store.remove("u-remove-done")).toBe("not-found");
        expect(await store.remove("u-never-existed")).toBe("not-found");
      }),
    );

    it(
      "appends events with gapless sequence numbers, even when a caller saves a stale copy",
      withStore(async (store) => {
        const record = aRecord("u-save");
        await store.create(record, [planned(record)]);
        const stale = structuredClone(record);
        record.state = "running";
        record.phase = "rolling-out";
        record.startTime = new Date("2025-01-01T00:00:01.000Z");
        const added = await store.save(record, [healthy]);
        expect(added.map((e) => e.sequence)).toEqual([2]);
        expect(record.lastSequence).toBe(2);
        stale.state = "succeeded";
        stale.phase = "finished";
        await store.save(stale, [finished("succeeded")]);
        expect(stale.lastSequence).toBe(3);
        expect((await store.readEvents("u-save", 0)).map((e) => [e.sequence, e.type])).toEqual([
          [1, "planned"],
          [2, "workload-healthy"],
          [3, "finished"],
        ]);
        expect((await store.readEvents("u-save", 2)).map((e) => e.sequence)).toEqual([3]);
        expect(await store.readEvents("u-save", 3)).toEqual([]);
        expect((await store.get("u-save"))?.state).toBe("succeeded");
      }),
    );

    it(
      "refuses a second update with the same requester and idempotency key, naming the first",
      withStore(async (store) => {
        const first = aRecord("u-key-1", { idempotencyKey: "build-42", requestHash: "h1" });
        await store.create(first, [planned(first)]);
        const second = aRecord("u-key-2", { idempotencyKey: "build-42", requestHash: "h1" });
        const error = await expectDomainError(store.create(second, [planned(second)]), "already-exists");
        expect(error.metadata.update_id).toBe("u-key-1");
        expect(await store.get("u-key-2")).toBeUndefined();
        expect((await store.findByIdempotencyKey("ci", "build-42"))?.id).toBe("u-key-1");
        expect(await store.findByIdempotencyKey("someone-else", "build-42")).toBeUndefined();
        // The same key of another requester is another update.
        const other = aRecord("u-key-3", { idempotencyKey: "build-42", requester: "other-ci" });
        await store.create(other, [planned(other)]);
        expect((await store.findByIdempotencyKey("other-ci", "build-42"))?.id).toBe("u-key-3");
      }),
    );

    it(
      "answers an unknown update with undefined, and NOT_FOUND for its events",
      withStore(async (store) => {
        expect(await store.get("u-nope")).toBeUndefined();
        await expectDomainError(store.readEvents("u-nope", 0), "not-found");
      }),
    );

    it(
      "lists newest first, filters, and pages with tokens that cover every update exactly once",
      withStore(async (store) => {
        for (let i = 0; i < 5; i++) {
          const record = aRecord(`u-list-${i}`, {
            createTime: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
            classifier: i % 2 === 0 ? "shop" : "billing",
          });
          await store.create(record, [planned(record)]);
        }
        const done = (await store.get("u-list-4"))!;
        done.state = "succeeded";
        done.phase = "finished";
        await store.save(done, [finished("succeeded")]);

        const seen: string[] = [];
        let token = "";
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.list({ pageSize: 2, ...(token ? { pageToken: token } : {}) });
          seen.push(...page.items.map((item) => item.id));
          token = page.nextPageToken;
          if (token === "") break;
        }
        expect(seen).toEqual(["u-list-4", "u-list-3", "u-list-2", "u-list-1", "u-list-0"]);
        expect((await store.list({ pageSize: 10, classifier: "billing" })).items.map((r) => r.id)).toEqual(["u-list-3", "u-list-1"]);
        expect((await store.list({ pageSize: 10, states: ["succeeded"] })).items.map((r) => r.id)).toEqual(["u-list-4"]);
        // Unfinished states only (what the queue and the metrics ask on every accept): the finished run is left out,
        // the others come newest first and page like any listing.
        const unfinishedPage = await store.list({ pageSize: 3, states: ["pending", "running"] });
        expect(unfinishedPage.items.map((r) => r.id)).toEqual(["u-list-3", "u-list-2", "u-list-1"]);
        const rest = await store.list({ pageSize: 3, states: ["pending", "running"], pageToken: unfinishedPage.nextPageToken });
        expect(rest.items.map((r) => r.id)).toEqual(["u-list-0"]);
        expect((await store.list({ pageSize: 10, states: ["pending", "succeeded"] })).items.map((r) => r.id)).toEqual([
          "u-list-4",
          "u-list-3",
          "u-list-2",
          "u-list-1",
          "u-list-0",
        ]);
        const reopened = (await store.get("u-list-3"))!;
        reopened.state = "failed";
        reopened.phase = "finished";
        await store.save(reopened, [finished("failed")]);
        expect((await store.list({ pageSize: 10, states: ["pending"] })).items.map((r) => r.id)).toEqual(["u-list-2", "u-list-1", "u-list-0"]);
        expect((await store.listUnfinished()).map((r) => r.id).sort()).toEqual(["u-list-0", "u-list-1", "u-list-2"]);
        await expectDomainError(store.list({ pageSize: 2, pageToken: "garbage!" }), "invalid-argument");
      }),
    );

    it(
      "lists only the updates that change or migrate one of the given workloads, when asked by target",
      withStore(async (store) => {
        const api: WorkloadRef = { kind: "Deployment", namespace: "shop", name: "api" };
        const template: WorkloadRef = { kind: "Job", namespace: "shop", name: "migrate" };
        const webPlan = aRecord("plan").plan;
        const onApi = (unchanged: boolean): UpdateRecord["plan"] => ({
          ...webPlan,
          workloads: [{ ...webPlan.workloads[0]!, workload: api, unchanged }],
        });
        const plans: [string, UpdateRecord["plan"]][] = [
          ["u-targets-web", webPlan],
          ["u-targets-api", onApi(false)],
          // Planned but unchanged (already on the image): it locks nothing.
          ["u-targets-api-unchanged", onApi(true)],
          ["u-targets-migrate", { ...onApi(true), migrations: [{ template, jobName: "migrate-u-targets", containers: [], order: 0 }] }],
        ];
        for (const [i, [id, plan]] of plans.entries()) {
          const record = aRecord(id, { plan, createTime: new Date(Date.UTC(2025, 0, 2, 0, 0, i)) });
          await store.create(record, [planned(record)]);
        }
        const ids = async (targets: WorkloadRef[], states?: UpdateState[]) =>
          (await store.list({ pageSize: 10, targets, ...(states === undefined ? {} : { states }) })).items.map((r) => r.id);
        expect(await ids([api])).toEqual(["u-targets-api"]);
        expect(await ids([template, web], ["pending"])).toEqual(["u-targets-migrate", "u-targets-web"]);
        expect(await ids([{ ...api, name: "nothing" }])).toEqual([]);
        expect(await ids([api], ["running"])).toEqual([]);
      }),
    );

    it(
      "delivers saved events to subscribers in order, and nothing after they unsubscribe",
      withStore(async (store) => {
        const record = aRecord("u-sub");
        await store.create(record, [planned(record)]);
        const got: UpdateEvent[] = [];
        const unsubscribe = store.subscribe("u-sub", (event) => got.push(event));
        record.state = "running";
        await store.save(record, [healthy]);
        await store.save(record, [{ type: "workload-failed", workload: web, reason: "crash" }]);
        expect(got.map((e) => [e.sequence, e.type])).toEqual([
          [2, "workload-healthy"],
          [3, "workload-failed"],
        ]);
        unsubscribe();
        record.state = "failed";
        await store.save(record, [finished("failed")]);
        expect(got).toHaveLength(2);
      }),
    );
  });
}
