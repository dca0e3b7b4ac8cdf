import { describe, expect, it } from "vitest";
import { resolveUpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";

describe("update engine options", () => {
  it("documents and applies its defaults", () => {
    const { approverCapacity, ...resolved } = resolveUpdateEngineOptions();
    // Unlimited approvers unless the access configuration says how many there are.
    expect(approverCapacity("ci")).toBe(Number.POSITIVE_INFINITY);
    expect(resolved).toEqual({
      legacyAnnotation: true,
      defaultUpdateTimeoutMs: 15 * 60_000,
      maxUpdateTimeoutMs: 24 * 3600_000,
      migrationActiveDeadlineSeconds: 600,
      failFastOnPodProblems: true,
      podProblemReasons: ["ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError", "InvalidImageName"],
      progressIntervalMs: 1000,
      rollbackTimeoutMs: 5 * 60_000,
      watchHeartbeatMs: 15_000,
      watchBufferSize: 256,
      watchBufferBytes: 262_144,
      queueTimeoutMs: 3600_000,
      maxQueuedPerTarget: 20,
      outcomeWriteAttempts: 8,
      outcomeWriteBackoffMs: 500,
      approvalPolicies: [],
      approvalDeadlineMs: 24 * 3600_000,
      frozenNewUpdates: "refuse",
      windowPolicies: [],
      alertGatePolicies: [],
    });
  });

  it("keeps given values and ignores undefined ones", () => {
    const resolved = resolveUpdateEngineOptions({ legacyAnnotation: false, watchBufferSize: undefined, progressIntervalMs: 50 });
    expect(resolved.legacyAnnotation).toBe(false);
    expect(resolved.watchBufferSize).toBe(256);
    expect(resolved.progressIntervalMs).toBe(50);
  });

  it("rejects values that cannot work", () => {
    expect(() => resolveUpdateEngineOptions({ watchHeartbeatMs: 0 })).toThrow(/watchHeartbeatMs/);
    expect(() => resolveUpdateEngineOptions({ rollbackTimeoutMs: Number.NaN })).toThrow(/rollbackTimeoutMs/);
    expect(() => resolveUpdateEngineOptions({ defaultUpdateTimeoutMs: 2000, maxUpdateTimeoutMs: 1000 })).toThrow(/exceeds/);
  });
});
