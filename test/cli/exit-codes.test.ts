import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { ExitCode, exitCodeForError, exitCodeForState } from "../../src/cli/exit-codes.js";

describe("exitCodeForState", () => {
  it.each([
    [UpdateState.SUCCEEDED, 0],
    [UpdateState.FAILED, 1],
    [UpdateState.ROLLED_BACK, 3],
    [UpdateState.ROLLBACK_FAILED, 1],
    [UpdateState.CANCELLED, 1],
  ])("maps terminal state %s to %i", (state, code) => {
    expect(exitCodeForState(state)).toBe(code);
  });

  it("never reports success for a state that is not SUCCEEDED", () => {
    for (const state of Object.values(UpdateState).filter((v): v is UpdateState => typeof v === "number")) {
      if (state !== UpdateState.SUCCEEDED) expect(exitCodeForState(state)).not.toBe(ExitCode.succeeded);
    }
  });
});

describe("exitCodeForError", () => {
  it.each([
    [Code.Unauthenticated, 5],
    [Code.PermissionDenied, 5],
    [Code.InvalidArgument, 2],
    [Code.NotFound, 2],
    [Code.OutOfRange, 2],
    [Code.Aborted, 1],
    [Code.FailedPrecondition, 1],
    [Code.ResourceExhausted, 1],
    [Code.Unavailable, 1],
    [Code.DeadlineExceeded, 1],
    [Code.Internal, 1],
    [Code.Unknown, 1],
    [Code.Unimplemented, 1],
    [Code.AlreadyExists, 1],
    [Code.Canceled, 1],
    [Code.DataLoss, 1],
  ])("maps %s to %i", (code, exitCode) => {
    expect(exitCodeForError(new ConnectError("x", code))).toBe(exitCode);
  });

  it("treats a non-RPC error (a bug, a broken pipe) as a failure", () => {
    expect(exitCodeForError(new Error("boom"))).toBe(ExitCode.failed);
  });

  it("keeps the documented numbers", () => {
    expect(ExitCode).toEqual({ succeeded: 0, failed: 1, usage: 2, rolledBack: 3, waitTimedOut: 4, accessDenied: 5 });
  });
});
