import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { FreezeStatus } from "../../gen/updatemanager/v1/approval_pb.js";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import type { FreezeCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";

/** `freeze [--reason R]`, `unfreeze` and `freeze --status`: exit 0 with the freeze in force. */
export async function runFreeze(command: FreezeCommand, context: CommandContext): Promise<CommandResult> {
  const answer =
    command.name === "unfreeze"
      ? await context.client.unfreeze({})
      : command.statusOnly
        ? await context.client.getFreeze({})
        : await context.client.freeze({ reason: command.reason ?? "" });
  return { exitCode: ExitCode.succeeded, message: describeFreeze(answer.freeze) };
}

export function describeFreeze(freeze: FreezeStatus | undefined): string {
  if (freeze === undefined || !freeze.frozen) {
    const by = freeze?.principal ? ` (unfrozen by ${freeze.principal})` : "";
    return `updates are not frozen${by}`;
  }
  const since = freeze.time === undefined ? "" : ` since ${timestampDate(freeze.time).toISOString()}`;
  return `updates are frozen by ${freeze.principal || "someone"}${since}${freeze.reason === "" ? "" : `: ${freeze.reason}`}`;
}
