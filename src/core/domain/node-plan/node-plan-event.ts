import type { NodePhase, NodePlanStatus, NodeResult, PlanCondition } from "./node-plan-status.js";

/** What a plan did, in the order it did it (the API's NodePlanEventType). */
export type NodePlanEventType =
  | "NodeSelected"
  | "NodeCordoned"
  | "NodeDrained"
  | "JobStarted"
  | "JobSucceeded"
  | "JobFailed"
  | "NodeLabelled"
  | "NodeUncordoned"
  | "NodeFailed"
  | "PlanComplete"
  | "PlanFailed";

/**
 * One step of a plan, kept in its status (`status.events`) with a per-plan sequence number: recorded in the same
 * status write that records the step, so every replica, a restarted manager and a new leader read the same gapless
 * history, and a watcher can resume after any sequence it saw.
 */
export interface NodePlanEvent {
  /** 1, 2, 3, ... per plan object, without gaps. */
  readonly sequence: number;
  /** When it was recorded (RFC 3339). */
  readonly time: string;
  readonly type: NodePlanEventType;
  /** The node, for node and Job events. */
  readonly node?: string;
  /** The plan hash it happened for. */
  readonly hash: string;
  readonly message?: string;
}

/**
 * How many events a plan's status keeps: the newest 200 (43 KB with 40-character node names; a 5-node run records about
 * 35). A watch resuming after an older sequence is refused (EVENTS_EXPIRED) rather than given a gap.
 */
export const maxKeptPlanEvents = 200;

/** What the plan's spec does on each node, which the status does not record: whether it cordons and drains. */
export interface PlanSteps {
  readonly cordon: boolean;
  readonly drain: boolean;
}

type NewEvent = Omit<NodePlanEvent, "sequence" | "time">;

/** The last event's sequence (0: none yet). */
export function lastEventSequence(status: NodePlanStatus): number {
  const events = status.events ?? [];
  return events.length === 0 ? 0 : (events[events.length - 1]?.sequence ?? 0);
}

/**
 * The status `next` with the events of the steps between `previous` (the status as read) and `next` (the status
 * about to be written) appended and numbered after `previous`'s, the oldest dropped beyond `max`. The write's
 * resourceVersion precondition makes the numbering exactly-once: a pass that loses the write loses its events with
 * it, and the next pass derives them again from what it reads.
 */
export function recordPlanEvents(
  previous: NodePlanStatus,
  next: NodePlanStatus,
  time: Date,
  steps: PlanSteps,
  max: number = maxKeptPlanEvents,
): NodePlanStatus {
  const fresh = planStepsBetween(previous, next, steps);
  const kept = previous.events ?? [];
  if (fresh.length === 0) return kept === next.events ? next : { ...next, events: kept };
  let sequence = lastEventSequence(previous);
  const at = time.toISOString();
  const events = [...kept, ...fresh.map((event) => ({ sequence: ++sequence, time: at, ...event }))];
  return { ...next, events: events.slice(Math.max(0, events.length - max)) };
}

/** The phases in the order a node passes them; Succeeded and Failed are both the end. */
function rank(phase: NodePhase | undefined): number {
  switch (phase) {
    case undefined:
      return -1;
    case "Claimed":
      return 0;
    case "JobStarted":
      return 1;
    default:
      return 2;
  }
}

/** The steps from one status to the next, node by node, then the plan's own (complete, failed). */
export function planStepsBetween(previous: NodePlanStatus, next: NodePlanStatus, steps: PlanSteps): NewEvent[] {
  const before = new Map(previous.nodes.map((result) => [`${result.name}\u0000${result.hash}`, result] as const));
  const events: NewEvent[] = [];
  for (const result of next.nodes) {
    const earlier = before.get(`${result.name}\u0000${result.hash}`);
    if (earlier?.phase === result.phase) continue;
    events.push(...nodeSteps(rank(earlier?.phase), result, steps));
  }
  const hash = next.latestHash;
  if (becameTrue(previous.conditions, next.conditions, "Complete")) {
    events.push({ type: "PlanComplete", hash, message: conditionOf(next.conditions, "Complete")?.message ?? "" });
  }
  const failed = conditionOf(next.conditions, "Failed");
  // The reason, not the message: a closed health gate's message changes with what it waits for.
  const failedBefore = conditionOf(previous.conditions, "Failed");
  if (failed?.status === "True" && (failedBefore?.status !== "True" || failedBefore.reason !== failed.reason)) {
    events.push({ type: "PlanFailed", hash, message: `${failed.reason}: ${failed.message}` });
  }
  const validated = conditionOf(next.conditions, "Validated");
  if (validated?.status === "False" && !sameCondition(conditionOf(previous.conditions, "Validated"), validated)) {
    events.push({ type: "PlanFailed", hash, message: `invalid spec: ${validated.reason}: ${validated.message}` });
  }
  return events;
}

function nodeSteps(from: number, result: NodeResult, steps: PlanSteps): NewEvent[] {
  const node = result.name;
  const hash = result.hash;
  const events: NewEvent[] = [];
  const to = rank(result.phase);
  if (from < 0) events.push({ type: "NodeSelected", node, hash });
  if (result.phase === "Failed" && from <= 0) {
    // Failed before its Job: the drain, or the node went away.
    events.push({ type: "NodeFailed", node, hash, ...message(result.message) });
    return events;
  }
  if (from < 1 && to >= 1) {
    if (steps.cordon) {
      events.push({
        type: "NodeCordoned",
        node,
        hash,
        message: result.cordonedByPlan ? "cordoned by the plan" : "already cordoned by someone else: it stays cordoned",
      });
    }
    if (steps.drain) events.push({ type: "NodeDrained", node, hash });
    events.push({ type: "JobStarted", node, hash, message: result.jobName });
  }
  if (result.phase === "Succeeded") {
    events.push({ type: "JobSucceeded", node, hash, message: result.jobName });
    events.push({ type: "NodeLabelled", node, hash });
    if (result.cordonedByPlan) events.push({ type: "NodeUncordoned", node, hash });
  } else if (result.phase === "Failed") {
    events.push({ type: "JobFailed", node, hash, ...message(result.message) });
  }
  return events;
}

function message(text: string | undefined): { message?: string } {
  return text === undefined ? {} : { message: text };
}

function conditionOf(conditions: readonly PlanCondition[], type: PlanCondition["type"]): PlanCondition | undefined {
  return conditions.find((condition) => condition.type === type);
}

function becameTrue(previous: readonly PlanCondition[], next: readonly PlanCondition[], type: PlanCondition["type"]): boolean {
  return conditionOf(next, type)?.status === "True" && conditionOf(previous, type)?.status !== "True";
}

/** Same status, reason and message: nothing new to tell. */
function sameCondition(a: PlanCondition | undefined, b: PlanCondition): boolean {
  return a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;
}
