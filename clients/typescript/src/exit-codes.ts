import { Code, ConnectError } from "@connectrpc/connect";
import { UpdateState } from "./gen/updatemanager/v1/update_pb.js";

/**
 * The exit codes of the `update-manager` CLI, so that a pipeline using this package ends the way one using the CLI
 * would: 2 needs a fix of the call, 3 means the health gates caught a bad image and everything runs the old one
 * again, 4 means the outcome is still open, 5 needs a credential fix.
 */
export const ExitCode = {
  /** The update succeeded. */
  succeeded: 0,
  /** The update failed, could not be rolled back, or was cancelled; or the server could not be reached. */
  failed: 1,
  /** Invalid input (malformed image, unknown classifier or update id, a reused idempotency key). */
  usage: 2,
  /** The rollout failed and every changed workload runs its previous images again. */
  rolledBack: 3,
  /** The wait timed out: the update goes on. */
  waitTimedOut: 4,
  /** The credential is missing, invalid, or not allowed to do this. */
  accessDenied: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of a terminal update state. Non-terminal states cannot end a wait and count as failed. */
export function exitCodeForState(state: UpdateState): ExitCode {
  switch (state) {
    case UpdateState.SUCCEEDED:
      return ExitCode.succeeded;
    case UpdateState.ROLLED_BACK:
      return ExitCode.rolledBack;
    default:
      return ExitCode.failed;
  }
}

/** The exit code of an error an RPC ended with. */
export function exitCodeForError(error: unknown): ExitCode {
  switch (ConnectError.from(error).code) {
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return ExitCode.accessDenied;
    case Code.InvalidArgument:
    case Code.NotFound:
    case Code.OutOfRange:
      // Retrying the same call cannot help.
      return ExitCode.usage;
    default:
      return ExitCode.failed;
  }
}
