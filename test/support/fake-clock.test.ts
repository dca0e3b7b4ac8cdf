import { describe, expect, it } from "vitest";
import { createFakeClock } from "./fake-clock.js";

describe("fake clock", () => {
  it("fires due timers in time order, including ones set while advancing", () => {
    const clock = createFakeClock(new Date("2025-01-01T00:00:00Z"));
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`c@${clock.now().getTime() % 10_000}`));
    clock.setTimer(100, () => {
      fired.push(`a@${clock.now().getTime() % 10_000}`);
      clock.setTimer(50, () => fired.push(`b@${clock.now().getTime() % 10_000}`));
    });
    const cancel = clock.setTimer(200, () => fired.push("cancelled"));
    cancel();
    clock.advance(250);
    expect(fired).toEqual(["a@100", "b@150"]);
    expect(clock.now().toISOString()).toBe("2025-01-01T00:00:00.250Z");
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.runAll()).toBe(1);
    expect(fired).toEqual(["a@100", "b@150", "c@300"]);
  });

  it("keeps firing after a callback throws and rethrows at the end", () => {
    const clock = createFakeClock();
    const fired: number[] = [];
    clock.setTimer(1, () => {
      throw new Error("boom");
    });
    clock.setTimer(2, () => fired.push(2));
    expect(() => clock.advance(5)).toThrow("boom");
    expect(fired).toEqual([2]);
  });

  it("refuses to run a self-rearming timer forever", () => {
    const clock = createFakeClock();
    const rearm = () => {
      clock.setTimer(10, rearm);
    };
    rearm();
    expect(() => clock.runAll(100)).toThrow(/re-arms itself/);
  });

  it("lets awaiting code keep up between timers with advanceAsync", async () => {
    const clock = createFakeClock();
    const steps: number[] = [];
    const wait = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
    const run = (async () => {
      for (let i = 0; i < 3; i++) {
        await wait(100);
        steps.push(clock.now().getTime() % 10_000);
      }
    })();
    await clock.advanceAsync(1000);
    await run;
    expect(steps).toEqual([100, 200, 300]);
  });
});
