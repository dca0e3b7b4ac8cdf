import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { DomainError } from "../core/domain/domain-error.js";
import type { Clock } from "../core/ports/clock.js";
import type { NodePlanReads } from "../core/ports/node-plans.js";
import { previewNodePlan } from "../core/use-cases/node-plans/preview-node-plan.js";
import { getNodePlan, listNodePlans } from "../core/use-cases/node-plans/read-node-plans.js";
import { createWatchNodePlan } from "../core/use-cases/node-plans/watch-node-plan.js";
import {
  GetNodePlanResponseSchema,
  ListNodePlansResponseSchema,
  NodePlanService,
  WatchNodePlanResponseSchema,
} from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { toConnectError, translateErrors } from "./connect-error.js";
import { linkAbortSignals } from "./linked-abort-signal.js";
import { nodePlanEventToProto, nodePlanPreviewToProto, nodePlanToProto } from "./node-plan-to-proto.js";
import { principalKey } from "./principal.js";

export interface NodePlanServiceOptions {
  /** The plan caches; undefined when this server runs no node plans (the RPCs answer NODE_PLANS_DISABLED). */
  readonly reads: NodePlanReads | undefined;
  /** UPDATE_MANAGER_KEY_PREFIX: the nodes' plan label is `plan.<prefix>/<plan>`. */
  readonly keyPrefix: string;
  readonly clock: Clock;
  /** Ends open WatchNodePlan streams cleanly (OK) when the server shuts down: clients resume elsewhere. Default: none. */
  readonly shutdownSignal?: AbortSignal;
  /** WatchNodePlan streams one principal may have open on this replica. Default 256, as WatchUpdate. */
  readonly maxWatchesPerPrincipal?: number;
  /** A heartbeat after this long without an event. Default 15 s. */
  readonly heartbeatMs?: number;
}

/** The NodePlanService: reads the plan caches, encodes answers, translates domain errors into Connect codes. */
export function createNodePlanService(options: NodePlanServiceOptions): ServiceImpl<typeof NodePlanService> {
  const { reads } = options;
  const maxWatches = options.maxWatchesPerPrincipal ?? 256;
  const openWatches = new Map<string, number>();
  const watch = createWatchNodePlan({ reads, clock: options.clock }, options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs });
  return {
    listNodePlans: () =>
      translateErrors(async () => {
        const list = listNodePlans(reads);
        return create(ListNodePlansResponseSchema, { plans: list.plans.map(nodePlanToProto), disabled: list.disabled });
      }),

    getNodePlan: (req) => translateErrors(async () => create(GetNodePlanResponseSchema, { plan: nodePlanToProto(getNodePlan(reads, req.name)) })),

    previewNodePlan: (req) => translateErrors(async () => nodePlanPreviewToProto(previewNodePlan(reads, req.name, { keyPrefix: options.keyPrefix }))),

    async *watchNodePlan(req, ctx) {
      const principal = ctx.values.get(principalKey).name;
      const open = openWatches.get(principal) ?? 0;
      if (open >= maxWatches) {
        throw toConnectError(
          new DomainError("resource-exhausted", "TOO_MANY_WATCHES", `${principal} already has ${maxWatches} WatchNodePlan streams open (the limit per caller); end one first`, {
            metadata: { limit: String(maxWatches), principal },
          }),
        );
      }
      openWatches.set(principal, open + 1);
      const linked = options.shutdownSignal === undefined ? undefined : linkAbortSignals([ctx.signal, options.shutdownSignal]);
      const signal = linked?.signal ?? ctx.signal;
      try {
        for await (const item of watch({ name: req.name, afterSequence: Number(req.afterSequence), untilSettled: req.untilSettled }, signal)) {
          yield item.type === "event"
            ? create(WatchNodePlanResponseSchema, { message: { case: "event", value: nodePlanEventToProto(item.event) } })
            : create(WatchNodePlanResponseSchema, {
                message: { case: "heartbeat", value: { time: timestampFromDate(item.time), lastSequence: BigInt(item.lastSequence) } },
              });
        }
      } catch (error) {
        if (options.shutdownSignal?.aborted) return;
        throw toConnectError(error);
      } finally {
        linked?.dispose();
        const left = (openWatches.get(principal) ?? 1) - 1;
        if (left === 0) openWatches.delete(principal);
        else openWatches.set(principal, left);
      }
    },
  };
}

/** Registers the service on a router. */
export function registerNodePlanService(router: ConnectRouter, options: NodePlanServiceOptions): void {
  router.service(NodePlanService, createNodePlanService(options));
}
