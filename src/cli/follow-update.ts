import { Code, ConnectError } from "@connectrpc/connect";
import type { UpdateEvent, UpdateFinishedEvent } from "../../gen/updatemanager/v1/event_pb.js";
import type { WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import type { UpdateClient } from "./create-update-client.js";
import { type FollowTiming, followStream, timingOf } from "./follow-stream.js";

// Part of this module's interface since before the loop moved to follow-stream.ts.
export { isResumable, type Reconnect } from "./follow-stream.js";

/** How a follow ended without an error. */
export type FollowOutcome =
  | { readonly kind: "finished"; readonly event: UpdateEvent; readonly finished: UpdateFinishedEvent }
  | { readonly kind: "wait-timed-out"; readonly lastSequence: bigint };

/** Where and how long to follow, and how to reconnect: see FollowTiming for each option's default. */
export interface FollowUpdateOptions extends FollowTiming {
  readonly client: Pick<UpdateClient, "watchUpdate">;
  readonly updateId: string;
  /** Called with every event (once each, in order) and heartbeat. */
  onMessage(message: WatchUpdateResponse): void;
}

/**
 * Follows an update to its `finished` event. Resumes with `after_sequence` after a dropped connection, a server
 * restart (UNAVAILABLE), a stall, or when the server dropped a slow watcher (RESOURCE_EXHAUSTED,
 * WATCHER_TOO_SLOW), so every event is delivered exactly once. Other errors (NOT_FOUND, PERMISSION_DENIED, …)
 * are thrown as ConnectError.
 */
export function followUpdate(options: FollowUpdateOptions): Promise<FollowOutcome> {
  return followStream<WatchUpdateResponse, FollowOutcome>({
    ...timingOf(options),
    open: (afterSequence, signal) =>
      options.client.watchUpdate({ updateId: options.updateId, afterSequence }, { signal }),
    sequenceOf: (message) => (message.message.case === "event" ? message.message.value.sequence : undefined),
    onMessage(message) {
      options.onMessage(message);
      if (message.message.case === "event" && message.message.value.kind.case === "finished") {
        return { kind: "finished", event: message.message.value, finished: message.message.value.kind.value };
      }
      return undefined;
    },
    onEnd: () => new ConnectError("the stream ended before the update finished", Code.Unavailable),
  });
}
