import { ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { formatDuration } from "./format-duration.js";
import { describeState } from "./describe-event.js";
import { ExitCode, exitCodeForState } from "./exit-codes.js";
import type { CommandContext } from "./command-context.js";
import { type FollowOutcome, followUpdate, isResumable } from "./follow-update.js";
import type { CommandResult } from "./renderer.js";

/** Follows an update to its end (or to `waitTimeoutMs`) and says how the command ends. */
export async function waitForUpdate(
  context: CommandContext,
  updateId: string,
  afterSequence: bigint,
  waitTimeoutMs: number | undefined,
): Promise<CommandResult> {
  let lastSequence = afterSequence;
  let outcome: FollowOutcome;
  try {
    outcome = await followUpdate({
      client: context.client,
      updateId,
      afterSequence,
      clock: context.clock,
      ...(waitTimeoutMs === undefined ? {} : { waitTimeoutMs }),
      onMessage: (message) => {
        if (message.message.case === "event") lastSequence = message.message.value.sequence;
        context.renderer.message(message);
      },
      onReconnect: (reconnect) => context.renderer.reconnecting(reconnect),
    });
  } catch (error) {
    const connectError = ConnectError.from(error);
    if (!isResumable(connectError)) throw connectError;
    // Reconnecting failed for too long. The update does not depend on this watch: say how to pick it up again.
    return {
      exitCode: ExitCode.failed,
      updateId,
      message:
        `lost the watch of update ${updateId} (${connectError.message}); the update goes on. ` +
        `Follow it with: update-manager watch ${updateId} --after-sequence ${lastSequence}`,
      error: { code: codeToString(connectError.code), reason: "", metadata: {} },
    };
  }
  if (outcome.kind === "wait-timed-out") {
    return {
      exitCode: ExitCode.waitTimedOut,
      updateId,
      waitTimedOut: true,
      message:
        `stopped waiting after ${formatDuration(waitTimeoutMs ?? 0)}; update ${updateId} goes on. ` +
        `Follow it with: update-manager watch ${updateId} --after-sequence ${outcome.lastSequence}`,
    };
  }
  const { state, reason } = outcome.finished;
  return {
    exitCode: exitCodeForState(state),
    updateId,
    state,
    message: `update ${updateId} ${describeState(state)}${reason === "" ? "" : `: ${reason}`}`,
  };
}
