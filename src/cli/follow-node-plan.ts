import { Code, ConnectError } from "@connectrpc/connect";
import type { WatchNodePlanResponse } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import type { Clock } from "../core/ports/clock.js";
import type { NodePlanClient } from "./create-update-client.js";
import { type FollowTiming, followStream, timingOf } from "./follow-stream.js";

/** How a follow of a plan ended without an error. */
export type PlanFollowOutcome = { readonly kind: "settled"; readonly lastSequence: bigint } | { readonly kind: "wait-timed-out"; readonly lastSequence: bigint };

/** Which plan to follow, and how: see FollowTiming for each option's default (`afterSequence` and `clock` required). */
export interface FollowNodePlanOptions extends FollowTiming {
  readonly client: Pick<NodePlanClient, "watchNodePlan">;
  readonly plan: string;
  /** Start after this sequence number; 0: every event the plan keeps. */
  readonly afterSequence: bigint;
  readonly clock: Clock;
  /**
   * Whether the plan is settled now. Asked when a stream ends without an error: the server ends streams cleanly
   * when it shuts down too, and then the watch resumes elsewhere.
   */
  settled(): Promise<boolean>;
  onMessage(message: WatchNodePlanResponse): void;
}

/**
 * Follows a plan until the server ends the stream because the plan is settled (`until_settled`; checked with
 * `settled`, since a server shutting down ends streams cleanly too), resuming with
 * `after_sequence` after a dropped connection, a restart or a failover (UNAVAILABLE), a stall, or a watcher the
 * server dropped as too slow, so every event is shown once. Other errors (NOT_FOUND, EVENTS_EXPIRED, ...) are thrown.
 */
export function followNodePlan(options: FollowNodePlanOptions): Promise<PlanFollowOutcome> {
  return followStream<WatchNodePlanResponse, PlanFollowOutcome>({
    ...timingOf(options),
    open: (after, signal) =>
      options.client.watchNodePlan({ name: options.plan, afterSequence: after, untilSettled: true }, { signal }),
    sequenceOf: (message) => (message.message.case === "event" ? message.message.value.sequence : undefined),
    onMessage(message) {
      options.onMessage(message);
      return undefined;
    },
    async onEnd(lastSequence) {
      if (await options.settled()) return { kind: "settled", lastSequence };
      return new ConnectError("the stream ended before the plan settled (a server shutting down)", Code.Unavailable);
    },
  });
}
