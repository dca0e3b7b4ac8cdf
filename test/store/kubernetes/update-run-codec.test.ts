import { describe, expect, it } from "vitest";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import type { UpdateEvent, UpdateEventBody } from "../../../src/core/domain/update-event.js";
import {
  decompress,
  fromUpdateRunObject,
  idempotencyName,
  phaseName,
  stateFromPhase,
  toUpdateRunObject,
  toUpdateRunStatus,
  updateIdLabelValue,
  updateRunName,
} from "../../../src/store/kubernetes/update-run-codec.js";
import { aRecord } from "../../contract/update-store-contract.js";

function numbered(id: string, bodies: readonly UpdateEventBody[]): UpdateEvent[] {
  return bodies.map((body, index) => ({ ...body, sequence: index + 1, time: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, index)), updateId: id }) as UpdateEvent);
}

/** An update of `count` Deployments in 20 namespaces, each with two containers. */
function bigRecord(count: number): UpdateRecord {
  const base = aRecord("3f1c2b9e-8a41-4c77-9d2e-5b6f0a1c2d3e");
  const image = (tag: string) => `registry.example.com/platform/shop-frontend-service:${tag}`;
  const workloads = Array.from({ length: count }, (_, i) => ({
    workload: { kind: "Deployment" as const, namespace: `team-${i % 20}-production`, name: `shop-frontend-service-${i}` },
    containers: [
      { name: "app", init: false, currentImage: image(`2024.12.${i % 28}-build.${1000 + i}`), newImage: image("2025.01.07-build.2000"), unchanged: false },
      { name: "migrate-config", init: true, currentImage: image(`2024.12.${i % 28}-build.${1000 + i}`), newImage: image("2025.01.07-build.2000"), unchanged: false },
    ],
  }));
  return {
    ...base,
    image: image("2025.01.07-build.2000"),
    plan: { migrations: [], workloads: workloads.map((w) => ({ ...w, unchanged: false, warnings: [] })), warnings: [] },
    workloads: workloads.map((w) => ({ ...w, phase: "healthy" as const, message: "", patched: true, rollout: { state: "complete" as const, desired: 3, updated: 3, ready: 3, available: 3, message: `deployment "${w.workload.name}" successfully rolled out` } })),
  };
}

describe("UpdateRun codec", () => {
  it("reads back exactly the record and events it wrote, dates as dates", () => {
    const record = aRecord("u-1", { idempotencyKey: "k", requestHash: "h", state: "running", phase: "rolling-out", startTime: new Date("2025-01-01T00:00:02.5Z") });
    const events = numbered("u-1", [{ type: "planned", plan: record.plan }, { type: "workload-healthy", workload: record.workloads[0]!.workload }]);
    record.lastSequence = 2;
    const object = { ...toUpdateRunObject(record, "update-manager"), status: toUpdateRunStatus(record, events, "pod-a") };
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify(object)));
    expect(decoded.record).toEqual(record);
    expect(decoded.events).toEqual(events);
    expect(object.status.executor).toBe("pod-a");
    expect(object.status.phase).toBe("Running");
    expect(object.status.targets).toEqual([
      {
        target: "Deployment/shop/web",
        phase: "pending",
        patched: false,
        images: [{ container: "web", previous: "registry.example.com/shop/web:1.4.0", new: "registry.example.com/shop/web:1.5.0" }],
      },
    ]);
  });

  it("keeps a queued run's queue time, and the plan it got when it left the queue beside the spec's first one", () => {
    const queuedTime = new Date("2025-01-01T00:00:01.25Z");
    const queued = aRecord("u-q", { state: "queued", queuedTime });
    const first = queued.plan;
    const object = toUpdateRunObject(queued, "update-manager");
    const queuedEvents = numbered("u-q", [{ type: "planned", plan: first }, { type: "queued", behind: ["u-0"] }]);
    queued.lastSequence = 2;
    const asQueued = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status: toUpdateRunStatus(queued, queuedEvents, "pod-a") })));
    expect(asQueued.record).toEqual(queued);
    expect(toUpdateRunStatus(queued, queuedEvents, "pod-a").phase).toBe("Queued");
    // Between its creation and its first status write, a reader (a new leader resuming runs) sees it queued.
    expect(fromUpdateRunObject(JSON.parse(JSON.stringify(object))).record).toMatchObject({ state: "queued", queuedTime });

    // Planned again on leaving the queue: the image it replaces changed meanwhile.
    const second = {
      ...first,
      workloads: first.workloads.map((w) => ({ ...w, containers: w.containers.map((c) => ({ ...c, currentImage: `${c.currentImage}-next` })) })),
    };
    const leaving: UpdateRecord = { ...structuredClone(queued), state: "pending", plan: second, lastSequence: 3 };
    const events = numbered("u-q", [{ type: "planned", plan: first }, { type: "queued", behind: ["u-0"] }, { type: "planned", plan: second }]);
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status: toUpdateRunStatus(leaving, events, "pod-a") })));
    expect(decoded.record).toEqual(leaving);
    expect(decoded.events).toEqual(events);
  });

  it("keeps a waiting run's approval: what it needs in the spec, the decisions in a readable status", () => {
    const deadline = new Date("2025-01-02T00:00:00.5Z");
    const waiting = aRecord("u-a", {
      state: "waiting-for-approval",
      approval: {
        required: 2,
        deadline,
        policy: 'policy "production"',
        approvals: [{ principal: "alice", time: new Date("2025-01-01T01:00:00.25Z") }],
      },
    });
    const object = toUpdateRunObject(waiting, "update-manager");
    expect(object.spec.approval).toEqual({ required: 2, deadline: deadline.toISOString(), policy: 'policy "production"' });
    // Between its creation and its first status write it reads as waiting, never pending: unapproved, it must not run.
    expect(fromUpdateRunObject(JSON.parse(JSON.stringify(object))).record).toMatchObject({ state: "waiting-for-approval" });

    const events = numbered("u-a", [
      { type: "planned", plan: waiting.plan },
      { type: "approval-required", required: 2, deadline, policy: 'policy "production"' },
      { type: "approval-granted", approver: "alice", approvals: 1, required: 2 },
    ]);
    waiting.lastSequence = 3;
    const status = toUpdateRunStatus(waiting, events, "pod-a");
    expect(status.phase).toBe("WaitingForApproval");
    expect(status.approval).toEqual({ approvals: [{ principal: "alice", time: "2025-01-01T01:00:00.250Z" }] });
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status })));
    expect(decoded.record).toEqual(waiting);
    expect(decoded.events).toEqual(events);

    const rejected: UpdateRecord = structuredClone(waiting);
    rejected.approval!.rejection = { principal: "bob", time: new Date("2025-01-01T02:00:00Z"), reason: "no" };
    const back = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status: toUpdateRunStatus(rejected, events, "pod-a") })));
    expect(back.record.approval?.rejection).toEqual(rejected.approval!.rejection);
  });

  it("keeps a wait for a gate: readable in the spec (as accepted) and the status (the latest), with its events", () => {
    const notBefore = new Date("2025-01-01T09:00:00Z");
    const gateWait = { gate: "window" as const, policy: 'window "office-hours"', reason: "outside window", since: new Date("2025-01-01T00:00:00.5Z"), notBefore };
    const waiting = aRecord("u-g", { state: "waiting-for-gate", gateWait });
    const object = toUpdateRunObject(waiting, "update-manager");
    expect(object.spec.gateWait).toEqual({ gate: "window", policy: 'window "office-hours"', reason: "outside window", since: "2025-01-01T00:00:00.500Z", notBefore: "2025-01-01T09:00:00.000Z" });
    // Between its creation and its first status write it reads as waiting, never pending: it must not run yet.
    expect(fromUpdateRunObject(JSON.parse(JSON.stringify(object))).record).toMatchObject({ state: "waiting-for-gate", gateWait });

    const events = numbered("u-g", [
      { type: "planned", plan: waiting.plan },
      { type: "gate-closed", gate: "window", policy: 'window "office-hours"', reason: "outside window", notBefore },
    ]);
    waiting.lastSequence = 2;
    const status = toUpdateRunStatus(waiting, events, "pod-a");
    expect(status.phase).toBe("WaitingForGate");
    expect(status.recentEvents?.at(-1)).toMatchObject({ type: "gate-closed", message: "outside window" });
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status })));
    expect(decoded.record).toEqual(waiting);
    expect(decoded.events).toEqual(events);

    // It waits for the alert gate later: the status's wait is the latest one.
    const later: UpdateRecord = { ...structuredClone(waiting), gateWait: { gate: "alerts", policy: 'alert gate "no-pages"', reason: "1 alert fires", since: new Date("2025-01-01T09:00:00Z") } };
    const back = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status: toUpdateRunStatus(later, events, "pod-a") })));
    expect(back.record.gateWait).toEqual(later.gateWait);
  });

  it("reads a run of an earlier version whose status was never written as pending with no events", () => {
    const record = aRecord("u-2");
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify(toUpdateRunObject(record, "update-manager"))));
    expect(decoded.record).toEqual(record);
    expect(decoded.events).toEqual([]);
  });

  it("reads a run whose first status is not written yet as it was accepted: its state and first events, the plan stored once", () => {
    const queued = aRecord("u-3", { state: "queued", queuedTime: new Date("2025-01-01T00:00:01Z"), lastSequence: 2 });
    const events = numbered("u-3", [{ type: "planned", plan: queued.plan }, { type: "queued", behind: ["u-0"] }]);
    const object = toUpdateRunObject(queued, "update-manager", events);
    const decoded = fromUpdateRunObject(JSON.parse(JSON.stringify(object)));
    expect(decoded.record).toEqual(queued);
    expect(decoded.events).toEqual(events);
    expect(JSON.stringify(decompress(object.spec.accepted!))).not.toContain(queued.image);

    // A refused update is recorded finished: that is what it reads as, with its reason.
    const refused = aRecord("u-4", { state: "failed", phase: "finished", reason: "no workload uses it", finishTime: new Date("2025-01-01T00:00:02Z"), lastSequence: 1 });
    const finished = numbered("u-4", [{ type: "finished", state: "failed", reason: "no workload uses it" }]);
    expect(fromUpdateRunObject(JSON.parse(JSON.stringify(toUpdateRunObject(refused, "update-manager", finished))))).toEqual({
      record: refused,
      events: finished,
    });

    // Once a status is written, it alone says where the run is.
    const running: UpdateRecord = { ...structuredClone(queued), state: "running", phase: "rolling-out", lastSequence: 3 };
    const cancel = { ...numbered("u-3", [{ type: "cancel-requested", requester: "ci", reason: "" }])[0]!, sequence: 3 } as UpdateEvent;
    const later = [...events, cancel];
    const withStatus = fromUpdateRunObject(JSON.parse(JSON.stringify({ ...object, status: toUpdateRunStatus(running, later, "pod-a") })));
    expect(withStatus.record).toEqual(running);
    expect(withStatus.events.map((event) => event.type)).toEqual(["planned", "queued", "cancel-requested"]);
  });

  it("keeps a run of 500 targets with its whole event log under 256 KiB", () => {
    const record = bigRecord(500);
    const bodies: UpdateEventBody[] = [{ type: "planned", plan: record.plan }];
    for (const status of record.workloads) {
      bodies.push({ type: "workload-patched", workload: status.workload, containers: status.containers });
      for (let step = 0; step <= 3; step++) {
        bodies.push({
          type: "workload-progress",
          workload: status.workload,
          rollout: { state: "progressing", desired: 3, updated: step, ready: step, available: step, message: `Waiting for deployment "${status.workload.name}" rollout to finish: ${step} of 3 updated replicas are available...` },
        });
      }
      bodies.push({ type: "workload-healthy", workload: status.workload });
    }
    bodies.push({ type: "finished", state: "succeeded", reason: "" });
    const events = numbered(record.id, bodies);
    record.state = "succeeded";
    record.phase = "finished";
    record.lastSequence = events.length;
    const object = { ...toUpdateRunObject(record, "update-manager"), status: toUpdateRunStatus(record, events, "pod-a") };
    const bytes = Buffer.byteLength(JSON.stringify(object));
    expect(bytes).toBeLessThan(256 * 1024);
    // Readable parts are bounded whatever the number of targets.
    expect(object.status.targets).toHaveLength(50);
    expect(object.status.targetsOmitted).toBe(450);
    expect(object.status.recentEvents).toHaveLength(10);
    expect(fromUpdateRunObject(JSON.parse(JSON.stringify(object))).events).toHaveLength(events.length);
  });

  it("names keyed runs after (requester, key) only, so every replica derives the same name", () => {
    const a = aRecord("u-a", { idempotencyKey: "build-7" });
    const b = aRecord("u-b", { idempotencyKey: "build-7" });
    expect(updateRunName(a)).toBe(updateRunName(b));
    expect(updateRunName(a)).toBe(idempotencyName("ci", "build-7"));
    expect(idempotencyName("other", "build-7")).not.toBe(idempotencyName("ci", "build-7"));
    // ["a","b,c"] and ["a,b","c"] must not collide.
    expect(idempotencyName("a", "b,c")).not.toBe(idempotencyName("a,b", "c"));
    expect(updateRunName(aRecord("3f1c2b9e-8a41-4c77-9d2e-5b6f0a1c2d3e"))).toBe("3f1c2b9e-8a41-4c77-9d2e-5b6f0a1c2d3e");
    expect(updateRunName(aRecord("Not_A_Name"))).toMatch(/^ur-[0-9a-f]{40}$/);
    expect(updateIdLabelValue("u-1")).toBe("u-1");
    expect(updateIdLabelValue("x".repeat(64))).toMatch(/^h-[0-9a-f]{40}$/);
  });

  it("shows states as Kubernetes-style phases and reads them back", () => {
    expect(phaseName("rollback-failed")).toBe("RollbackFailed");
    expect(stateFromPhase("RollbackFailed")).toBe("rollback-failed");
    expect(stateFromPhase("Pending")).toBe("pending");
  });
});

describe("UpdateRun codec: the update's trace", () => {
  const trace = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true };

  it("writes the accept span into the spec and the latest attempt into the status, and reads both back", () => {
    const record = aRecord("u-trace", { trace: { ...trace, attemptSpanId: "b7ad6b7169203331", attempts: 2 } });
    const object = toUpdateRunObject(record, "update-manager");
    expect(object.spec.trace).toEqual(trace);
    const status = toUpdateRunStatus(record, numbered("u-trace", [{ type: "planned", plan: record.plan }]), "pod-a");
    expect(status.trace).toEqual({ ...trace, attemptSpanId: "b7ad6b7169203331", attempts: 2 });
    expect(fromUpdateRunObject({ ...object, status }).record.trace).toEqual(record.trace);
  });

  it("reads a run whose status is not written yet with no attempt, and an older run without a trace as untraced", () => {
    const record = aRecord("u-trace", { trace: { ...trace, attempts: 0 } });
    expect(fromUpdateRunObject(toUpdateRunObject(record, "update-manager")).record.trace).toEqual({ ...trace, attempts: 0 });
    expect(fromUpdateRunObject(toUpdateRunObject(aRecord("u-old"), "update-manager")).record.trace).toBeUndefined();
  });
});
