import { createHash } from "node:crypto";
import { matchesLabelSelector } from "./label-selector.js";
import type { LabelSelector } from "./node-upgrade-plan.js";
import { disabledPlanLabelValue } from "./upgrade-job-name.js";

/** A Node as the scheduler needs it. */
export interface PlanNode {
  readonly name: string;
  /** Orders candidates as the seed does; the name when absent. */
  readonly uid?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ScheduleInput {
  readonly planName: string;
  readonly planUid?: string;
  /** The plan's current hash; nodes labelled with it are done. */
  readonly hash: string;
  /** `plan.<prefix>/<plan>`. */
  readonly planLabel: string;
  readonly concurrency: number;
  readonly nodeSelector: LabelSelector;
  readonly exclusive: boolean;
  readonly nodes: readonly PlanNode[];
  /** The nodes this plan has claimed (status.applying): they count against `concurrency` until released. */
  readonly applying: readonly string[];
  /** Nodes already finished or failed for this hash: never started again for it. */
  readonly finished: readonly string[];
  /** A node of this hash failed: the plan is stopped until its spec changes. */
  readonly stopped: boolean;
  /** Nodes another plan is applying: two plans never work on one node at once. */
  readonly busyElsewhere: readonly string[];
  /** True when another exclusive plan has nodes applying (only matters when this plan is exclusive). */
  readonly otherExclusiveApplying: boolean;
  /** The plan's window and any other window that applies are open now. */
  readonly windowOpen: boolean;
  /** The health gate between nodes is open and the post-complete delay has passed. */
  readonly gateOpen: boolean;
  /** The global freeze is on: no node starts (those applying finish). Default: false. */
  readonly frozen?: boolean;
}

export type WaitReason = "stopped" | "frozen" | "window-closed" | "exclusive" | "health-gate" | "concurrency";

export interface ScheduleDecision {
  /** Nodes that may start now, in order; never more than the free concurrency slots. */
  readonly start: readonly string[];
  /** Every node still to do (`start` first), in the order the plan takes them. */
  readonly pending: readonly string[];
  /** Why fewer than possible start; undefined when nothing holds the plan back. */
  readonly waiting: WaitReason | undefined;
  /** Nothing applying and nothing left: every selected node carries the hash. */
  readonly complete: boolean;
}

/**
 * Which nodes may start applying the plan now: pure, so a property test checks that concurrency is never exceeded
 * and exclusive plans never overlap. A node is a candidate when the selector matches it, its plan label is neither
 * the current hash nor "disabled", it is not claimed already, it has not finished or failed this hash and no other
 * plan is applying it. Candidates are ordered by a hash of node, plan and plan hash (as the seed does), so every
 * replica and every retry takes them in the same order.
 */
export function scheduleNodes(input: ScheduleInput): ScheduleDecision {
  const applying = new Set(input.applying);
  const finished = new Set(input.finished);
  const busy = new Set(input.busyElsewhere);
  const pending = orderCandidates(
    input.nodes.filter((node) => {
      const value = node.labels[input.planLabel];
      return (
        matchesLabelSelector(input.nodeSelector, node.labels) &&
        value !== input.hash &&
        value !== disabledPlanLabelValue &&
        !applying.has(node.name) &&
        !finished.has(node.name) &&
        !busy.has(node.name)
      );
    }),
    input,
  );
  const complete = pending.length === 0 && applying.size === 0 && !input.stopped;
  const hold = holdReason(input);
  if (hold !== undefined || pending.length === 0) return { start: [], pending, waiting: pending.length === 0 ? undefined : hold, complete };
  const free = Math.max(0, input.concurrency - applying.size);
  const start = pending.slice(0, free);
  return { start, pending, waiting: start.length < pending.length ? "concurrency" : undefined, complete };
}

function holdReason(input: ScheduleInput): WaitReason | undefined {
  if (input.stopped) return "stopped";
  if (input.frozen === true) return "frozen";
  if (!input.windowOpen) return "window-closed";
  if (input.exclusive && input.otherExclusiveApplying) return "exclusive";
  if (!input.gateOpen) return "health-gate";
  return undefined;
}

/** The seed's order: by SHA-256 of node UID, plan UID and plan hash; by name for equal sums (names are unique). */
export function orderCandidates(nodes: readonly PlanNode[], plan: { planName: string; planUid?: string; hash: string }): string[] {
  const keyed = nodes.map((node) => ({
    name: node.name,
    key: createHash("sha256")
      .update(node.uid ?? node.name)
      .update(plan.planUid ?? plan.planName)
      .update(plan.hash)
      .digest("hex"),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.name < b.name ? -1 : 1));
  return keyed.map((entry) => entry.name);
}
