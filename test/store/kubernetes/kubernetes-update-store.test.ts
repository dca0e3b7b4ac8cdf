import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { HandledFailure } from "../../../src/core/ports/failure-counter.js";
import { createKubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import { createRecordingLogger, type LogLine } from "../../core/use-cases/engine-harness.js";
import { createFakeClock } from "../../support/fake-clock.js";
import { systemClock } from "../../../src/core/ports/clock.js";
import { aRecord } from "../../contract/update-store-contract.js";

describe("the UpdateRun store's clean-up", () => {
  it("logs and counts a failed DELETE of a run whose first status did not land, and still reports the create's failure", async () => {
    const requests: string[] = [];
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        requests.push(`${request.method} ${request.path.split("/").slice(-2).join("/")}`);
        if (request.method === "POST") {
          const body = request.body as { metadata: Record<string, unknown> };
          return { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: "1" } } as T;
        }
        if (request.method === "PUT") throw new KubernetesApiError(500, { message: "etcdserver: leader changed" });
        throw new KubernetesApiError(503, { message: "the server is currently unable to handle the request" });
      },
    };
    const lines: LogLine[] = [];
    const counted: HandledFailure[] = [];
    const store = createKubernetesUpdateStore({
      kubeConfig: new KubeConfig(),
      rest,
      namespace: "update-manager",
      clock: createFakeClock(),
      identity: "replica-a",
      logger: createRecordingLogger(lines),
      countFailure: (failure) => counted.push(failure),
    });
    await expect(store.create(aRecord("00000000-0000-4000-8000-000000000001"), [])).rejects.toMatchObject({ code: "unavailable" });
    expect(requests.map((request) => request.split(" ")[0])).toEqual(["POST", "PUT", "DELETE"]);
    expect(counted).toEqual(["run-cleanup"]);
    const warning = lines.find((line) => line.level === "warn");
    expect(warning?.message).toBe("deleting an UpdateRun whose first status failed did not work");
    expect(String((warning!.fields["err"] as Error).message)).toContain("unable to handle the request");
  });
});

describe("the UpdateRun store's writes under transient failures", () => {
  /** One UpdateRun on a fake API server that checks resourceVersions; `faults` are taken by the status PUTs in turn. */
  function fakeServer(faults: ("lost" | 503 | 429)[]) {
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
      clock: systemClock,
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
