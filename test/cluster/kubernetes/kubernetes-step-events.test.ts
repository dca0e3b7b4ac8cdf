import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import {
  createKubernetesStepEvents,
  type KubernetesStepEventsOptions,
} from "../../../src/cluster/kubernetes/kubernetes-step-events.js";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { StepEvent } from "../../../src/core/domain/step-event.js";
import type { HandledFailure } from "../../../src/core/ports/failure-counter.js";
import { createRecordingLogger, type LogLine } from "../../core/use-cases/engine-harness.js";
import { createFakeClock } from "../../support/fake-clock.js";

const run = { apiVersion: "updatemanager.io/v1alpha1", kind: "UpdateRun", namespace: "update-manager", name: "u-1", uid: "uid-of-run" };

const patched: StepEvent = {
  reason: "WorkloadPatched",
  type: "Normal",
  action: "Patch",
  updateId: "u-1",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  image: "registry.example.com/shop/web:2.0",
  workload: { kind: "Deployment", namespace: "shop", name: "web" },
  note: "Update u-1 set container app: registry.example.com/shop/web:1.0 -> registry.example.com/shop/web:2.0",
};
const succeeded: StepEvent = {
  reason: "UpdateSucceeded",
  type: "Normal",
  action: "Update",
  updateId: "u-1",
  image: "registry.example.com/shop/web:2.0",
  note: "Update u-1 (registry.example.com/shop/web:2.0) succeeded",
};

/**
 * A REST client that answers discovery as a server with (or, `eventsV1: false`, without) events.k8s.io/v1 and
 * records every other request; `fail` makes writes answer with that status; `hold` keeps them waiting.
 */
function fakeApiServer(options: { eventsV1?: boolean } = {}) {
  const requests: RestRequest[] = [];
  const state = { fail: undefined as number | undefined, held: [] as (() => void)[], hold: false };
  const rest: RestClient = {
    async request<T>(request: RestRequest): Promise<T> {
      if (request.method === "GET" && request.path === "/apis/events.k8s.io/v1") {
        if (options.eventsV1 === false) throw new KubernetesApiError(404, { message: "the server could not find the requested resource" });
        return { resources: [{ name: "events", namespaced: true, kind: "Event", verbs: ["create", "patch"] }] } as T;
      }
      requests.push(request);
      if (state.hold) await new Promise<void>((resolve) => state.held.push(resolve));
      if (state.fail !== undefined) throw new KubernetesApiError(state.fail, { message: `events is forbidden (${state.fail})` });
      return request.body as T;
    },
  };
  return { rest, requests, state };
}

function setup(fake: ReturnType<typeof fakeApiServer>, options: Partial<KubernetesStepEventsOptions> = {}) {
  const lines: LogLine[] = [];
  const counted: HandledFailure[] = [];
  const clock = createFakeClock(new Date("2030-01-02T03:04:05.678Z"));
  const recorder = createKubernetesStepEvents({
    rest: fake.rest,
    clock,
    logger: createRecordingLogger(lines),
    instance: "update-manager-7d9f-abcde",
    uidOf: (ref) => (ref.name === "web" ? "uid-of-web" : undefined),
    updateRunOf: (id) => (id === "u-1" ? run : undefined),
    countFailure: (failure) => counted.push(failure),
    ...options,
  });
  return { recorder, lines, counted, clock, warnings: () => lines.filter((line) => line.level === "warn").map((line) => line.message) };
}

describe("createKubernetesStepEvents", () => {
  it("creates an events.k8s.io/v1 Event on the workload, with its uid, the reporting pod and the UpdateRun as related", async () => {
    const fake = fakeApiServer();
    const { recorder } = setup(fake);
    recorder.record(patched);
    await recorder.whenIdle();

    expect(recorder.api()).toBe("events.k8s.io/v1");
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: "POST", path: "/apis/events.k8s.io/v1/namespaces/shop/events" });
    const body = fake.requests[0]!.body as Record<string, unknown>;
    expect(body).toEqual({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: expect.stringMatching(/^web\.[0-9a-f]+$/), namespace: "shop" },
      eventTime: "2030-01-02T03:04:05.678000Z",
      reportingController: "update-manager",
      reportingInstance: "update-manager-7d9f-abcde",
      action: "Patch",
      reason: "WorkloadPatched",
      type: "Normal",
      note: patched.note,
      regarding: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", uid: "uid-of-web" },
      related: run,
    });
  });

  it("records update-level events on the UpdateRun, and none when the update has no UpdateRun", async () => {
    const fake = fakeApiServer();
    const { recorder, counted } = setup(fake);
    recorder.record(succeeded);
    recorder.record({ ...succeeded, updateId: "u-without-run" });
    await recorder.whenIdle();

    expect(fake.requests.map((request) => request.path)).toEqual(["/apis/events.k8s.io/v1/namespaces/update-manager/events"]);
    expect(fake.requests[0]!.body).toMatchObject({ reason: "UpdateSucceeded", regarding: run, metadata: { name: expect.stringMatching(/^u-1\./) } });
    expect(counted).toEqual([]);
  });

  it("falls back to core/v1 Events, with counts and timestamps, on a server without events.k8s.io/v1", async () => {
    const fake = fakeApiServer({ eventsV1: false });
    const { recorder } = setup(fake);
    recorder.record(patched);
    await recorder.whenIdle();

    expect(recorder.api()).toBe("v1");
    expect(fake.requests[0]).toMatchObject({ method: "POST", path: "/api/v1/namespaces/shop/events" });
    expect(fake.requests[0]!.body).toMatchObject({
      apiVersion: "v1",
      involvedObject: { kind: "Deployment", namespace: "shop", name: "web", uid: "uid-of-web" },
      related: run,
      reason: "WorkloadPatched",
      message: patched.note,
      type: "Normal",
      source: { component: "update-manager" },
      reportingComponent: "update-manager",
      reportingInstance: "update-manager-7d9f-abcde",
      firstTimestamp: "2030-01-02T03:04:05Z",
      lastTimestamp: "2030-01-02T03:04:05Z",
      count: 1,
    });
  });

  it("folds a repeat within six minutes into the Event's series, and creates a new Event after that", async () => {
    const fake = fakeApiServer();
    const { recorder, clock } = setup(fake);
    recorder.record(patched);
    await recorder.whenIdle();
    clock.advance(60_000);
    recorder.record(patched);
    await recorder.whenIdle();
    const name = (fake.requests[0]!.body as { metadata: { name: string } }).metadata.name;
    expect(fake.requests[1]).toEqual({
      method: "PATCH",
      path: `/apis/events.k8s.io/v1/namespaces/shop/events/${name}`,
      contentType: "application/merge-patch+json",
      body: { series: { count: 2, lastObservedTime: "2030-01-02T03:05:05.678000Z" } },
    });
    // Another reason on the same workload is another Event.
    recorder.record({ ...patched, reason: "WorkloadHealthy", note: "healthy" });
    clock.advance(7 * 60_000);
    recorder.record(patched);
    await recorder.whenIdle();
    expect(fake.requests.slice(2).map((request) => request.method)).toEqual(["POST", "POST"]);
  });

  it("returns at once while the API server is slow, and writes the events in order", async () => {
    const fake = fakeApiServer();
    fake.state.hold = true;
    const { recorder } = setup(fake);
    recorder.record(patched);
    recorder.record({ ...patched, reason: "WorkloadHealthy", note: "healthy" });
    // Nothing blocked the caller; the first write waits at the server, the second behind it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.requests).toHaveLength(1);
    fake.state.hold = false;
    for (const release of fake.state.held.splice(0)) release();
    await recorder.whenIdle();
    expect(fake.requests.map((request) => (request.body as { reason: string }).reason)).toEqual(["WorkloadPatched", "WorkloadHealthy"]);
  });

  it("logs and counts a refused Event and goes on with the next", async () => {
    const fake = fakeApiServer();
    const { recorder, counted, warnings, lines } = setup(fake);
    fake.state.fail = 403;
    recorder.record(patched);
    await recorder.whenIdle();
    fake.state.fail = undefined;
    recorder.record(succeeded);
    await recorder.whenIdle();

    expect(counted).toEqual(["event-not-recorded"]);
    expect(warnings()).toEqual([expect.stringContaining("the WorkloadPatched Event of update u-1 was not recorded: events is forbidden (403)")]);
    // Found by the update's ids, as every log line about an update.
    expect(lines.find((line) => line.level === "warn")?.fields).toMatchObject({ update_id: "u-1", trace_id: patched.traceId });
    expect(fake.requests.map((request) => (request.body as { reason: string }).reason)).toEqual(["WorkloadPatched", "UpdateSucceeded"]);
  });

  it("drops (and counts) what exceeds its queue instead of holding it", async () => {
    const fake = fakeApiServer();
    fake.state.hold = true;
    const { recorder, counted, warnings } = setup(fake, { maxQueued: 2 });
    for (let i = 0; i < 4; i++) recorder.record({ ...patched, note: `note ${i}` });
    // The first is being written; two wait; the fourth is dropped.
    expect(counted).toEqual(["event-not-recorded"]);
    expect(warnings()[0]).toContain("2 Events wait to be written already");
    fake.state.hold = false;
    await new Promise((resolve) => setImmediate(resolve));
    for (const release of fake.state.held.splice(0)) release();
    await recorder.whenIdle();
    expect(fake.requests.map((request) => (request.body as { note: string }).note)).toEqual(["note 0", "note 1", "note 2"]);
  });
});
