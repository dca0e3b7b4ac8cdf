import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { exitCodeForError, ExitCode } from "./exit-codes.js";
import type { CommandResult } from "./renderer.js";
import { UsageError } from "./usage-error.js";

/**
 * Turns whatever a command threw into its result: the exit code, a message that says what to do, and the
 * server's ErrorInfo reason for scripts.
 */
export function resultForError(error: unknown): CommandResult {
  if (error instanceof UsageError) {
    const help = `update-manager${error.command === undefined ? "" : ` ${error.command}`} --help`;
    return {
      exitCode: ExitCode.usage,
      message: `error: ${error.message}\nRun "${help}" for usage.`,
      error: { code: "usage", reason: "", metadata: {} },
    };
  }
  const connectError = ConnectError.from(error);
  const info = connectError.findDetails(ErrorInfoSchema)[0];
  const reason = info?.reason ?? "";
  const metadata = { ...(info?.metadata ?? {}) };
  const hint = hintFor(connectError.code, reason, metadata);
  const label = reason === "" ? codeToString(connectError.code) : `${codeToString(connectError.code)} (${reason})`;
  return {
    exitCode: exitCodeForError(connectError),
    message: `error: ${label}: ${connectError.rawMessage}${hint === "" ? "" : `\n${hint}`}`,
    error: { code: codeToString(connectError.code), reason, metadata },
  };
}

function hintFor(code: Code, reason: string, metadata: Record<string, string>): string {
  switch (reason) {
    case "TARGET_BUSY":
      return metadata.update_id === undefined
        ? ""
        : `Update ${metadata.update_id} is running on it; follow it with: update-manager watch ${metadata.update_id}`;
    case "IDEMPOTENCY_KEY_REUSED":
      return "The idempotency key (set, or derived from the CI job) was used for another request: pass another --idempotency-key, or --no-idempotency-key.";
    case "NO_TARGETS":
      return 'Nothing opted in with this classifier and image repository; "update-manager targets --classifier C" lists what did.';
    case "IMAGE_QUARANTINED":
      return "The image failed before; --override-quarantine uses it anyway.";
    default:
      break;
  }
  if (code === Code.Unauthenticated) return "Check --api-key / UPDATE_MANAGER_API_KEY or the identity token.";
  if (code === Code.Unavailable && reason === "") return "Is --url right and the manager running?";
  return "";
}
