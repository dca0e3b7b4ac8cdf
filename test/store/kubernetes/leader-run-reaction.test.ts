import { describe, expect, it } from "vitest";
import { leaderRunReaction, type RunChange } from "../../../src/store/kubernetes/leader-run-reaction.js";
import { aRecord } from "../../contract/update-store-contract.js";

const id = "00000000-0000-4000-8000-000000000061";

/** The store's answer for a run without its first status that another, live replica accepted 5 s ago. */
const acceptorStillHasIt = (): number => 25_000;
/** The store's answer for a run with a status (or one whose acceptor is gone). */
const leftToNoOne = (): number => 0;

describe("what the leader does about a run its informer shows", () => {
  it("leaves a run another replica is accepting to it, though its first events are recorded already, and looks again after the grace", () => {
    // Accepted into a queue elsewhere: its spec carries the planned and queued events, its status is not written yet.
    const change: RunChange = { record: aRecord(id, { state: "queued", lastSequence: 2 }), executor: undefined, createdHere: false };
    expect(leaderRunReaction(change, "replica-b", acceptorStillHasIt)).toEqual({ kind: "look-again", afterMs: 25_000 });
    const pending: RunChange = { record: aRecord(id, { lastSequence: 1 }), executor: undefined, createdHere: false };
    expect(leaderRunReaction(pending, "replica-b", acceptorStillHasIt)).toEqual({ kind: "look-again", afterMs: 25_000 });
  });

  it("resumes a run another replica accepted once it has its first status, or once its acceptor is gone", () => {
    const change: RunChange = { record: aRecord(id, { lastSequence: 1 }), executor: undefined, createdHere: false };
    expect(leaderRunReaction(change, "replica-b", leftToNoOne)).toEqual({ kind: "resume" });
  });

  it("resumes a run whose executor is another replica (it is gone, or it lost the lead), and not one it executes itself", () => {
    const running = aRecord(id, { state: "running", phase: "rolling-out", lastSequence: 3 });
    expect(leaderRunReaction({ record: running, executor: "replica-a", createdHere: false }, "replica-b", leftToNoOne)).toEqual({ kind: "resume" });
    expect(leaderRunReaction({ record: running, executor: "replica-b", createdHere: false }, "replica-b", leftToNoOne)).toEqual({ kind: "nothing" });
  });

  it("does nothing for a run it created (it launched it) or a finished one", () => {
    expect(leaderRunReaction({ record: aRecord(id, { lastSequence: 1 }), executor: undefined, createdHere: true }, "replica-b", () => undefined)).toEqual({
      kind: "nothing",
    });
    const finished = aRecord(id, { state: "succeeded", phase: "finished", lastSequence: 4 });
    expect(leaderRunReaction({ record: finished, executor: "replica-a", createdHere: false }, "replica-b", leftToNoOne)).toEqual({ kind: "nothing" });
  });

  it("hands a decision on a waiting run to the queue at once, whoever recorded it", () => {
    const approved = aRecord(id, {
      state: "waiting-for-approval",
      lastSequence: 3,
      approval: { required: 1, deadline: new Date("2025-01-02T00:00:00Z"), policy: "p", approvals: [{ principal: "alice", time: new Date("2025-01-01T01:00:00Z") }] },
    });
    expect(leaderRunReaction({ record: approved, executor: "replica-a", createdHere: false }, "replica-a", acceptorStillHasIt)).toEqual({ kind: "resume" });
    const cancelled = aRecord(id, { state: "queued", lastSequence: 3, cancelRequested: true });
    expect(leaderRunReaction({ record: cancelled, executor: undefined, createdHere: true }, "replica-a", () => undefined)).toEqual({ kind: "resume" });
  });
});
