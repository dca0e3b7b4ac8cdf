import { describe, expect, it } from "vitest";
import { engineNotReadyReason } from "../src/engine-not-ready-reason.js";

const synced = { cluster: () => true, store: undefined };

describe("why /readyz says the process is not ready", () => {
  it("names a failed start-up with its error, the attempts so far and the next try in whole seconds", () => {
    expect(engineNotReadyReason({ state: "retrying", reason: "the UpdateRun CRD is not installed", failures: 1, retryInMs: 1_200 }, synced)).toBe(
      "the update engine could not start (1 failed attempt; next in 2 s): the UpdateRun CRD is not installed",
    );
    expect(engineNotReadyReason({ state: "retrying", reason: "forbidden", failures: 3, retryInMs: 4_000 }, synced)).toBe(
      "the update engine could not start (3 failed attempts; next in 4 s): forbidden",
    );
  });

  it("says a stopped engine is stopped", () => {
    expect(engineNotReadyReason({ state: "stopped" }, synced)).toBe("the update engine is stopped");
  });

  it("while starting, names the part it still waits for: the cluster caches first, then the UpdateRun store", () => {
    const starting = { state: "starting" } as const;
    expect(engineNotReadyReason(starting, { cluster: () => false, store: () => false })).toBe("the cluster caches are not synced yet");
    expect(engineNotReadyReason(starting, { cluster: () => true, store: () => false })).toBe("the UpdateRun store is not synced yet");
    expect(engineNotReadyReason(starting, { cluster: () => true, store: () => true })).toBe("the update engine is starting");
    // The memory store has nothing to sync.
    expect(engineNotReadyReason(starting, synced)).toBe("the update engine is starting");
  });
});
