import { describe, expect, it } from "vitest";
import { createPoller } from "../../../src/dashboard/browser/poller.js";
import { createFakeClock } from "../../support/fake-clock.js";

function counter(clock = createFakeClock()) {
  let runs = 0;
  let release: (() => void) | undefined;
  let slow = false;
  const poller = createPoller({
    intervalMs: 5000,
    timers: clock,
    run: () => {
      runs++;
      if (!slow) return Promise.resolve();
      return new Promise<void>((resolve) => (release = resolve));
    },
  });
  return {
    clock,
    poller,
    runs: () => runs,
    makeSlow: () => (slow = true),
    finishRun: () => release?.(),
  };
}

describe("the list poller", () => {
  it("runs at once, then every interval after the previous run ended", async () => {
    const { clock, poller, runs } = counter();
    poller.start();
    await clock.flush();
    expect(runs()).toBe(1);
    await clock.advanceAsync(4999);
    expect(runs()).toBe(1);
    await clock.advanceAsync(1);
    expect(runs()).toBe(2);
    await clock.advanceAsync(10_000);
    expect(runs()).toBe(4);
  });

  it("never overlaps runs against a slow server", async () => {
    const { clock, poller, runs, makeSlow, finishRun } = counter();
    makeSlow();
    poller.start();
    await clock.advanceAsync(60_000);
    expect(runs()).toBe(1);
    finishRun();
    await clock.flush();
    await clock.advanceAsync(5000);
    expect(runs()).toBe(2);
  });

  it("runs at once on refresh, and after the current run when one is under way", async () => {
    const { clock, poller, runs, makeSlow, finishRun } = counter();
    poller.start();
    await clock.flush();
    poller.refresh();
    await clock.flush();
    expect(runs()).toBe(2);
    makeSlow();
    poller.refresh();
    await clock.flush();
    expect(runs()).toBe(3);
    poller.refresh();
    await clock.flush();
    expect(runs()).toBe(3);
    finishRun();
    await clock.flush();
    await clock.flush();
    expect(runs()).toBe(4);
  });

  it("stops, and keeps polling after a failed run", async () => {
    const clock = createFakeClock();
    let runs = 0;
    const poller = createPoller({
      intervalMs: 1000,
      timers: clock,
      run: async () => {
        runs++;
        throw new Error("network down");
      },
    });
    poller.start();
    await clock.advanceAsync(2000);
    expect(runs).toBe(3);
    poller.stop();
    expect(poller.running).toBe(false);
    await clock.advanceAsync(10_000);
    expect(runs).toBe(3);
    expect(clock.pendingTimers()).toBe(0);
  });
});
