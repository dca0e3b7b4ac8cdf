import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/auth/rate-limiter.js";
import { createFakeClock } from "../support/fake-clock.js";

describe("per-principal rate limits", () => {
  it("allows the burst, then one call per refill interval, telling how long to wait", () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ clock, writes: { perMinute: 10, burst: 5 } });
    for (let i = 0; i < 5; i++) expect(limiter.take("ci", "write")).toEqual({ allowed: true });
    expect(limiter.take("ci", "write")).toEqual({ allowed: false, retryAfterMs: 6_000 });
    clock.advance(3_000);
    expect(limiter.take("ci", "write")).toEqual({ allowed: false, retryAfterMs: 3_000 });
    clock.advance(3_000);
    expect(limiter.take("ci", "write")).toEqual({ allowed: true });
    // Another principal, and reads, are separate buckets (reads default to 100 a minute, burst 50).
    expect(limiter.take("other", "write")).toEqual({ allowed: true });
    for (let i = 0; i < 50; i++) expect(limiter.take("ci", "read").allowed).toBe(true);
    expect(limiter.take("ci", "read")).toEqual({ allowed: false, retryAfterMs: 600 });
  });

  it("never refills beyond the burst, and 0 a minute turns a limit off", () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ clock, writes: { perMinute: 60, burst: 2 }, reads: { perMinute: 0, burst: 1 } });
    clock.advance(3_600_000);
    expect([1, 2, 3].map(() => limiter.take("ci", "write").allowed)).toEqual([true, true, false]);
    for (let i = 0; i < 1_000; i++) expect(limiter.take("ci", "read").allowed).toBe(true);
  });

  it("keeps memory bounded: refilled buckets go first, then the least recently used", () => {
    const clock = createFakeClock();
    const limiter = createRateLimiter({ clock, writes: { perMinute: 10, burst: 5 }, maxBuckets: 100 });
    // An active principal that used its burst keeps being limited through the churn of 1 000 others,
    // because it stays recently used.
    for (let i = 0; i < 5; i++) limiter.take("busy", "write");
    for (let i = 0; i < 1_000; i++) {
      limiter.take(`one-off-${i}`, "write");
      if (i % 50 === 0) expect(limiter.take("busy", "write").allowed).toBe(false);
      expect(limiter.size()).toBeLessThanOrEqual(100);
    }
    // Once everyone's bucket has refilled, an overflow drops those first.
    clock.advance(60_000);
    limiter.take("late", "write");
    expect(limiter.size()).toBeLessThanOrEqual(100);
    expect(limiter.take("busy", "write").allowed).toBe(true);
  });
});
