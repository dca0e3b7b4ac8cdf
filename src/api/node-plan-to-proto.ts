import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { NodePlanEvent as DomainNodePlanEvent, NodePlanEventType as DomainEventType } from "../core/domain/node-plan/node-plan-event.js";
import type { NodePlanState as DomainNodePlanState } from "../core/domain/node-plan/node-plan-state.js";
import type { NodePhase, NodeResult, PlanCondition } from "../core/domain/node-plan/node-plan-status.js";
import type { NodePlanView } from "../core/use-cases/node-plans/read-node-plans.js";
import type { NodePlanPreview, PreviewNodeState } from "../core/use-cases/node-plans/preview-node-plan.js";
import {
  type NodePlan,
  type NodePlanCondition,
  NodePlanConditionSchema,
  type NodePlanEvent,
  NodePlanEventSchema,
  NodePlanEventType,
  type NodePlanNode,
  NodePlanNodeSchema,
  NodePlanPreviewNodeSchema,
  NodePlanPreviewState,
  NodePlanSchema,
  NodePlanState,
  NodeUpgradePhase,
} from "../../gen/updatemanager/v1/node_plan_pb.js";
import { type PreviewNodePlanResponse, PreviewNodePlanResponseSchema } from "../../gen/updatemanager/v1/node_plan_service_pb.js";

/** An RFC 3339 time from the status; undefined when absent or unreadable (someone edited the status). */
function time(value: string | undefined): Timestamp | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : timestampFromDate(new Date(ms));
}

const states: Record<DomainNodePlanState, NodePlanState> = {
  Pending: NodePlanState.PENDING,
  Applying: NodePlanState.APPLYING,
  Complete: NodePlanState.COMPLETE,
  Failed: NodePlanState.FAILED,
  Invalid: NodePlanState.INVALID,
};

const phases: Record<NodePhase, NodeUpgradePhase> = {
  Claimed: NodeUpgradePhase.CLAIMED,
  JobStarted: NodeUpgradePhase.JOB_STARTED,
  Succeeded: NodeUpgradePhase.SUCCEEDED,
  Failed: NodeUpgradePhase.FAILED,
};

const eventTypes: Record<DomainEventType, NodePlanEventType> = {
  NodeSelected: NodePlanEventType.NODE_SELECTED,
  NodeCordoned: NodePlanEventType.NODE_CORDONED,
  NodeDrained: NodePlanEventType.NODE_DRAINED,
  JobStarted: NodePlanEventType.JOB_STARTED,
  JobSucceeded: NodePlanEventType.JOB_SUCCEEDED,
  JobFailed: NodePlanEventType.JOB_FAILED,
  NodeLabelled: NodePlanEventType.NODE_LABELLED,
  NodeUncordoned: NodePlanEventType.NODE_UNCORDONED,
  NodeFailed: NodePlanEventType.NODE_FAILED,
  PlanComplete: NodePlanEventType.PLAN_COMPLETE,
  PlanFailed: NodePlanEventType.PLAN_FAILED,
};

const previewStates: Record<PreviewNodeState, NodePlanPreviewState> = {
  Done: NodePlanPreviewState.DONE,
  Applying: NodePlanPreviewState.APPLYING,
  Failed: NodePlanPreviewState.FAILED,
  Pending: NodePlanPreviewState.PENDING,
  Skipped: NodePlanPreviewState.SKIPPED,
};

function nodeToProto(result: NodeResult): NodePlanNode {
  return create(NodePlanNodeSchema, {
    name: result.name,
    hash: result.hash,
    phase: phases[result.phase] ?? NodeUpgradePhase.UNSPECIFIED,
    cordonedByPlan: result.cordonedByPlan === true,
    jobName: result.jobName ?? "",
    message: result.message ?? "",
    startTime: time(result.startTime),
    jobStartTime: time(result.jobStartTime),
    finishTime: time(result.finishTime),
  });
}

function conditionToProto(condition: PlanCondition): NodePlanCondition {
  return create(NodePlanConditionSchema, {
    type: condition.type,
    status: condition.status,
    reason: condition.reason ?? "",
    message: condition.message ?? "",
    lastTransitionTime: time(condition.lastTransitionTime),
  });
}

export function nodePlanToProto(view: NodePlanView): NodePlan {
  const { record } = view;
  const { status } = record;
  return create(NodePlanSchema, {
    name: record.name,
    state: states[view.state],
    image: view.image,
    version: view.version,
    channel: view.channel,
    concurrency: view.concurrency,
    latestVersion: status.latestVersion,
    latestHash: status.latestHash,
    applying: [...status.applying],
    nodes: status.nodes.map(nodeToProto),
    conditions: status.conditions.map(conditionToProto),
    message: status.message ?? "",
    nextWindowOpening: time(status.nextWindowOpening),
    generation: BigInt(record.generation),
    observedGeneration: BigInt(status.observedGeneration),
    lastSequence: BigInt(view.lastSequence),
    firstSequence: BigInt(view.firstSequence),
  });
}

export function nodePlanEventToProto(event: DomainNodePlanEvent): NodePlanEvent {
  return create(NodePlanEventSchema, {
    sequence: BigInt(event.sequence),
    time: time(event.time),
    type: eventTypes[event.type] ?? NodePlanEventType.UNSPECIFIED,
    node: event.node ?? "",
    hash: event.hash ?? "",
    message: event.message ?? "",
  });
}

export function nodePlanPreviewToProto(preview: NodePlanPreview): PreviewNodePlanResponse {
  return create(PreviewNodePlanResponseSchema, {
    hash: preview.hash,
    nodes: preview.nodes.map((node) =>
      create(NodePlanPreviewNodeSchema, { name: node.name, position: node.position, state: previewStates[node.state], message: node.message ?? "" }),
    ),
  });
}
