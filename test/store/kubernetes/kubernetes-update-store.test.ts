import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { HandledFailure } from "../../../src/core/ports/failure-counter.js";
import { createKubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import { createRecordingLogger, type LogLine } from "../../core/use-cases/engine-harness.js";
import { createFakeClock } from "../../support/fake-clock.js";
import { type Clock, systemClock } from "../../../src/core/ports/clock.js";
import { aRecord } from "../../contract/update-store-contract.js";
import type { UpdateEventBody } from "../../../src/core/domain/update-event.js";
import {
  acceptedByAnnotation,
  fromUpdateRunObject,
  toUpdateRunObject,
  type UpdateRunObject,
} from "../../../src/store/kubernetes/update-run-codec.js";

describe("the UpdateRun store's create", () => {
  const planned = (record: ReturnType<typeof aRecord>): UpdateEventBody[] => [{ type: "planned", plan: record.plan }];

  /** A fake API server keeping one run; each status PUT waits for `putGate` and then answers `putAnswer`. */
  function serverWithHeldPuts(putAnswer: () => "ok" | 422 | 503) {
    let stored: UpdateRunObject | undefined;
    let version = 0;
    const requests: string[] = [];
    let releasePuts!: () => void;
    const putGate = new Promise<void>((resolve) => (releasePuts = resolve));
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        requests.push(request.method);
        if (request.method === "POST") {
          const body = request.body as UpdateRunObject;
          stored = { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: String(++version) } };
          return structuredClone(stored) as T;
        }
        if (request.method === "GET") return structuredClone(stored) as T;
        if (request.method === "PUT") {
          await putGate;
          const body = request.body as UpdateRunObject;
          if (body.metadata.resourceVersion !== stored?.metadata.resourceVersion) throw new KubernetesApiError(409, { reason: "Conflict" });
          const answer = putAnswer();
          if (answer === 422) throw new KubernetesApiError(422, { message: "status is invalid" });
          if (answer === 503) throw new KubernetesApiError(503, { message: "etcdserver: leader changed" });
          stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
          return structuredClone(stored) as T;
        }
        throw new Error(`unexpected ${request.method}`);
      },
    };
    return { rest, requests, releasePuts, stored: () => structuredClone(stored) };
  }

  it("answers once the run is created: its first events are durable in the run itself, and its first status follows", async () => {
    const server = serverWithHeldPuts(() => "ok");
    const store = createKubernetesUpdateStore({ kubeConfig: new KubeConfig(), rest: server.rest, namespace: "update-manager", clock: createFakeClock(), identity: "replica-a" });
    const record = aRecord("00000000-0000-4000-8000-000000000021");
    const events = await store.create(record, planned(record));
    expect(events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 planned"]);
    expect(server.requests).toEqual(["POST", "PUT"]);
    // The PUT has not been answered: what another replica (or a new leader) reads now is the run as accepted.
    const asCreated = server.stored()!;
    expect(asCreated.status).toBeUndefined();
    const read = fromUpdateRunObject(asCreated);
    expect(read.record).toMatchObject({ id: record.id, state: "pending", lastSequence: 1 });
    expect(read.events).toEqual(events);
    // The executor's first save goes after the first status, on top of it.
    const saving = store.save({ ...record, state: "running", phase: "rolling-out", lastSequence: 1 }, [{ type: "finished", state: "failed", reason: "test" }]);
    server.releasePuts();
    expect((await saving).map((event) => event.sequence)).toEqual([2]);
    expect(server.requests).toEqual(["POST", "PUT", "PUT"]);
    expect(fromUpdateRunObject(server.stored()!).events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 planned", "2 finished"]);
  });

  it("logs and counts a first status that is refused, and the executor's first write still records the first events once", async () => {
    let puts = 0;
    const server = serverWithHeldPuts(() => (++puts === 1 ? 422 : "ok"));
    server.releasePuts();
    const lines: LogLine[] = [];
    const counted: HandledFailure[] = [];
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest: server.rest,
      namespace: "update-manager",
      clock: createFakeClock(),
      identity: "replica-a",
      logger: createRecordingLogger(lines),
      countFailure: (failure) => counted.push(failure),
    });
    const record = aRecord("00000000-0000-4000-8000-000000000022");
    await store.create(record, planned(record));
    await store.save({ ...record, state: "running", phase: "rolling-out", lastSequence: 1 }, [{ type: "finished", state: "failed", reason: "test" }]);
    expect(counted).toEqual(["first-status-not-recorded"]);
    expect(lines.find((line) => line.level === "warn")?.message).toBe(
      "the UpdateRun's first status was not written; the run reads as accepted until its executor writes one",
    );
    expect(fromUpdateRunObject(server.stored()!).events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 planned", "2 finished"]);
  });

  it("retries a first status refused for a while (503) instead of leaving the run without one", async () => {
    let puts = 0;
    const server = serverWithHeldPuts(() => (++puts <= 2 ? 503 : "ok"));
    server.releasePuts();
    const clock = createFakeClock();
    const counted: HandledFailure[] = [];
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest: server.rest,
      namespace: "update-manager",
      clock,
      identity: "replica-a",
      countFailure: (failure) => counted.push(failure),
    });
    const record = aRecord("00000000-0000-4000-8000-000000000023");
    await store.create(record, planned(record));
    for (let step = 0; step < 50 && server.stored()?.status === undefined; step++) await clock.advanceAsync(100);
    expect(server.stored()?.status).toMatchObject({ phase: "Pending", lastSequence: 1 });
    expect(puts).toBe(3);
    expect(counted).toEqual([]);
  });

  describe("with a first-status grace (as kube/ deploys it)", () => {
    const graceMs = 1_000;
    const graced = (server: ReturnType<typeof serverWithHeldPuts>, clock: ReturnType<typeof createFakeClock>, canExecute = () => true) =>
      createKubernetesUpdateStore({
        kubeConfig: new KubeConfig(),
        rest: server.rest,
        namespace: "update-manager",
        clock,
        identity: "replica-a",
        canExecute,
        firstStatusGraceMs: graceMs,
      });
    const eventsOf = (server: ReturnType<typeof serverWithHeldPuts>) =>
      fromUpdateRunObject(server.stored()!).events.map((event) => `${event.sequence} ${event.type}`);
    /** A leader's store with one pending run just created on a server that answers every request at once. */
    async function leaderCreated(id: string) {
      const server = serverWithHeldPuts(() => "ok");
      server.releasePuts();
      const clock = createFakeClock();
      const store = graced(server, clock);
      const record = aRecord(id);
      await store.create(record, planned(record));
      return { server, clock, store, record };
    }

    it("leaves the first status of a run it executes to the execution's first write: one status write, with the first events", async () => {
      const { server, clock, store, record } = await leaderCreated("00000000-0000-4000-8000-000000000024");
      expect(server.requests).toEqual(["POST"]);
      await store.save({ ...record, state: "running", phase: "rolling-out", lastSequence: 1 }, [{ type: "finished", state: "failed", reason: "test" }]);
      await clock.advanceAsync(graceMs * 2);
      expect(server.requests).toEqual(["POST", "PUT"]);
      expect(eventsOf(server)).toEqual(["1 planned", "2 finished"]);
      // As a first status would have: the revision the run was accepted at, for the race between replicas.
      expect(server.stored()!.status?.acceptedRevision).toBe("1");
    });

    it("writes the first status after the grace when the execution wrote nothing by then", async () => {
      const { server, clock } = await leaderCreated("00000000-0000-4000-8000-000000000025");
      await clock.advanceAsync(graceMs - 1);
      expect(server.stored()?.status).toBeUndefined();
      await clock.advanceAsync(1);
      for (let step = 0; step < 20 && server.stored()?.status === undefined; step++) await clock.advanceAsync(0);
      expect(server.requests).toEqual(["POST", "PUT"]);
      expect(server.stored()?.status).toMatchObject({ phase: "Pending", lastSequence: 1, acceptedRevision: "1" });
    });

    it("writes the first status at once for a run another replica executes, and for a run that waits", async () => {
      const follower = serverWithHeldPuts(() => "ok");
      follower.releasePuts();
      const followerStore = graced(follower, createFakeClock(), () => false);
      const handedOver = aRecord("00000000-0000-4000-8000-000000000026");
      await followerStore.create(handedOver, planned(handedOver));
      const leader = serverWithHeldPuts(() => "ok");
      leader.releasePuts();
      const leaderStore = graced(leader, createFakeClock());
      const queued = aRecord("00000000-0000-4000-8000-000000000027", { state: "queued" });
      await leaderStore.create(queued, [...planned(queued), { type: "queued", behind: ["00000000-0000-4000-8000-000000000001"] }]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(follower.requests).toEqual(["POST", "PUT"]);
      expect(follower.stored()?.status).toMatchObject({ phase: "Pending", lastSequence: 1 });
      expect(leader.requests).toEqual(["POST", "PUT"]);
      expect(leader.stored()?.status).toMatchObject({ phase: "Queued", lastSequence: 2 });
    });

    it("writes a first status still within its grace when the store stops, rather than leave it to a timer", async () => {
      const { server, store } = await leaderCreated("00000000-0000-4000-8000-000000000028");
      await store.stop();
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.requests).toEqual(["POST", "PUT"]);
      expect(server.stored()?.status).toMatchObject({ phase: "Pending", lastSequence: 1 });
    });
  });

  it("deletes a run whose race for its targets cannot be settled, and reports the failure; a failed DELETE is logged and counted", async () => {
    const requests: string[] = [];
    let deleted: { preconditions?: Record<string, string> } | undefined;
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        requests.push(request.method);
        if (request.method === "DELETE") deleted = request.body as typeof deleted;
        if (request.method === "POST") {
          const body = request.body as { metadata: Record<string, unknown> };
          return { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: "1" } } as T;
        }
        throw new KubernetesApiError(503, { message: "the server is currently unable to handle the request" });
      },
    };
    const lines: LogLine[] = [];
    const counted: HandledFailure[] = [];
    const clock = createFakeClock();
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest,
      namespace: "update-manager",
      clock,
      identity: "replica-a",
      logger: createRecordingLogger(lines),
      countFailure: (failure) => counted.push(failure),
      settleTargetRaces: true,
      informerWaitMs: 1_000,
    });
    const record = aRecord("00000000-0000-4000-8000-000000000001");
    let outcome: unknown = "pending";
    store.create(record, []).then(
      () => (outcome = "created"),
      (error: unknown) => (outcome = error),
    );
    // The informer never delivers the run (it is not started), so the race is decided by a LIST, which fails.
    for (let step = 0; step < 20 && outcome === "pending"; step++) await clock.advanceAsync(100);
    expect(outcome).toMatchObject({ code: "unavailable" });
    expect(requests).toEqual(["POST", "GET", "DELETE"]);
    // Only the run as created: one a leader took over meanwhile (it wrote a status) is not deleted under it.
    expect(deleted?.preconditions).toEqual({ uid: "uid-1", resourceVersion: "1" });
    expect(counted).toEqual(["run-cleanup"]);
    const warning = lines.find((line) => line.level === "warn");
    expect(warning?.message).toBe("deleting an UpdateRun whose race could not be settled did not work");
    expect(String((warning!.fields["err"] as Error).message)).toContain("unable to handle the request");
  });
});

describe("the UpdateRun store's writes under transient failures", () => {
  /** One UpdateRun on a fake API server that checks resourceVersions; `faults` are taken by the status PUTs in turn. */
  function fakeServer(faults: ("lost" | 503 | 429)[], clock: Clock = systemClock) {
    let stored: { metadata: Record<string, unknown>; status?: { lastSequence?: number } } | undefined;
    let version = 0;
    const puts: string[] = [];
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        if (request.method === "POST") {
          const body = request.body as { metadata: Record<string, unknown> };
          stored = { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: String(++version) } };
          return structuredClone(stored) as T;
        }
        if (request.method === "GET") return structuredClone(stored) as T;
        if (request.method === "PUT") {
          const body = request.body as NonNullable<typeof stored>;
          if (body.metadata["resourceVersion"] !== stored?.metadata["resourceVersion"]) throw new KubernetesApiError(409, { reason: "Conflict" });
          const fault = stored?.status === undefined ? undefined : faults.shift();
          puts.push(String(fault ?? "ok"));
          if (fault === 503) throw new KubernetesApiError(503, { message: "etcdserver: leader changed" });
          if (fault === 429) throw new KubernetesApiError(429, { message: "too many requests" }, 0);
          stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
          if (fault === "lost") throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
          return structuredClone(stored) as T;
        }
        throw new Error(`unexpected ${request.method}`);
      },
    };
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest,
      namespace: "update-manager",
      clock,
      identity: "replica-a",
    });
    return { store, puts, lastSequence: () => stored?.status?.lastSequence };
  }

  it("retries a status write refused for a while (503, 429), and records the events once", async () => {
    const { store, puts, lastSequence } = fakeServer([503, 429]);
    const record = aRecord("00000000-0000-4000-8000-000000000002");
    await store.create(record, []);
    const saved = await store.save({ ...record, state: "running", phase: "rolling-out" }, [{ type: "finished", state: "failed", reason: "test" }]);
    expect(saved.map((event) => event.sequence)).toEqual([1]);
    expect(puts).toEqual(["ok", "503", "429", "ok"]);
    expect(lastSequence()).toBe(1);
  });

  it("rides out an API server that refuses the write for about ten seconds (6 refusals) instead of failing the step", async () => {
    const clock = createFakeClock();
    const { store, puts, lastSequence } = fakeServer([503, 503, 503, 503, 503, 503], clock);
    const record = aRecord("00000000-0000-4000-8000-000000000004");
    await store.create(record, []);
    const started = clock.now().getTime();
    let outcome: "pending" | "saved" | unknown = "pending";
    const saving = store.save({ ...record, state: "running", phase: "rolling-out" }, [{ type: "finished", state: "failed", reason: "test" }]);
    saving.then(
      () => (outcome = "saved"),
      (error: unknown) => (outcome = error),
    );
    for (let step = 0; step < 200 && outcome === "pending"; step++) await clock.advanceAsync(100);
    expect(outcome).toBe("saved");
    expect(puts).toEqual(["ok", "503", "503", "503", "503", "503", "503", "ok"]);
    expect(lastSequence()).toBe(1);
    // 200 ms doubling, capped at 5 s, less up to 20 % jitter: the six pauses come to at least 8.9 s.
    expect(clock.now().getTime() - started).toBeGreaterThanOrEqual(8_900);
  });

  it("does not write again a status whose answer was lost but which landed: its events are not numbered twice", async () => {
    const { store, puts, lastSequence } = fakeServer(["lost"]);
    const record = aRecord("00000000-0000-4000-8000-000000000003");
    await store.create(record, []);
    const saved = await store.save({ ...record, state: "running", phase: "rolling-out" }, [{ type: "finished", state: "failed", reason: "test" }]);
    expect(saved.map((event) => event.sequence)).toEqual([1]);
    expect(puts).toEqual(["ok", "lost"]);
    expect(lastSequence()).toBe(1);
    expect((await store.readEvents(record.id, 0)).map((event) => event.type)).toEqual(["finished"]);
  });
});

describe("the UpdateRun store's group commit under failures", () => {
  type Answer = "ok" | "lost" | 422 | 503;
  type GetAnswer = "ok" | "reset";
  const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
  const patched: UpdateEventBody = { type: "workload-patched", workload: web, containers: [] };

  /**
   * One UpdateRun on a fake API server that checks resourceVersions. Status PUTs after the first take `puts` in
   * turn (a promise holds the PUT until it resolves), GETs take `gets`; both answer normally when empty.
   */
  function fakeServer(puts: (Answer | Promise<Answer>)[], gets: GetAnswer[] = []) {
    let stored: UpdateRunObject | undefined;
    let version = 0;
    const written: number[] = [];
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        if (request.method === "POST") {
          const body = request.body as UpdateRunObject;
          stored = { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: String(++version) } };
          return structuredClone(stored) as T;
        }
        if (request.method === "GET") {
          if (gets.shift() === "reset") throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
          return structuredClone(stored) as T;
        }
        if (request.method === "PUT") {
          const body = request.body as UpdateRunObject;
          const answer = stored?.status === undefined ? "ok" : await (puts.shift() ?? "ok");
          if (body.metadata.resourceVersion !== stored?.metadata.resourceVersion) throw new KubernetesApiError(409, { reason: "Conflict" });
          if (answer === 503) throw new KubernetesApiError(503, { message: "etcdserver: leader changed" });
          if (answer === 422) throw new KubernetesApiError(422, { message: "status is invalid" });
          stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
          written.push(stored.status?.lastSequence ?? 0);
          if (answer === "lost") throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
          return structuredClone(stored) as T;
        }
        throw new Error(`unexpected ${request.method}`);
      },
    };
    const clock = createFakeClock();
    const store = createKubernetesUpdateStore({ kubeConfig: new KubeConfig(), rest, namespace: "update-manager", clock, identity: "replica-a" });
    /** What the API server holds: the run as the next reader decodes it. */
    const recorded = () => fromUpdateRunObject(structuredClone(stored!));
    return { store, clock, recorded, written };
  }

  function held(): { answer: Promise<Answer>; release: (answer: Answer) => void } {
    let release!: (answer: Answer) => void;
    const answer = new Promise<Answer>((resolve) => (release = resolve));
    return { answer, release };
  }

  it("writes a group commit that failed with the run's terminal write, before its outcome", async () => {
    const flush = held();
    const { store, clock, recorded } = fakeServer([flush.answer]);
    const record = aRecord("00000000-0000-4000-8000-000000000011");
    await store.create(record, []);
    const running = { ...record, state: "running" as const, phase: "rolling-out" as const };
    await store.save(running, [patched], { batch: true });
    // The window ends: the group commit's PUT is on its way when the outcome is saved.
    await clock.advanceAsync(100);
    const finishing = store.save({ ...running, state: "failed", phase: "finished", reason: "test" }, [
      { type: "finished", state: "failed", reason: "test" },
    ]);
    flush.release(422);
    await finishing;
    await clock.advanceAsync(10_000);
    const run = recorded();
    expect(run.record.state).toBe("failed");
    expect(run.events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 workload-patched", "2 finished"]);
  });

  it("never writes a group commit that failed over the newer record written after it", async () => {
    const flush = held();
    const { store, clock, recorded, written } = fakeServer([flush.answer]);
    const record = aRecord("00000000-0000-4000-8000-000000000012");
    await store.create(record, []);
    const running = { ...record, state: "running" as const, phase: "rolling-out" as const };
    await store.save(running, [patched], { batch: true });
    await clock.advanceAsync(100);
    const rollingBack = store.save({ ...running, state: "rolling-back", phase: "rolling-back", reason: "unhealthy" }, [
      { type: "rollback-started", reason: "unhealthy", workloads: [web], migrationsNotUndone: [] },
    ]);
    flush.release(422);
    await rollingBack;
    await clock.advanceAsync(10_000);
    const run = recorded();
    expect(run.record.phase).toBe("rolling-back");
    expect(run.events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 workload-patched", "2 rollback-started"]);
    // The first status, then one write with both.
    expect(written).toEqual([0, 2]);
  });

  it("does not number again the events of a group commit that gave up although its write had landed", async () => {
    // The group commit's PUT lands but its answer is lost; reading the run again fails on every retry.
    const { store, clock, recorded } = fakeServer(["lost"], ["reset", "reset", "reset", "reset"]);
    const record = aRecord("00000000-0000-4000-8000-000000000013");
    await store.create(record, []);
    const running = { ...record, state: "running" as const, phase: "rolling-out" as const };
    await store.save(running, [patched], { batch: true });
    // The window, then the retries' pauses (at most 2 s each).
    await clock.advanceAsync(10_000);
    await store.save({ ...running, state: "succeeded", phase: "finished" }, [{ type: "finished", state: "succeeded", reason: "" }]);
    const run = recorded();
    expect(run.record.state).toBe("succeeded");
    expect(run.events.map((event) => `${event.sequence} ${event.type}`)).toEqual(["1 workload-patched", "2 finished"]);
  });
});

describe("runs without their first status", () => {
  /** A fake API server holding `objects` (runs as another replica created them), for listUnfinished's LIST. */
  function serverWith(objects: UpdateRunObject[]) {
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        if (request.method === "GET" && request.path.endsWith("/updateruns")) return { items: structuredClone(objects), metadata: {} } as T;
        throw new Error(`unexpected ${request.method} ${request.path}`);
      },
    };
    return rest;
  }

  /** The run `acceptor` created for `id`, its first status not written yet. */
  function statusless(id: string, acceptor: string | undefined): UpdateRunObject {
    const object = toUpdateRunObject(aRecord(id), "update-manager");
    object.metadata.resourceVersion = "7";
    object.metadata.uid = `uid-${id}`;
    if (acceptor !== undefined) object.metadata.annotations = { [acceptedByAnnotation]: acceptor };
    return object;
  }

  function storeOn(objects: UpdateRunObject[], gone: Record<string, number> = {}) {
    const clock = createFakeClock();
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest: serverWith(objects),
      namespace: "update-manager",
      clock,
      identity: "replica-b",
      orphanRunGraceMs: 30_000,
      goneSince: (replica) => gone[replica],
    });
    const unfinished = async () => (await store.listUnfinished()).map((record) => record.id);
    return { store, clock, unfinished };
  }

  const id = "00000000-0000-4000-8000-000000000051";

  it("leaves a run another replica is creating to it for the grace, then resumes it", async () => {
    const { store, clock, unfinished } = storeOn([statusless(id, "replica-a")]);
    expect(await unfinished()).toEqual([]);
    expect(store.leftToAcceptorMs(id)).toBe(30_000);
    clock.advance(29_000);
    expect(await unfinished()).toEqual([]);
    clock.advance(1_000);
    expect(store.leftToAcceptorMs(id)).toBe(0);
    expect(await unfinished()).toEqual([id]);
  });

  it("resumes at once a run whose acceptor is gone: its Lease was taken over after the run was seen", async () => {
    const gone: Record<string, number> = {};
    const { store, clock, unfinished } = storeOn([statusless(id, "replica-a")], gone);
    expect(await unfinished()).toEqual([]);
    clock.advance(4_000);
    gone["replica-a"] = clock.now().getTime();
    expect(store.leftToAcceptorMs(id)).toBe(0);
    expect(await unfinished()).toEqual([id]);
  });

  it("still leaves to a replica whose Lease was taken over a run it created since", async () => {
    const clock0 = new Date("2025-01-01T00:00:00Z").getTime();
    const { unfinished } = storeOn([statusless(id, "replica-a")], { "replica-a": clock0 - 1 });
    expect(await unfinished()).toEqual([]);
  });

  it("resumes at once a run an earlier process of this pod accepted, and one of an earlier version after the grace", async () => {
    const older = "00000000-0000-4000-8000-000000000052";
    const { clock, unfinished } = storeOn([statusless(id, "replica-b"), statusless(older, undefined)]);
    expect(await unfinished()).toEqual([id]);
    clock.advance(30_000);
    expect((await unfinished()).sort()).toEqual([id, older]);
  });
});
