import type { DomElement } from "./dom-api.js";
import { type NodePlan, NodePlanState, NodeUpgradePhase } from "../../../gen/updatemanager/v1/node_plan_pb.js";
import { h, table } from "./dom.js";
import type { Tone } from "./format.js";
import { timestampIso, timestampText } from "./format.js";
import { badge } from "./state-badge.js";

export function nodePlanStateText(state: NodePlanState): string {
  switch (state) {
    case NodePlanState.PENDING:
      return "pending";
    case NodePlanState.APPLYING:
      return "applying";
    case NodePlanState.COMPLETE:
      return "complete";
    case NodePlanState.FAILED:
      return "failed";
    case NodePlanState.INVALID:
      return "invalid";
    default:
      return "unknown";
  }
}

export function nodePlanStateTone(state: NodePlanState): Tone {
  switch (state) {
    case NodePlanState.COMPLETE:
      return "ok";
    case NodePlanState.FAILED:
    case NodePlanState.INVALID:
      return "bad";
    case NodePlanState.APPLYING:
      return "busy";
    default:
      return "idle";
  }
}

export function nodePhaseText(phase: NodeUpgradePhase): string {
  switch (phase) {
    case NodeUpgradePhase.CLAIMED:
      return "cordoning and draining";
    case NodeUpgradePhase.JOB_STARTED:
      return "upgrade Job running";
    case NodeUpgradePhase.SUCCEEDED:
      return "upgraded";
    case NodeUpgradePhase.FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

export function nodePhaseTone(phase: NodeUpgradePhase): Tone {
  switch (phase) {
    case NodeUpgradePhase.SUCCEEDED:
      return "ok";
    case NodeUpgradePhase.FAILED:
      return "bad";
    case NodeUpgradePhase.CLAIMED:
    case NodeUpgradePhase.JOB_STARTED:
      return "busy";
    default:
      return "idle";
  }
}

/** Nodes of the plan's current hash that carry it: "2 of 5 upgraded" counts only those the status lists. */
export function upgradedCount(plan: NodePlan): number {
  return plan.nodes.filter((node) => node.hash === plan.latestHash && node.phase === NodeUpgradePhase.SUCCEEDED).length;
}

/** One plan: its state and version, what it waits for, and each node's phase (the failed one stays cordoned). */
function renderPlan(plan: NodePlan): DomElement {
  const source = plan.version === "" ? `channel ${plan.channel}` : `version ${plan.version}`;
  return h(
    "article",
    { class: "plan", "data-plan": plan.name },
    h(
      "h3",
      {},
      h("span", { class: "mono" }, plan.name),
      " ",
      badge(nodePlanStateText(plan.state), nodePlanStateTone(plan.state), { "data-testid": "plan-state" }),
    ),
    h(
      "p",
      {},
      h("span", { class: "mono" }, plan.image),
      ` at ${plan.latestVersion === "" ? "(not resolved yet)" : plan.latestVersion} (${source}), ${plan.concurrency} at a time; `,
      `${upgradedCount(plan)} upgraded, ${plan.applying.length} applying.`,
    ),
    plan.message === "" ? null : h("p", { class: "status" }, plan.message),
    plan.nodes.length === 0
      ? h("p", {}, "No node started yet.")
      : table(
          "The nodes the plan has taken, in the order it took them.",
          ["Node", "Phase", "Cordoned by the plan", "Started", "Finished", "Message"],
          plan.nodes.map((node) => ({
            attributes: { "data-node": node.name },
            cells: [
              h("span", { class: "mono" }, node.name),
              badge(nodePhaseText(node.phase), nodePhaseTone(node.phase)),
              node.cordonedByPlan ? "yes" : "no",
              h("time", { datetime: timestampIso(node.startTime) }, timestampText(node.startTime)),
              node.finishTime === undefined ? "" : h("time", { datetime: timestampIso(node.finishTime) }, timestampText(node.finishTime)),
              node.message,
            ],
          })),
        ),
  );
}

/** Every node upgrade plan, by name. */
export function renderPlans(plans: readonly NodePlan[]): DomElement {
  if (plans.length === 0) return h("p", {}, "No node upgrade plan. Apply a NodeUpgradePlan with kubectl to add one.");
  return h("div", {}, ...plans.map(renderPlan));
}
