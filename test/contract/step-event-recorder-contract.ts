import { describe, expect, it } from "vitest";
import type { StepEvent } from "../../src/core/domain/step-event.js";
import type { WorkloadRef } from "../../src/core/domain/workload.js";
import type { StepEventRecorder } from "../../src/core/ports/step-event-recorder.js";

/** An event as the adapter's store shows it to an operator. */
export interface SeenStepEvent {
  readonly reason: string;
  readonly type: string;
  readonly note: string;
  readonly count: number;
}

/** One test's recorder, in a namespace of its own, and how to read back what it recorded. */
export interface StepEventRecorderHarness {
  readonly recorder: StepEventRecorder;
  readonly namespace: string;
  /** Resolves once what was recorded can be read. */
  settle(): Promise<void>;
  /** The events on this workload (any order). */
  eventsOn(ref: WorkloadRef): Promise<SeenStepEvent[]>;
  /** The events on this update as a whole (any order). */
  eventsOfUpdate(updateId: string): Promise<SeenStepEvent[]>;
}

const byReason = (events: readonly SeenStepEvent[]) => [...events].sort((a, b) => a.reason.localeCompare(b.reason));

/**
 * The StepEventRecorder contract, run against the simulated cluster's in-memory recorder (unit tier) and the
 * Kubernetes Events recorder on kube-apiserver (kube tier): an event is on the object it concerns, update-level
 * ones on the update, and a repeat is one event with a count.
 */
export function describeStepEventRecorderContract(name: string, fresh: () => Promise<StepEventRecorderHarness>): void {
  describe(`StepEventRecorder contract: ${name}`, () => {
    const step = (namespace: string, overrides: Partial<StepEvent> = {}): StepEvent => ({
      reason: "WorkloadPatched",
      type: "Normal",
      action: "Patch",
      updateId: "u-contract-1",
      image: "registry.example.com/shop/web:2.0",
      workload: { kind: "Deployment", namespace, name: "web" },
      note: "Update u-contract-1 set container app: registry.example.com/shop/web:1.0 -> registry.example.com/shop/web:2.0",
      ...overrides,
    });

    it("records a step on the workload it concerns, with its reason, type and note, and on no other", async () => {
      const h = await fresh();
      const web: WorkloadRef = { kind: "Deployment", namespace: h.namespace, name: "web" };
      h.recorder.record(step(h.namespace));
      h.recorder.record(step(h.namespace, { reason: "WorkloadFailed", type: "Warning", action: "Patch", note: "Update u-contract-1: CrashLoopBackOff" }));
      await h.settle();
      expect(byReason(await h.eventsOn(web))).toEqual([
        { reason: "WorkloadFailed", type: "Warning", note: "Update u-contract-1: CrashLoopBackOff", count: 1 },
        { reason: "WorkloadPatched", type: "Normal", note: step(h.namespace).note, count: 1 },
      ]);
      expect(await h.eventsOn({ ...web, name: "api" })).toEqual([]);
      expect(await h.eventsOn({ ...web, kind: "StatefulSet" })).toEqual([]);
    });

    it("folds a repeat into the event already recorded, counting it", async () => {
      const h = await fresh();
      h.recorder.record(step(h.namespace));
      await h.settle();
      h.recorder.record(step(h.namespace));
      h.recorder.record(step(h.namespace));
      await h.settle();
      const events = await h.eventsOn({ kind: "Deployment", namespace: h.namespace, name: "web" });
      expect(events).toEqual([{ reason: "WorkloadPatched", type: "Normal", note: step(h.namespace).note, count: 3 }]);
    });

    it("records an update-level step on the update, not on any workload", async () => {
      const h = await fresh();
      const { workload: _none, ...started } = step(h.namespace, {
        reason: "UpdateStarted",
        action: "Update",
        note: "Update u-contract-1 started",
      });
      h.recorder.record(started);
      await h.settle();
      expect(await h.eventsOfUpdate("u-contract-1")).toEqual([
        { reason: "UpdateStarted", type: "Normal", note: "Update u-contract-1 started", count: 1 },
      ]);
      expect(await h.eventsOfUpdate("u-contract-2")).toEqual([]);
      expect(await h.eventsOn({ kind: "Deployment", namespace: h.namespace, name: "web" })).toEqual([]);
    });
  });
}
