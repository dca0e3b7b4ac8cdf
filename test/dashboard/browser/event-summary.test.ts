import { describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { GateKind } from "../../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../../gen/updatemanager/v1/update_pb.js";
import { RolloutState } from "../../../gen/updatemanager/v1/workload_pb.js";
import { eventSummary } from "../../../src/dashboard/browser/event-summary.js";
import { deployment, event, job } from "./events.js";

describe("one line per event in the live view's log", () => {
  it("says what happened, to which object", () => {
    expect(eventSummary(event(1, { case: "migrationStarted", value: { template: job("web-migrate"), jobName: "web-migrate-1a2b" } }))).toBe(
      "Migration Job shop/web-migrate started as Job web-migrate-1a2b",
    );
    expect(
      eventSummary(
        event(2, {
          case: "workloadProgress",
          value: {
            workload: deployment("web"),
            rollout: { state: RolloutState.PROGRESSING, desiredReplicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 },
          },
        }),
      ),
    ).toBe("Deployment shop/web: 1 updated · 3 ready · 3 available of 3");
    expect(
      eventSummary(event(3, { case: "workloadPatched", value: { workload: deployment("web"), containers: [{ name: "web", newImage: "shop/web:1.5.0" }] } })),
    ).toBe("Deployment shop/web patched: web → shop/web:1.5.0");
  });

  it("says what a queued update waits for", () => {
    expect(eventSummary(event(2, { case: "queued", value: { behindUpdateIds: ["u0", "u9"] } }))).toBe(
      "Queued behind u0, u9: it runs when they have finished",
    );
  });

  it("says which gate an update waits for, until when, and how long it waited", () => {
    expect(
      eventSummary(
        event(2, {
          case: "gateClosed",
          value: {
            gate: GateKind.WINDOW,
            policy: 'window "office-hours"',
            reason: 'outside window "office-hours" (daily 09:00-17:00 UTC)',
            notBefore: timestampFromDate(new Date("2025-01-01T09:00:00Z")),
          },
        }),
      ),
    ).toBe('Waiting: outside window "office-hours" (daily 09:00-17:00 UTC) (not before 2025-01-01T09:00:00.000Z)');
    expect(eventSummary(event(3, { case: "gateOpened", value: { gate: GateKind.ALERTS, policy: 'alert gate "no-pages"', waitedMs: 90_400n } }))).toBe(
      'Alert gate "no-pages" open after 90 s',
    );
  });

  it("describes the rollback and the terminal state with its reason", () => {
    expect(eventSummary(event(4, { case: "rollbackStarted", value: { reason: "web failed", workloads: [deployment("web")] } }))).toBe(
      "Rollback started (web failed): restoring Deployment shop/web",
    );
    expect(eventSummary(event(5, { case: "rollbackFinished", value: { success: false, remaining: [deployment("worker")] } }))).toBe(
      "Rollback finished with Deployment shop/worker not restored",
    );
    expect(eventSummary(event(6, { case: "finished", value: { state: UpdateState.ROLLED_BACK, reason: "web failed" } }))).toBe(
      "Finished: ROLLED_BACK (web failed)",
    );
    expect(eventSummary(event(7, { case: "finished", value: { state: UpdateState.SUCCEEDED } }))).toBe("Finished: SUCCEEDED");
  });
});
