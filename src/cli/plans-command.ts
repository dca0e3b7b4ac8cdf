import { type NodePlan, NodePlanState } from "../../gen/updatemanager/v1/node_plan_pb.js";
import { callWithRetries } from "./call-with-retries.js";
import type { CommandContext } from "./command-context.js";
import { describePlanState } from "./describe-node-plan.js";
import { ExitCode, exitCodeForPlanState } from "./exit-codes.js";
import { followNodePlan } from "./follow-node-plan.js";
import { formatDuration } from "./format-duration.js";
import type { PlansCommand } from "./parse-arguments.js";
import type { CommandResult } from "./renderer.js";

function isSettled(state: NodePlanState): boolean {
  return state === NodePlanState.COMPLETE || state === NodePlanState.FAILED || state === NodePlanState.INVALID;
}

/** `plans`, `plans NAME`, `plans NAME --dry-run` and `plans watch NAME`. */
export async function runPlans(command: PlansCommand, context: CommandContext): Promise<CommandResult> {
  const retrying = (rpc: string) => ({
    clock: context.clock,
    onRetry: (error: Error, delayMs: number) => context.notice(`${rpc}: ${error.message}; retrying in ${Math.ceil(delayMs / 1000)} s`),
  });
  switch (command.action) {
    case "list": {
      const { plans, disabled } = await callWithRetries(() => context.plans.listNodePlans({}), retrying("ListNodePlans"));
      context.renderer.plans({ kind: "list", plans, disabled });
      return { exitCode: ExitCode.succeeded, message: "" };
    }
    case "get": {
      if (command.dryRun) {
        const preview = await callWithRetries(() => context.plans.previewNodePlan({ name: command.plan }), retrying("PreviewNodePlan"));
        context.renderer.plans({ kind: "preview", name: command.plan, preview });
        return { exitCode: ExitCode.succeeded, message: "" };
      }
      const { plan } = await callWithRetries(() => context.plans.getNodePlan({ name: command.plan }), retrying("GetNodePlan"));
      if (plan !== undefined) context.renderer.plans({ kind: "plan", plan });
      return { exitCode: ExitCode.succeeded, message: "" };
    }
    case "watch": {
      let last: NodePlan | undefined;
      const outcome = await followNodePlan({
        client: context.plans,
        plan: command.plan,
        afterSequence: command.afterSequence,
        clock: context.clock,
        async settled() {
          ({ plan: last } = await callWithRetries(() => context.plans.getNodePlan({ name: command.plan }), retrying("GetNodePlan")));
          return last !== undefined && isSettled(last.state);
        },
        ...(command.waitTimeoutMs === undefined ? {} : { waitTimeoutMs: command.waitTimeoutMs }),
        onMessage: (message) => context.renderer.plans({ kind: "message", message }),
        onReconnect: (reconnect) => context.renderer.reconnecting(reconnect),
      });
      if (outcome.kind === "wait-timed-out") {
        return {
          exitCode: ExitCode.waitTimedOut,
          waitTimedOut: true,
          message:
            `stopped waiting after ${formatDuration(command.waitTimeoutMs ?? 0)}; plan ${command.plan} goes on. ` +
            `Follow it with: update-manager plans watch ${command.plan} --after-sequence ${outcome.lastSequence}`,
        };
      }
      // The plan is settled: its state decides the exit code.
      const state = last?.state ?? NodePlanState.UNSPECIFIED;
      const detail = last === undefined || last.message === "" ? "" : `: ${last.message}`;
      return {
        exitCode: exitCodeForPlanState(state),
        planState: describePlanState(state),
        message: `plan ${command.plan} ${describePlanState(state)}${detail}`,
      };
    }
  }
}
