import { describe, expect, it } from "vitest";
import { createSimulatedStepEvents } from "../../../src/cluster/simulated/simulated-step-events.js";
import type { StepEvent } from "../../../src/core/domain/step-event.js";
import { describeStepEventRecorderContract } from "../../contract/step-event-recorder-contract.js";
import { createFakeClock } from "../../support/fake-clock.js";

describeStepEventRecorderContract("the simulated cluster's, in memory", async () => {
  const events = createSimulatedStepEvents({ clock: createFakeClock() });
  const seen = (list: ReturnType<typeof events.list>) =>
    list.map(({ reason, type, note, count }) => ({ reason, type, note, count }));
  return {
    recorder: events,
    namespace: "shop",
    settle: async () => undefined,
    eventsOn: async (ref) => seen(events.list({ workload: ref })),
    eventsOfUpdate: async (updateId) => seen(events.list({ updateId, updateLevel: true })),
  };
});

const step = (n: number): StepEvent => ({
  reason: "WorkloadHealthy",
  type: "Normal",
  action: "Patch",
  updateId: `u-${n}`,
  image: "registry.example.com/shop/web:2.0",
  workload: { kind: "Deployment", namespace: "shop", name: "web" },
  note: `Update u-${n}: healthy`,
});

describe("createSimulatedStepEvents", () => {
  it("keeps its bound, dropping the oldest events, and lists a repeated one where it last happened", () => {
    const clock = createFakeClock();
    const events = createSimulatedStepEvents({ clock, maxEvents: 3 });
    for (let n = 1; n <= 4; n++) events.record(step(n));
    expect(events.list().map((event) => event.updateId)).toEqual(["u-2", "u-3", "u-4"]);
    clock.advance(1_000);
    events.record(step(2));
    const list = events.list();
    expect(list.map((event) => [event.updateId, event.count])).toEqual([
      ["u-3", 1],
      ["u-4", 1],
      ["u-2", 2],
    ]);
    expect(list[2]!.lastTime.getTime() - list[2]!.firstTime.getTime()).toBe(1_000);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => createSimulatedStepEvents({ maxEvents: 0 })).toThrow(/maxEvents must be a positive integer/);
  });
});
