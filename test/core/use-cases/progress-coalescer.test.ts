import { describe, expect, it } from "vitest";
import type { RolloutVerdict } from "../../../src/core/domain/rollout-verdict.js";
import { createProgressCoalescer } from "../../../src/core/use-cases/progress-coalescer.js";
import { createFakeClock } from "../../support/fake-clock.js";

const verdict = (updated: number): RolloutVerdict => ({
  state: "progressing",
  desired: 3,
  updated,
  ready: 3,
  available: 3,
  message: `${updated} of 3 updated`,
});

describe("coalescing rollout progress", () => {
  it("emits the first change at once, then the latest at most once per interval", () => {
    const clock = createFakeClock();
    const emitted: number[] = [];
    const coalescer = createProgressCoalescer(clock, 1000, (v) => emitted.push(v.updated));
    coalescer.offer(verdict(0));
    expect(emitted).toEqual([0]);
    clock.advance(100);
    coalescer.offer(verdict(1));
    coalescer.offer(verdict(2));
    expect(emitted).toEqual([0]);
    clock.advance(900);
    expect(emitted).toEqual([0, 2]);
    clock.advance(5000);
    expect(emitted).toEqual([0, 2]);
    coalescer.offer(verdict(3));
    expect(emitted).toEqual([0, 2, 3]);
    coalescer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it("ignores repeats and flushes a pending state on demand", () => {
    const clock = createFakeClock();
    const emitted: number[] = [];
    const coalescer = createProgressCoalescer(clock, 1000, (v) => emitted.push(v.updated));
    coalescer.offer(verdict(1));
    coalescer.offer(verdict(1));
    coalescer.offer(verdict(2));
    coalescer.flush();
    expect(emitted).toEqual([1, 2]);
    expect(clock.pendingTimers()).toBe(0);
    coalescer.flush();
    expect(emitted).toEqual([1, 2]);
  });

  it("drops a pending state when stopped", () => {
    const clock = createFakeClock();
    const emitted: number[] = [];
    const coalescer = createProgressCoalescer(clock, 1000, (v) => emitted.push(v.updated));
    coalescer.offer(verdict(1));
    coalescer.offer(verdict(2));
    coalescer.stop();
    clock.advance(2000);
    expect(emitted).toEqual([1]);
  });
});
