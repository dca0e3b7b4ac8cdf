import { describe, expect, it } from "vitest";
import type { CoreLogger } from "../src/core/ports/logger.js";
import { createEngineStartup } from "../src/engine-startup.js";
import { createFakeClock } from "./support/fake-clock.js";

function recordingLogger() {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const logger: CoreLogger = {
    debug() {},
    info() {},
    warn: (fields, message) => warnings.push({ fields, message }),
    error() {},
    child: () => logger,
  };
  return { logger, warnings };
}

const noJitter = { initialDelayMs: 1000, maxDelayMs: 8000, jitter: 0 };

describe("createEngineStartup", () => {
  it("reports starting, then running once an attempt succeeds, and calls onRunning once", async () => {
    const clock = createFakeClock();
    let finish!: () => void;
    let running = 0;
    const startup = createEngineStartup({
      attempt: () => new Promise<void>((resolve) => (finish = resolve)),
      logger: recordingLogger().logger,
      clock,
      onRunning: () => running++,
    });
    startup.start();
    startup.start();
    expect(startup.status()).toEqual({ state: "starting" });
    finish();
    await clock.flush();
    expect(startup.status()).toEqual({ state: "running" });
    expect(running).toBe(1);
  });

  it("retries a failed start with a growing, capped delay, logging each failure, until it succeeds", async () => {
    const clock = createFakeClock();
    const { logger, warnings } = recordingLogger();
    let attempts = 0;
    const startup = createEngineStartup({
      attempt: async () => {
        attempts++;
        if (attempts <= 5) throw new Error("the UpdateRun custom resource (updateruns.updatemanager.io) is not installed");
      },
      logger,
      clock,
      backoff: noJitter,
    });
    startup.start();
    await clock.flush();
    expect(startup.status()).toEqual({
      state: "retrying",
      reason: "the UpdateRun custom resource (updateruns.updatemanager.io) is not installed",
      failures: 1,
      retryInMs: 1000,
    });
    // Not before the delay.
    await clock.advanceAsync(999);
    expect(attempts).toBe(1);
    await clock.advanceAsync(1);
    expect(attempts).toBe(2);
    await clock.advanceAsync(2000 + 4000 + 8000 + 8000);
    expect(attempts).toBe(6);
    expect(warnings.map((warning) => warning.fields.retryInMs)).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(warnings.every((warning) => warning.message === "the update engine could not start; retrying")).toBe(true);
    expect(startup.status()).toEqual({ state: "running" });
  });

  it("makes no further attempt once stopped", async () => {
    const clock = createFakeClock();
    let attempts = 0;
    const startup = createEngineStartup({
      attempt: async () => {
        attempts++;
        throw new Error("forbidden");
      },
      logger: recordingLogger().logger,
      clock,
      backoff: noJitter,
    });
    startup.start();
    await clock.flush();
    startup.stop();
    await clock.advanceAsync(60_000);
    expect(attempts).toBe(1);
    expect(startup.status()).toEqual({ state: "stopped" });
    expect(clock.pendingTimers()).toBe(0);
  });
});
