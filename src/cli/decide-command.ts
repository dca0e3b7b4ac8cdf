import { describeState } from "./describe-event.js";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import type { DecideCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";

/**
 * `approve ID` and `reject ID [--reason R]`: one call, not retried (a decision is audited per call; approving
 * twice counts once anyway). Exit 0 once recorded; 5 for the requester itself or without the approve scope,
 * 1 when the update does not wait for approval, 2 for an unknown id.
 */
export async function runDecide(command: DecideCommand, context: CommandContext): Promise<CommandResult> {
  const update =
    command.name === "approve"
      ? (await context.client.approveUpdate({ updateId: command.updateId })).update
      : (await context.client.rejectUpdate({ updateId: command.updateId, reason: command.reason ?? "" })).update;
  const state = update?.state;
  const stateText = state === undefined ? "" : describeState(state);
  const message =
    command.name === "approve"
      ? `approved update ${command.updateId} (${update?.approvers.length ?? 0} of ${update?.requiredApprovals ?? 0} approvals); it is ${stateText}`
      : `rejected update ${command.updateId}; it is ${stateText}`;
  return { exitCode: ExitCode.succeeded, message, updateId: command.updateId, ...(state === undefined ? {} : { state }) };
}
