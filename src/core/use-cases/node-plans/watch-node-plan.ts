import { DomainError } from "../../domain/domain-error.js";
import { lastEventSequence, type NodePlanEvent } from "../../domain/node-plan/node-plan-event.js";
import { isSettledPlanState, nodePlanState } from "../../domain/node-plan/node-plan-state.js";
import type { Clock } from "../../ports/clock.js";
import type { NodePlanReads } from "../../ports/node-plans.js";
import { planNotFound, requireNodePlans, requirePlanName } from "./read-node-plans.js";

/** One message of a plan's watch stream. */
export type NodePlanWatchItem =
  | { readonly type: "event"; readonly event: NodePlanEvent }
  | { readonly type: "heartbeat"; readonly time: Date; readonly lastSequence: number };

export interface WatchNodePlanRequest {
  readonly name: string;
  /** Events after this sequence; 0 for every kept event. Beyond the last one: live events only. */
  readonly afterSequence: number;
  /** End once every event is sent and the plan is Complete, Failed or Invalid. */
  readonly untilSettled: boolean;
}

export interface WatchNodePlanOptions {
  /** A heartbeat after this long without an event. Default 15 s, as WatchUpdate. */
  readonly heartbeatMs?: number;
}

export type WatchNodePlan = (request: WatchNodePlanRequest, signal: AbortSignal) => AsyncGenerator<NodePlanWatchItem>;

/**
 * Streams a plan's events from its status (`status.events`, written by the leader with each step): the kept ones
 * after `afterSequence`, then new ones as the plan cache sees them, gapless. Because the events live in the plan
 * object, a stream resumed on another replica, after a restart or a leader change, continues exactly where it
 * stopped. Refuses (OUT_OF_RANGE, EVENTS_EXPIRED) to skip events the status no longer keeps, and ends with
 * ABORTED, PLAN_REPLACED when the plan is deleted or replaced by another object of the same name.
 */
export function createWatchNodePlan(deps: { readonly reads: NodePlanReads | undefined; readonly clock: Clock }, options: WatchNodePlanOptions = {}): WatchNodePlan {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  return async function* watch(request, signal) {
    const reads = requireNodePlans(deps.reads);
    const name = requirePlanName(request.name);
    let wake: (() => void) | undefined;
    let changed = false;
    const poke = (): void => {
      changed = true;
      wake?.();
    };
    // Subscribe before the first read: a change in between is not missed.
    const unsubscribe = reads.subscribe(poke);
    signal.addEventListener("abort", poke);
    try {
      const first = reads.getPlan(name);
      if (first === undefined) throw planNotFound(name);
      const uid = first.uid;
      const last = lastEventSequence(first.status);
      let delivered = Math.max(0, Math.min(Math.floor(request.afterSequence), last));
      let quietSince = deps.clock.now().getTime();
      for (;;) {
        if (signal.aborted) return;
        changed = false;
        const plan = reads.getPlan(name);
        if (plan === undefined || plan.uid !== uid) {
          throw new DomainError("aborted", "PLAN_REPLACED", `node upgrade plan ${name} was deleted${plan === undefined ? "" : " and created again"} while watched`, {
            metadata: { plan: name },
          });
        }
        const events = (plan.status.events ?? []).filter((event) => event.sequence > delivered);
        const next = events[0];
        if (next !== undefined && next.sequence !== delivered + 1) {
          const kept = plan.status.events?.[0]?.sequence ?? 0;
          throw new DomainError(
            "out-of-range",
            "EVENTS_EXPIRED",
            `plan ${name} keeps its events from sequence ${kept} on; events ${delivered + 1} to ${next.sequence - 1} are gone. ` +
              `Read the plan (GetNodePlan) and watch after its last_sequence`,
            { metadata: { first_sequence: String(kept), plan: name } },
          );
        }
        for (const event of events) {
          if (signal.aborted) return;
          yield { type: "event", event };
          delivered = event.sequence;
          quietSince = deps.clock.now().getTime();
        }
        if (events.length > 0) continue; // read again: more may have been recorded meanwhile.
        if (request.untilSettled && plan.status.observedGeneration === plan.generation && isSettledPlanState(nodePlanState(plan))) return;
        const dueIn = quietSince + heartbeatMs - deps.clock.now().getTime();
        if (dueIn <= 0) {
          yield { type: "heartbeat", time: deps.clock.now(), lastSequence: delivered };
          quietSince = deps.clock.now().getTime();
          continue;
        }
        if (changed || signal.aborted) continue;
        await new Promise<void>((resolve) => {
          const cancel = deps.clock.setTimer(dueIn, resolve);
          wake = () => {
            cancel();
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", poke);
    }
  };
}
