import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { RequestContext } from "../core/use-cases/start-update.js";
import type { UpdateManager } from "../core/use-cases/update-manager.js";
import { accessScopeKey, auditDetailKey } from "../auth/access-principal.js";
import {
  ApproveUpdateResponseSchema,
  FreezeResponseSchema,
  GetFreezeResponseSchema,
  RejectUpdateResponseSchema,
  UnfreezeResponseSchema,
} from "../../gen/updatemanager/v1/approval_pb.js";
import {
  ClearQuarantineResponseSchema,
  CancelUpdateResponseSchema,
  ListAvailableUpdatesResponseSchema,
  GetUpdateResponseSchema,
  ListQuarantinesResponseSchema,
  ListTargetsResponseSchema,
  ListUpdatesResponseSchema,
  UpdateResponseSchema,
  UpdateService,
  type WatchUpdateResponse,
  WatchUpdateResponseSchema,
} from "../../gen/updatemanager/v1/update_service_pb.js";
import { translateErrors, toConnectError } from "./connect-error.js";
import { durationToMs, updateStateFromProto, workloadRefFromProto } from "./from-proto.js";
import { principalKey } from "./principal.js";
import { availableUpdateToProto, freezeToProto, quarantineToProto, targetToProto, updateToProto } from "./to-proto.js";
import { DomainError } from "../core/domain/domain-error.js";
import type { ListAvailableUpdates } from "../core/use-cases/list-available-updates.js";
import { linkAbortSignals } from "./linked-abort-signal.js";
import { createWatchEventResponses } from "./watch-event-responses.js";

/** What the API needs from the core: the use cases, not the engine's life cycle. */
export type UpdateUseCases = Omit<UpdateManager, "resumeUnfinished" | "whenIdle" | "shutdown">;

export interface UpdateServiceOptions {
  /** Ends open WatchUpdate streams cleanly when the server shuts down. */
  shutdownSignal?: AbortSignal;
  /**
   * `WatchUpdate` streams one principal may have open at once on this replica; one more is refused with
   * RESOURCE_EXHAUSTED, reason TOO_MANY_WATCHES (metadata `limit`). Default: 256.
   */
  maxWatchesPerPrincipal?: number;
  /** newer versions the registry watcher found. Default: none (the RPC answers UNIMPLEMENTED). */
  listAvailableUpdates?: ListAvailableUpdates;
}

/** Who asks, and what they may touch (checked by the engine once the plan is known). */
function requestContext(ctx: HandlerContext): RequestContext {
  const scope = ctx.values.get(accessScopeKey);
  return { requester: ctx.values.get(principalKey).name, ...(scope === undefined ? {} : { scope }) };
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}

function pageSize(value: number): number | undefined {
  return value === 0 ? undefined : value;
}

/** The UpdateService: decodes requests, calls the core, encodes answers, translates errors. */
export function createUpdateService(core: UpdateUseCases, options: UpdateServiceOptions = {}): ServiceImpl<typeof UpdateService> {
  const maxWatches = options.maxWatchesPerPrincipal ?? 256;
  /** Open WatchUpdate streams per principal. */
  const openWatches = new Map<string, number>();
  const eventResponse = createWatchEventResponses();
  return {
    update: (req, ctx) =>
      translateErrors(async () => {
        const record = await core.startUpdate(
          {
            image: req.image,
            classifier: req.classifier,
            dryRun: req.dryRun,
            idempotencyKey: nonEmpty(req.idempotencyKey),
            updateTimeoutMs: durationToMs(req.updateTimeout, "update_timeout"),
            overrideQuarantine: req.overrideQuarantine,
            queueIfBusy: req.queueIfBusy,
          },
          requestContext(ctx),
        );
        return create(UpdateResponseSchema, { update: updateToProto(record) });
      }),

    getUpdate: (req) =>
      translateErrors(async () => create(GetUpdateResponseSchema, { update: updateToProto(await core.getUpdate(req.updateId)) })),

    listUpdates: (req) =>
      translateErrors(async () => {
        const page = await core.listUpdates({
          pageSize: pageSize(req.pageSize),
          pageToken: nonEmpty(req.pageToken),
          classifier: nonEmpty(req.classifier),
          states: req.states.map((state, i) => updateStateFromProto(state, `states[${i}]`)),
          requester: nonEmpty(req.requester),
        });
        return create(ListUpdatesResponseSchema, {
          updates: page.items.map(updateToProto),
          nextPageToken: page.nextPageToken,
        });
      }),

    cancelUpdate: (req, ctx) =>
      translateErrors(async () => {
        const record = await core.cancelUpdate(req.updateId, req.reason, ctx.values.get(principalKey).name);
        return create(CancelUpdateResponseSchema, { update: updateToProto(record) });
      }),

    // One generator per stream, no delegation: every message of every stream passes through it.
    async *watchUpdate(req, ctx) {
      const principal = ctx.values.get(principalKey).name;
      const open = openWatches.get(principal) ?? 0;
      if (open >= maxWatches) {
        throw toConnectError(
          new DomainError(
            "resource-exhausted",
            "TOO_MANY_WATCHES",
            `${principal} already has ${maxWatches} WatchUpdate streams open (the limit per caller); end one first`,
            { metadata: { limit: String(maxWatches), principal } },
          ),
        );
      }
      openWatches.set(principal, open + 1);
      // The stream ends cleanly (OK) on server shutdown: the client resumes with after_sequence elsewhere.
      const shutdownSignal = options.shutdownSignal;
      const linked = shutdownSignal === undefined ? undefined : linkAbortSignals([ctx.signal, shutdownSignal]);
      const signal = linked?.signal ?? ctx.signal;
      // gRPC's "application/grpc" is binary; "+json" content types (Connect, gRPC-web, gRPC) are JSON.
      const format = ctx.requestHeader.get("content-type")?.includes("json") === true ? "json" : "binary";
      try {
        for await (const item of core.watchUpdate(req.updateId, Number(req.afterSequence), signal)) {
          if (signal.aborted) return;
          yield item.type === "event" ? eventResponse(item.event, format) : heartbeatResponse(item.time, item.lastSequence);
        }
      } catch (error) {
        if (shutdownSignal?.aborted) return;
        throw toConnectError(error);
      } finally {
        linked?.dispose();
        const left = (openWatches.get(principal) ?? 1) - 1;
        if (left === 0) openWatches.delete(principal);
        else openWatches.set(principal, left);
      }
    },

    listTargets: (req) =>
      translateErrors(async () => {
        const page = await core.listTargets({
          classifier: nonEmpty(req.classifier),
          repository: nonEmpty(req.repository),
          namespace: nonEmpty(req.namespace),
          pageSize: pageSize(req.pageSize),
          pageToken: nonEmpty(req.pageToken),
        });
        return create(ListTargetsResponseSchema, {
          targets: page.items.map(targetToProto),
          nextPageToken: page.nextPageToken,
        });
      }),

    listQuarantines: (req) =>
      translateErrors(async () => {
        const page = await core.listQuarantines({
          namespace: nonEmpty(req.namespace),
          pageSize: pageSize(req.pageSize),
          pageToken: nonEmpty(req.pageToken),
        });
        return create(ListQuarantinesResponseSchema, {
          quarantines: page.items.map(quarantineToProto),
          nextPageToken: page.nextPageToken,
        });
      }),

    // the registry watcher's findings.
    listAvailableUpdates: (req) =>
      translateErrors(async () => {
        if (options.listAvailableUpdates === undefined) {
          throw new DomainError(
            "unimplemented",
            "UNIMPLEMENTED",
            "registry watching is off on this server (UPDATE_MANAGER_WATCH_REGISTRIES=false)",
          );
        }
        const page = await options.listAvailableUpdates({
          classifier: nonEmpty(req.classifier),
          namespace: nonEmpty(req.namespace),
          pageSize: pageSize(req.pageSize),
          pageToken: nonEmpty(req.pageToken),
        });
        return create(ListAvailableUpdatesResponseSchema, {
          availableUpdates: page.items.map(availableUpdateToProto),
          nextPageToken: page.nextPageToken,
        });
      }),

    approveUpdate: (req, ctx) =>
      translateErrors(async () => {
        const record = await core.decideApproval({ id: req.updateId, decision: "approve" }, requestContext(ctx));
        const approval = record.approval;
        // The audit line says where the approval stands.
        if (approval !== undefined) ctx.values.set(auditDetailKey, `approval ${approval.approvals.length} of ${approval.required}; update ${record.state}`);
        return create(ApproveUpdateResponseSchema, { update: updateToProto(record) });
      }),

    rejectUpdate: (req, ctx) =>
      translateErrors(async () => {
        const record = await core.decideApproval({ id: req.updateId, decision: "reject", reason: req.reason }, requestContext(ctx));
        ctx.values.set(auditDetailKey, `rejected${req.reason === "" ? "" : `: ${req.reason}`}; update ${record.state}`);
        return create(RejectUpdateResponseSchema, { update: updateToProto(record) });
      }),

    freeze: (req, ctx) =>
      translateErrors(async () => {
        const state = await core.freeze(req.reason, ctx.values.get(principalKey).name);
        ctx.values.set(auditDetailKey, `frozen by ${state.principal}${state.reason === "" ? "" : `: ${state.reason}`}`);
        return create(FreezeResponseSchema, { freeze: freezeToProto(state) });
      }),

    unfreeze: (_req, ctx) =>
      translateErrors(async () => {
        const state = await core.unfreeze(ctx.values.get(principalKey).name);
        ctx.values.set(auditDetailKey, state.frozen ? "still frozen" : "not frozen");
        return create(UnfreezeResponseSchema, { freeze: freezeToProto(state) });
      }),

    getFreeze: () => translateErrors(async () => create(GetFreezeResponseSchema, { freeze: freezeToProto(await core.getFreeze()) })),

    clearQuarantine: (req) =>
      translateErrors(async () => {
        const workload = req.workload === undefined ? undefined : workloadRefFromProto(req.workload, "workload");
        const cleared = await core.clearQuarantine(req.image, workload);
        return create(ClearQuarantineResponseSchema, { cleared: cleared.map(quarantineToProto) });
      }),
  };
}

function heartbeatResponse(time: Date, lastSequence: number): WatchUpdateResponse {
  return create(WatchUpdateResponseSchema, {
    message: { case: "heartbeat", value: { time: timestampFromDate(time), lastSequence: BigInt(lastSequence) } },
  });
}

/** Registers the service on a router. */
export function registerUpdateService(router: ConnectRouter, core: UpdateUseCases, options: UpdateServiceOptions = {}): void {
  router.service(UpdateService, createUpdateService(core, options));
}
