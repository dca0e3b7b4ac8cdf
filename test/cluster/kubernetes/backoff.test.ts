import { describe, expect, it } from "vitest";
import { createBackoff } from "../../../src/cluster/kubernetes/backoff.js";

describe("createBackoff", () => {
  it("doubles from the initial delay up to the cap", () => {
    const backoff = createBackoff({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 });
    expect(Array.from({ length: 6 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("takes up to the jitter fraction off each delay", () => {
    expect(createBackoff({ initialDelayMs: 1000, jitter: 0.2 }, () => 0.999).next()).toBe(800);
    expect(createBackoff({ initialDelayMs: 1000, jitter: 0.2 }, () => 0).next()).toBe(1000);
  });

  it("starts over after a reset", () => {
    const backoff = createBackoff({ initialDelayMs: 50, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it("defaults to 500 ms, capped at 30 s", () => {
    const backoff = createBackoff({ jitter: 0 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays[0]).toBe(500);
    expect(delays[9]).toBe(30_000);
  });
});
