import { readFile } from "node:fs/promises";
import type { Clock } from "../core/ports/clock.js";
import type { CommandContext } from "./command-context.js";
import type { ConnectionOptions } from "./connection-options.js";
import { createNodePlanClient, createUpdateClient, type NodePlanClient, type UpdateClient } from "./create-update-client.js";
import { resultForError } from "./describe-error.js";
import { type ExitCode, ExitCode as ExitCodes } from "./exit-codes.js";
import { createJsonRenderer } from "./json-renderer.js";
import { type CliCommand, parseCommandLine } from "./parse-arguments.js";
import { createPlainRenderer } from "./plain-renderer.js";
import { processClock } from "./process-clock.js";
import type { CommandResult, OutputStream, Renderer } from "./renderer.js";
import { runTargets } from "./targets-command.js";
import { createTtyRenderer } from "./tty-renderer.js";
import { runUpdate } from "./update-command.js";
import { runUpdates } from "./updates-command.js";
import { UsageError } from "./usage-error.js";
import { runWatch } from "./watch-command.js";
import { runDecide } from "./decide-command.js";
import { runFreeze } from "./freeze-command.js";
import { runPlans } from "./plans-command.js";
import { packageRoot } from "../package-root.js";

export interface CliOptions {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Default: the generated client over the transport the options ask for. */
  readonly createClient?: (options: ConnectionOptions) => UpdateClient;
  /** Default: the generated NodePlanService client over the same kind of transport. */
  readonly createPlanClient?: (options: ConnectionOptions) => NodePlanClient;
  /** Default: real time. */
  readonly clock?: Clock;
}

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function runCli(options: CliOptions): Promise<ExitCode> {
  let command: CliCommand;
  try {
    command = parseCommandLine(options.argv, options.env);
  } catch (error) {
    // The output format is not known yet: a usage error is always text on stderr.
    const result = resultForError(error);
    options.stderr.write(`${result.message}\n`);
    return result.exitCode;
  }
  if (command.name === "help") {
    options.stdout.write(`${command.text}\n`);
    return ExitCodes.succeeded;
  }
  if (command.name === "version") {
    options.stdout.write(`update-manager ${await packageVersion()}\n`);
    return ExitCodes.succeeded;
  }

  const renderer = chooseRenderer(command.output, options);
  let result: CommandResult;
  try {
    await checkCredential(command.connection);
    const context: CommandContext = {
      client: (options.createClient ?? createUpdateClient)(command.connection),
      plans: (options.createPlanClient ?? createNodePlanClient)(command.connection),
      renderer,
      clock: options.clock ?? processClock,
      notice: (text) => {
        if (command.output === "text") options.stderr.write(`${text}\n`);
      },
    };
    switch (command.name) {
      case "update":
        result = await runUpdate(command, context);
        break;
      case "watch":
        result = await runWatch(command, context);
        break;
      case "targets":
        result = await runTargets(command, context);
        break;
      case "updates":
        result = await runUpdates(command, context);
        break;
      case "approve":
      case "reject":
        result = await runDecide(command, context);
        break;
      case "freeze":
      case "unfreeze":
        result = await runFreeze(command, context);
        break;
      case "plans":
        result = await runPlans(command, context);
        break;
    }
  } catch (error) {
    result = resultForError(error);
  }
  renderer.result(result);
  return result.exitCode;
}

/**
 * Live progress on a terminal; one plain line per event in CI logs and pipes (CI systems set `CI`, and some run
 * steps under a pseudo-terminal whose log cannot show redrawn lines); JSON lines when asked.
 */
function chooseRenderer(output: "text" | "json", options: CliOptions): Renderer {
  if (output === "json") return createJsonRenderer(options.stdout);
  const env = options.env;
  const terminal = options.stdout.isTTY === true && env.TERM !== "dumb" && (env.CI ?? "") === "";
  if (!terminal) return createPlainRenderer(options.stdout, options.stderr);
  return createTtyRenderer(options.stdout, options.stderr, { color: (env.NO_COLOR ?? "") === "" });
}

/** Fails fast, before any call, when the token file cannot be read (it is read again on every call). */
async function checkCredential(connection: ConnectionOptions): Promise<void> {
  const credential = connection.credential;
  if (credential.kind !== "id-token-file") return;
  let text: string;
  try {
    text = await readFile(credential.path, "utf8");
  } catch (error) {
    throw new UsageError(`--id-token-file: cannot read ${credential.path}: ${(error as Error).message}`);
  }
  if (text.trim() === "") throw new UsageError(`--id-token-file: ${credential.path} is empty`);
}

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL("package.json", packageRoot), "utf8");
  return (JSON.parse(text) as { version?: string }).version ?? "unknown";
}
