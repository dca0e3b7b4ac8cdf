import { Code, ConnectError } from "@connectrpc/connect";
import type { WatchNodePlanResponse } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import type { Clock } from "../core/ports/clock.js";
import type { NodePlanClient } from "./create-update-client.js";
import { isResumable, type Reconnect } from "./follow-update.js";

/** How a follow of a plan ended without an error. */
export type PlanFollowOutcome = { readonly kind: "settled"; readonly lastSequence: bigint } | { readonly kind: "wait-timed-out"; readonly lastSequence: bigint };

export interface FollowNodePlanOptions {
  readonly client: Pick<NodePlanClient, "watchNodePlan">;
  readonly plan: string;
  /** Start after this sequence number; 0: every event the plan keeps. */
  readonly afterSequence: bigint;
  /** Stop waiting after this long. Default: no limit. */
  readonly waitTimeoutMs?: number;
  /** Reconnect when nothing (not even a 15 s heartbeat) arrived for this long. Default 60 s, as `watch`. */
  readonly idleTimeoutMs?: number;
  /** Give up when reconnecting has failed for this long in a row. Default 5 min, as `watch`. */
  readonly giveUpAfterMs?: number;
  readonly clock: Clock;
  /**
   * Whether the plan is settled now. Asked when a stream ends without an error: the server ends streams cleanly
   * when it shuts down too, and then the watch resumes elsewhere.
   */
  settled(): Promise<boolean>;
  onMessage(message: WatchNodePlanResponse): void;
  onReconnect?(reconnect: Reconnect): void;
}

/**
 * Follows a plan until the server ends the stream because the plan is settled (`until_settled`; checked with
 * `settled`, since a server shutting down ends streams cleanly too), resuming with
 * `after_sequence` after a dropped connection, a restart or a failover (UNAVAILABLE), a stall, or a watcher the
 * server dropped as too slow, so every event is shown once. Other errors (NOT_FOUND, EVENTS_EXPIRED, ...) are thrown.
 */
export async function followNodePlan(options: FollowNodePlanOptions): Promise<PlanFollowOutcome> {
  const { clock } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 300_000;
  const deadline = options.waitTimeoutMs === undefined ? undefined : clock.now().getTime() + options.waitTimeoutMs;
  let lastSequence = options.afterSequence;
  let failingSince: number | undefined;
  let failures = 0;
  for (;;) {
    const abort = new AbortController();
    let stop: "wait-timeout" | "idle" | undefined;
    const cancelDeadline =
      deadline === undefined
        ? () => {}
        : clock.setTimer(Math.max(0, deadline - clock.now().getTime()), () => {
            stop = "wait-timeout";
            abort.abort();
          });
    let cancelIdle = () => {};
    const armIdle = () => {
      cancelIdle();
      cancelIdle = clock.setTimer(idleTimeoutMs, () => {
        stop ??= "idle";
        abort.abort();
      });
    };
    let cause: ConnectError;
    try {
      armIdle();
      for await (const message of options.client.watchNodePlan({ name: options.plan, afterSequence: lastSequence, untilSettled: true }, { signal: abort.signal })) {
        armIdle();
        failingSince = undefined;
        failures = 0;
        if (message.message.case === "event") {
          if (message.message.value.sequence <= lastSequence) continue;
          lastSequence = message.message.value.sequence;
        }
        options.onMessage(message);
      }
      if (await options.settled()) return { kind: "settled", lastSequence };
      cause = new ConnectError("the stream ended before the plan settled (a server shutting down)", Code.Unavailable);
    } catch (error) {
      if (stop === "wait-timeout") return { kind: "wait-timed-out", lastSequence };
      if (stop === "idle") {
        cause = new ConnectError(`no message for ${Math.round(idleTimeoutMs / 1000)} s`, Code.Unavailable);
      } else {
        cause = ConnectError.from(error);
        if (!isResumable(cause)) throw cause;
      }
    } finally {
      cancelDeadline();
      cancelIdle();
    }
    const now = clock.now().getTime();
    failingSince ??= now;
    if (now - failingSince >= giveUpAfterMs) throw cause;
    const delayMs = Math.min(15_000, 500 * 2 ** failures);
    failures += 1;
    options.onReconnect?.({ cause, delayMs, afterSequence: lastSequence });
    if (deadline !== undefined && now + delayMs >= deadline) {
      await new Promise<void>((resolve) => clock.setTimer(Math.max(0, deadline - now), resolve));
      return { kind: "wait-timed-out", lastSequence };
    }
    await new Promise<void>((resolve) => clock.setTimer(delayMs, resolve));
  }
}
