import { describe, expect, it } from "vitest";
import { UpdateState, WorkloadPhase } from "../../../gen/updatemanager/v1/update_pb.js";
import { RolloutState, WorkloadKind } from "../../../gen/updatemanager/v1/workload_pb.js";
import {
  isTerminal,
  rolloutText,
  shownWorkloadPhase,
  timestampText,
  updateStateText,
  updateStateTone,
  workloadPhaseText,
  workloadText,
} from "../../../src/dashboard/browser/format.js";

describe("the dashboard's words for API values", () => {
  it("names states as the API does, so the page matches pipeline logs", () => {
    expect(updateStateText(UpdateState.ROLLED_BACK)).toBe("ROLLED_BACK");
    expect(updateStateText(UpdateState.SUCCEEDED)).toBe("SUCCEEDED");
    expect(workloadPhaseText(WorkloadPhase.ROLLING_OUT)).toBe("ROLLING_OUT");
    expect(updateStateText(UpdateState.UNSPECIFIED)).toBe("UNKNOWN");
    // A state added to the API later, which this page does not know yet.
    expect(updateStateText(99 as UpdateState)).toBe("UNKNOWN");
  });

  it("shows a workload a finished update never reached as NOT_CHANGED (muted), not as a pending one", () => {
    expect(shownWorkloadPhase(UpdateState.FAILED, WorkloadPhase.PENDING)).toEqual({ text: "NOT_CHANGED", tone: "idle" });
    expect(shownWorkloadPhase(UpdateState.RUNNING, WorkloadPhase.PENDING)).toEqual({ text: "PENDING", tone: "busy" });
    expect(shownWorkloadPhase(UpdateState.SUCCEEDED, WorkloadPhase.HEALTHY)).toEqual({ text: "HEALTHY", tone: "ok" });
  });

  it("knows the terminal states, and which are good news", () => {
    const terminal = [UpdateState.SUCCEEDED, UpdateState.FAILED, UpdateState.ROLLED_BACK, UpdateState.ROLLBACK_FAILED, UpdateState.CANCELLED];
    for (const state of terminal) expect(isTerminal(state)).toBe(true);
    for (const state of [UpdateState.PENDING, UpdateState.RUNNING, UpdateState.ROLLING_BACK]) expect(isTerminal(state)).toBe(false);
    expect(updateStateTone(UpdateState.SUCCEEDED)).toBe("ok");
    expect(updateStateTone(UpdateState.ROLLED_BACK)).toBe("warn");
    expect(updateStateTone(UpdateState.ROLLBACK_FAILED)).toBe("bad");
    expect(updateStateTone(UpdateState.RUNNING)).toBe("busy");
  });

  it("counts replicas the way the rollout reports them", () => {
    const rollout = {
      $typeName: "updatemanager.v1.RolloutStatus" as const,
      state: RolloutState.PROGRESSING,
      desiredReplicas: 3,
      updatedReplicas: 2,
      readyReplicas: 3,
      availableReplicas: 1,
      message: "",
    };
    expect(rolloutText(rollout)).toBe("2 updated · 3 ready · 1 available of 3");
    expect(rolloutText({ ...rollout, state: RolloutState.NOT_APPLICABLE })).toBe("no rollout (used by the next run)");
    expect(rolloutText({ ...rollout, state: RolloutState.PAUSED, desiredReplicas: 0 })).toBe("PAUSED");
    expect(rolloutText(undefined)).toBe("not observed yet");
  });

  it("names objects by kind, namespace and name", () => {
    expect(workloadText({ $typeName: "updatemanager.v1.WorkloadRef", kind: WorkloadKind.STATEFUL_SET, namespace: "shop", name: "cache" })).toBe(
      "StatefulSet shop/cache",
    );
    expect(workloadText(undefined)).toBe("(unknown object)");
  });

  it("writes times in UTC, the same for everyone looking at one update", () => {
    expect(timestampText({ $typeName: "google.protobuf.Timestamp", seconds: 1_735_732_803n, nanos: 5 })).toBe("2025-01-01 12:00:03 UTC");
    expect(timestampText(undefined)).toBe("");
  });
});
