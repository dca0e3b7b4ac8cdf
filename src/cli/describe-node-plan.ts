import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type NodePlan, type NodePlanEvent, NodePlanEventType, NodePlanPreviewState, NodePlanState, NodeUpgradePhase } from "../../gen/updatemanager/v1/node_plan_pb.js";
import type { PlanOutput } from "./plan-output.js";
import { table } from "./plain-renderer.js";

const stateNames: Record<NodePlanState, string> = {
  [NodePlanState.UNSPECIFIED]: "unknown",
  [NodePlanState.PENDING]: "pending",
  [NodePlanState.APPLYING]: "applying",
  [NodePlanState.COMPLETE]: "complete",
  [NodePlanState.FAILED]: "failed",
  [NodePlanState.INVALID]: "invalid",
};

const phaseNames: Record<NodeUpgradePhase, string> = {
  [NodeUpgradePhase.UNSPECIFIED]: "unknown",
  [NodeUpgradePhase.CLAIMED]: "claimed",
  [NodeUpgradePhase.JOB_STARTED]: "job-started",
  [NodeUpgradePhase.SUCCEEDED]: "succeeded",
  [NodeUpgradePhase.FAILED]: "failed",
};

const previewNames: Record<NodePlanPreviewState, string> = {
  [NodePlanPreviewState.UNSPECIFIED]: "unknown",
  [NodePlanPreviewState.DONE]: "done",
  [NodePlanPreviewState.APPLYING]: "applying",
  [NodePlanPreviewState.FAILED]: "failed",
  [NodePlanPreviewState.PENDING]: "pending",
  [NodePlanPreviewState.SKIPPED]: "skipped",
};

const eventTexts: Record<NodePlanEventType, string> = {
  [NodePlanEventType.UNSPECIFIED]: "event",
  [NodePlanEventType.NODE_SELECTED]: "selected",
  [NodePlanEventType.NODE_CORDONED]: "cordoned",
  [NodePlanEventType.NODE_DRAINED]: "drained",
  [NodePlanEventType.JOB_STARTED]: "upgrade Job started",
  [NodePlanEventType.JOB_SUCCEEDED]: "upgrade Job succeeded",
  [NodePlanEventType.JOB_FAILED]: "upgrade Job failed",
  [NodePlanEventType.NODE_LABELLED]: "labelled with the plan's hash",
  [NodePlanEventType.NODE_UNCORDONED]: "uncordoned",
  [NodePlanEventType.NODE_FAILED]: "failed",
  [NodePlanEventType.PLAN_COMPLETE]: "plan complete",
  [NodePlanEventType.PLAN_FAILED]: "plan failed",
};

export function describePlanState(state: NodePlanState): string {
  return stateNames[state] ?? "unknown";
}

/** `node-2: upgrade Job failed: BackoffLimitExceeded`, `plan complete: every selected node carries hash …`. */
export function describePlanEvent(event: NodePlanEvent): string {
  const what = eventTexts[event.type] ?? "event";
  return `${event.node === "" ? "" : `${event.node}: `}${what}${event.message === "" ? "" : `: ${event.message}`}`;
}

function time(value: Timestamp | undefined): string {
  return value === undefined ? "-" : new Date(Number(value.seconds) * 1000).toISOString().replace(".000Z", "Z");
}

function done(plan: NodePlan): number {
  return plan.nodes.filter((node) => node.hash === plan.latestHash && node.phase === NodeUpgradePhase.SUCCEEDED).length;
}

/** The lines a terminal or a log shows for the `plans` commands. */
export function planLines(output: PlanOutput): string[] {
  switch (output.kind) {
    case "list":
      if (output.disabled) return ["this server does not run node upgrade plans (UPDATE_MANAGER_NODE_PLANS)"];
      if (output.plans.length === 0) return ["no node upgrade plans"];
      return table(
        ["PLAN", "STATE", "LATEST", "APPLYING", "UPGRADED", "MESSAGE"],
        output.plans.map((plan) => [
          plan.name,
          describePlanState(plan.state),
          plan.latestVersion === "" ? "-" : plan.latestVersion,
          plan.applying.length === 0 ? "-" : plan.applying.join(","),
          String(done(plan)),
          plan.message === "" ? "-" : plan.message,
        ]),
      );
    case "plan": {
      const { plan } = output;
      const lines = [
        `plan ${plan.name}: ${describePlanState(plan.state)}; ${plan.image}:${plan.latestVersion === "" ? "?" : plan.latestVersion} ` +
          `(${plan.version === "" ? `channel ${plan.channel}` : `version ${plan.version}`}), concurrency ${plan.concurrency}`,
      ];
      if (plan.message !== "") lines.push(`  ${plan.message}`);
      if (plan.nextWindowOpening !== undefined) lines.push(`  window opens ${time(plan.nextWindowOpening)}`);
      for (const condition of plan.conditions) {
        lines.push(`  ${condition.type}=${condition.status} ${condition.reason}${condition.message === "" ? "" : `: ${condition.message}`}`);
      }
      if (plan.nodes.length > 0) {
        lines.push(
          ...table(
            ["NODE", "PHASE", "CORDONED-BY-PLAN", "STARTED", "FINISHED", "MESSAGE"],
            plan.nodes.map((node) => [
              node.name,
              phaseNames[node.phase] ?? "unknown",
              node.cordonedByPlan ? "yes" : "no",
              time(node.startTime),
              time(node.finishTime),
              node.message === "" ? "-" : node.message,
            ]),
          ).map((line) => `  ${line}`),
        );
      }
      lines.push(`  events up to ${plan.lastSequence}; follow with: update-manager plans watch ${plan.name} --after-sequence ${plan.lastSequence}`);
      return lines;
    }
    case "preview": {
      const { preview, name } = output;
      if (preview.nodes.length === 0) return [`dry run: plan ${name} selects no node`];
      return [
        `dry run: plan ${name} (hash ${preview.hash.slice(0, 12)}) takes these nodes in this order:`,
        ...table(
          ["#", "NODE", "STATE", "MESSAGE"],
          preview.nodes.map((node) => [String(node.position), node.name, previewNames[node.state] ?? "unknown", node.message === "" ? "-" : node.message]),
        ).map((line) => `  ${line}`),
      ];
    }
    case "message": {
      const { message } = output.message;
      return message.case === "event" ? [`[${message.value.sequence}] ${describePlanEvent(message.value)}`] : [];
    }
  }
}
