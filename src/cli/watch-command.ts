import { callWithRetries } from "./call-with-retries.js";
import type { CommandContext } from "./command-context.js";
import type { WatchCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";
import { waitForUpdate } from "./wait-for-update.js";

/** `watch ID`: shows the update as it is now, then follows its events to the end. */
export async function runWatch(command: WatchCommand, context: CommandContext): Promise<CommandResult> {
  const { update } = await callWithRetries(() => context.client.getUpdate({ updateId: command.updateId }), {
    clock: context.clock,
    onRetry: (error, delayMs) => context.notice(`GetUpdate: ${error.message}; retrying in ${Math.ceil(delayMs / 1000)} s`),
  });
  if (update !== undefined) context.renderer.accepted(update, false);
  return waitForUpdate(context, command.updateId, command.afterSequence, command.waitTimeoutMs);
}
