import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import type { NodePlanController, ReconcileResult } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { createNodePlanRunner } from "../../../../src/core/use-cases/node-plans/node-plan-runner.js";
import { createFakeClock } from "../../../support/fake-clock.js";

function recordingController(result: (name: string) => ReconcileResult | Error = () => ({})) {
  const calls: string[] = [];
  const controller: NodePlanController = {
    async reconcile(name) {
      calls.push(name);
      const answer = result(name);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async sweepJobs() {
      calls.push("sweep");
    },
  };
  return { controller, calls };
}

describe("the node plan runner", () => {
  it("passes over every plan in name order, then sweeps, and again at least every idle interval", async () => {
    const clock = createFakeClock();
    const { controller, calls } = recordingController();
    const runner = createNodePlanRunner({ controller, planNames: () => ["b", "a"], clock, logger: silentLogger }, { idleMs: 30_000 });
    runner.start();
    await clock.advanceAsync(1);
    expect(calls).toEqual(["a", "b", "sweep"]);
    await clock.advanceAsync(30_000);
    expect(calls).toEqual(["a", "b", "sweep", "a", "b", "sweep"]);
    await runner.stop();
  });

  it("acts only while this replica leads", async () => {
    const clock = createFakeClock();
    const { controller, calls } = recordingController();
    let leading = false;
    const runner = createNodePlanRunner({ controller, planNames: () => ["a"], clock, logger: silentLogger, canExecute: () => leading }, { idleMs: 1_000 });
    runner.start();
    await clock.advanceAsync(5_000);
    expect(calls).toEqual([]);
    leading = true;
    await clock.advanceAsync(1_000);
    expect(calls).toEqual(["a", "sweep"]);
    await runner.stop();
  });

  it("honours a plan's requeue, a poke, and retries after an error", async () => {
    const clock = createFakeClock();
    let failing = true;
    const { controller, calls } = recordingController((name) => (name === "a" && failing ? new Error("API server unreachable") : { requeueAfterMs: 5_000 }));
    const runner = createNodePlanRunner({ controller, planNames: () => ["a"], clock, logger: silentLogger }, { idleMs: 60_000, retryMs: 2_000, debounceMs: 100 });
    runner.start();
    await clock.advanceAsync(1);
    expect(calls).toEqual(["a", "sweep"]);
    failing = false;
    await clock.advanceAsync(2_000); // the retry
    expect(calls.filter((call) => call === "a")).toHaveLength(2);
    runner.poke();
    await clock.advanceAsync(100);
    expect(calls.filter((call) => call === "a")).toHaveLength(3);
    await clock.advanceAsync(5_000); // the plan's requeue
    expect(calls.filter((call) => call === "a")).toHaveLength(4);
    await runner.stop();
    await clock.advanceAsync(120_000);
    expect(calls.filter((call) => call === "a")).toHaveLength(4);
  });
});
