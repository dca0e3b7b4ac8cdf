import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { callWithRetries } from "./call-with-retries.js";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import type { UpdateCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";
import { waitForUpdate } from "./wait-for-update.js";

/** `update`: starts an update, and with `--wait` follows it to its end. */
export async function runUpdate(command: UpdateCommand, context: CommandContext): Promise<CommandResult> {
  const { update } = await callWithRetries(
    () =>
      context.client.update({
        image: command.image,
        classifier: command.classifier,
        dryRun: command.dryRun,
        overrideQuarantine: command.overrideQuarantine,
        ...(command.idempotencyKey === undefined ? {} : { idempotencyKey: command.idempotencyKey }),
        ...(command.updateTimeoutMs === undefined ? {} : { updateTimeout: toDuration(command.updateTimeoutMs) }),
      }),
    {
      clock: context.clock,
      onRetry: (error, delayMs) => context.notice(`Update: ${error.message}; retrying in ${Math.ceil(delayMs / 1000)} s`),
    },
  );
  if (update === undefined) throw new Error("the server answered Update without an update");
  context.renderer.accepted(update, command.dryRun);
  if (command.dryRun) return { exitCode: ExitCode.succeeded, message: "dry run: nothing was changed" };
  if (!command.wait) {
    return {
      exitCode: ExitCode.succeeded,
      updateId: update.id,
      state: update.state,
      message: `update ${update.id} accepted; follow it with: update-manager watch ${update.id}`,
    };
  }
  // From the start, so a retried job that got the first update back (same idempotency key) shows all of it.
  return waitForUpdate(context, update.id, 0n, command.waitTimeoutMs);
}

function toDuration(ms: number) {
  return create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
}
