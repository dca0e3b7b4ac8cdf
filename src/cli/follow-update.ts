import { Code, ConnectError } from "@connectrpc/connect";
import type { UpdateEvent, UpdateFinishedEvent } from "../../gen/updatemanager/v1/event_pb.js";
import type { WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import type { Clock } from "../core/ports/clock.js";
import type { UpdateClient } from "./create-update-client.js";
import { followStream, type Reconnect } from "./follow-stream.js";

// Part of this module's interface since before the loop moved to follow-stream.ts.
export { isResumable, type Reconnect } from "./follow-stream.js";

/** How a follow ended without an error. */
export type FollowOutcome =
  | { readonly kind: "finished"; readonly event: UpdateEvent; readonly finished: UpdateFinishedEvent }
  | { readonly kind: "wait-timed-out"; readonly lastSequence: bigint };

export interface FollowUpdateOptions {
  readonly client: Pick<UpdateClient, "watchUpdate">;
  readonly updateId: string;
  /** Start after this sequence number. Default 0: every event from the start. */
  readonly afterSequence?: bigint;
  /** Stop waiting (without cancelling anything) after this long. Default: no limit. */
  readonly waitTimeoutMs?: number;
  /**
   * Reconnect when nothing (not even a heartbeat, which the server sends every 15 s) arrived for this long: a
   * proxy may hold a dead connection open. Default 60 s.
   */
  readonly idleTimeoutMs?: number;
  /** First reconnect delay, doubled on each failure in a row. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Longest reconnect delay. Default 15 s. */
  readonly maxDelayMs?: number;
  /**
   * Give up when reconnecting has failed for this long in a row (a message received resets it). Default 5 min.
   */
  readonly giveUpAfterMs?: number;
  /** Time and timers. Default real time, with timers that keep the process alive while it waits to reconnect. */
  readonly clock?: Clock;
  /** Called with every event (once each, in order) and heartbeat. */
  onMessage(message: WatchUpdateResponse): void;
  /** Called before each reconnect. Default: nothing. */
  onReconnect?(reconnect: Reconnect): void;
}

/**
 * Follows an update to its `finished` event. Resumes with `after_sequence` after a dropped connection, a server
 * restart (UNAVAILABLE), a stall, or when the server dropped a slow watcher (RESOURCE_EXHAUSTED,
 * WATCHER_TOO_SLOW), so every event is delivered exactly once. Other errors (NOT_FOUND, PERMISSION_DENIED, …)
 * are thrown as ConnectError.
 */
export function followUpdate(options: FollowUpdateOptions): Promise<FollowOutcome> {
  const { afterSequence, waitTimeoutMs, idleTimeoutMs, initialDelayMs, maxDelayMs, giveUpAfterMs, clock } = options;
  return followStream<WatchUpdateResponse, FollowOutcome>({
    afterSequence,
    waitTimeoutMs,
    idleTimeoutMs,
    initialDelayMs,
    maxDelayMs,
    giveUpAfterMs,
    clock,
    onReconnect: (reconnect) => options.onReconnect?.(reconnect),
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
