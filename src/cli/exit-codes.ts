import { Code, ConnectError } from "@connectrpc/connect";
import { NodePlanState } from "../../gen/updatemanager/v1/node_plan_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";

/**
 * The CLI's exit codes, a contract with the pipelines that call it (documented in docs/clients.md).
 * Codes say what a pipeline would do next: 2 needs a fix of the call, 3 means the health gates caught a bad
 * image and everything runs the old one again, 4 means the outcome is still open, 5 needs a credential fix.
 */
export const ExitCode = {
  /** The update succeeded (or was accepted, without `--wait`), or the command did what it was asked. */
  succeeded: 0,
  /** The update failed, could not be rolled back, or was cancelled; or the server could not be reached. */
  failed: 1,
  /** Wrong usage or invalid input (bad flags, malformed image, unknown classifier or update id). */
  usage: 2,
  /** The rollout failed and every changed workload runs its previous images again. */
  rolledBack: 3,
  /** `--wait-timeout` passed: the CLI stopped waiting; the update goes on. */
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
      // FAILED, ROLLBACK_FAILED and CANCELLED: the new image does not run and a person has to look.
      return ExitCode.failed;
  }
}

/** The exit code of an error an RPC ended with. */
export function exitCodeForError(error: unknown): ExitCode {
  const code = error instanceof ConnectError ? error.code : ConnectError.from(error).code;
  switch (code) {
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return ExitCode.accessDenied;
    case Code.InvalidArgument:
    case Code.NotFound:
    case Code.OutOfRange:
      // Malformed input, a reused idempotency key, a classifier that matches nothing, an unknown update id:
      // retrying the same call cannot help.
      return ExitCode.usage;
    default:
      return ExitCode.failed;
  }
}

/**
 * The exit code of `plans watch` by the plan's state when the watch ended, in the same table: complete 0, failed or
 * invalid 1 (a node failed and stays cordoned, or the spec is refused: a person has to look).
 */
export function exitCodeForPlanState(state: NodePlanState): ExitCode {
  return state === NodePlanState.COMPLETE ? ExitCode.succeeded : ExitCode.failed;
}
