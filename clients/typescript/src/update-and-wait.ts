import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import type { UpdateEvent } from "./gen/updatemanager/v1/event_pb.js";
import { UpdateState } from "./gen/updatemanager/v1/update_pb.js";
import { type UpdateRequest, UpdateRequestSchema } from "./gen/updatemanager/v1/update_service_pb.js";
import type { UpdateClient } from "./create-update-client.js";
import { ExitCode, exitCodeForError, exitCodeForState } from "./exit-codes.js";

export interface UpdateAndWaitOptions {
  /** Stop waiting after this long: `exitCode` 4, the update goes on. Default: no limit. */
  readonly waitTimeoutMs?: number;
  /** Called with every event of the update, once each, in order. Default: nothing. */
  readonly onEvent?: (event: UpdateEvent) => void;
  /** Give up reconnecting a dropped watch after this long in a row: `exitCode` 1. Default: 5 min. */
  readonly giveUpAfterMs?: number;
}

/** How an update (or the attempt to start one) ended, with the CLI's exit code for it. */
export interface UpdateOutcome {
  /** 0 succeeded, 1 failed, 2 invalid input, 3 rolled back, 4 wait timed out, 5 access denied. */
  readonly exitCode: ExitCode;
  /** The update's id; empty when it was never recorded. */
  readonly updateId: string;
  /** The terminal state; UNSPECIFIED when the wait ended before the update did or the call failed. */
  readonly state: UpdateState;
  /** The server's reason for a terminal state, or the error's message. */
  readonly message: string;
}

/**
 * Starts an update and follows its `WatchUpdate` stream to the end, resuming after the last event seen when the
 * connection drops (UNAVAILABLE, or the server dropping a slow watcher). Never throws for an RPC error: the
 * outcome's exit code says what a pipeline should do.
 */
export async function updateAndWait(
  client: UpdateClient,
  request: Omit<Partial<UpdateRequest>, "$typeName">,
  options: UpdateAndWaitOptions = {},
): Promise<UpdateOutcome> {
  let updateId = "";
  try {
    const response = await client.update(create(UpdateRequestSchema, request));
    updateId = response.update?.id ?? "";
  } catch (error) {
    return { exitCode: exitCodeForError(error), updateId, state: UpdateState.UNSPECIFIED, message: describe(error) };
  }
  const deadline = options.waitTimeoutMs === undefined ? undefined : Date.now() + options.waitTimeoutMs;
  const giveUpAfterMs = options.giveUpAfterMs ?? 300_000;
  let afterSequence = 0n;
  let failingSince: number | undefined;
  let delayMs = 500;
  for (;;) {
    const remaining = deadline === undefined ? undefined : deadline - Date.now();
    if (remaining !== undefined && remaining <= 0) return timedOut(updateId);
    try {
      const stream = client.watchUpdate(
        { updateId, afterSequence },
        remaining === undefined ? {} : { signal: AbortSignal.timeout(remaining) },
      );
      for await (const message of stream) {
        failingSince = undefined;
        delayMs = 500;
        if (message.message.case !== "event") continue;
        const event = message.message.value;
        afterSequence = event.sequence;
        options.onEvent?.(event);
        if (event.kind.case === "finished") {
          const { state, reason } = event.kind.value;
          return { exitCode: exitCodeForState(state), updateId, state, message: reason };
        }
      }
    } catch (error) {
      const cause = ConnectError.from(error);
      if (deadline !== undefined && Date.now() >= deadline) return timedOut(updateId);
      if (!isResumable(cause)) {
        return { exitCode: exitCodeForError(cause), updateId, state: UpdateState.UNSPECIFIED, message: cause.message };
      }
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= giveUpAfterMs) {
        return { exitCode: ExitCode.failed, updateId, state: UpdateState.UNSPECIFIED, message: cause.message };
      }
    }
    // The stream ended without `finished` or dropped: resume after the last event seen.
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(15_000, delayMs * 2);
  }
}

function timedOut(updateId: string): UpdateOutcome {
  return {
    exitCode: ExitCode.waitTimedOut,
    updateId,
    state: UpdateState.UNSPECIFIED,
    message: `stopped waiting; update ${updateId} goes on`,
  };
}

function isResumable(error: ConnectError): boolean {
  if (error.code === Code.Unavailable) return true;
  return (
    error.code === Code.ResourceExhausted &&
    error.findDetails(ErrorInfoSchema).some((info) => info.reason === "WATCHER_TOO_SLOW")
  );
}

function describe(error: unknown): string {
  return ConnectError.from(error).message;
}
