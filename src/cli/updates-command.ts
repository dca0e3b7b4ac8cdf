import type { Update } from "../../gen/updatemanager/v1/update_pb.js";
import { callWithRetries } from "./call-with-retries.js";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import type { UpdatesCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";

/** A scoped caller's pages can be short or empty; this bounds how many the CLI reads to fill `--limit`. */
const maxPages = 1000;

/** `updates`: the newest updates, up to `--limit`. */
export async function runUpdates(command: UpdatesCommand, context: CommandContext): Promise<CommandResult> {
  const updates: Update[] = [];
  let pageToken = "";
  for (let page = 0; page < maxPages && updates.length < command.limit; page++) {
    const answer = await callWithRetries(
      () =>
        context.client.listUpdates({
          classifier: command.classifier ?? "",
          requester: command.requester ?? "",
          states: [...command.states],
          pageSize: Math.min(500, command.limit - updates.length),
          pageToken,
        }),
      {
        clock: context.clock,
        onRetry: (error, delayMs) => context.notice(`ListUpdates: ${error.message}; retrying in ${Math.ceil(delayMs / 1000)} s`),
      },
    );
    updates.push(...answer.updates);
    pageToken = answer.nextPageToken;
    if (pageToken === "") break;
  }
  context.renderer.updates(updates.slice(0, command.limit));
  return { exitCode: ExitCode.succeeded, message: "" };
}
