import type { Target } from "../../gen/updatemanager/v1/workload_pb.js";
import { callWithRetries } from "./call-with-retries.js";
import type { CommandContext } from "./command-context.js";
import { ExitCode } from "./exit-codes.js";
import type { TargetsCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";

/** Pages are followed to the end, but never forever (a server bug must not make the CLI loop). */
const maxPages = 1000;

/** `targets`: every target that opted in (all pages), filtered as asked. */
export async function runTargets(command: TargetsCommand, context: CommandContext): Promise<CommandResult> {
  const targets: Target[] = [];
  let pageToken = "";
  for (let page = 0; page < maxPages; page++) {
    const answer = await callWithRetries(
      () =>
        context.client.listTargets({
          classifier: command.classifier ?? "",
          repository: command.repository ?? "",
          namespace: command.namespace ?? "",
          pageSize: 500,
          pageToken,
        }),
      {
        clock: context.clock,
        onRetry: (error, delayMs) => context.notice(`ListTargets: ${error.message}; retrying in ${Math.ceil(delayMs / 1000)} s`),
      },
    );
    targets.push(...answer.targets);
    pageToken = answer.nextPageToken;
    if (pageToken === "") break;
  }
  context.renderer.targets(targets);
  return { exitCode: ExitCode.succeeded, message: "" };
}
