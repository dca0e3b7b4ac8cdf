import type { QuarantineRecord } from "../domain/quarantine.js";
import type { TargetView } from "../domain/target-view.js";
import type { UpdateRecord } from "../domain/update.js";
import type { WorkloadRef } from "../domain/workload.js";
import type { Page } from "../ports/update-store.js";
import { createCancelUpdate } from "./cancel-update.js";
import { createClearQuarantine } from "./clear-quarantine.js";
import { type ApprovalDecisionRequest, createDecideApproval } from "./decide-approval.js";
import { createFreezeControl } from "./freeze-updates.js";
import type { FreezeState } from "../domain/freeze.js";
import { createUpdateExecutor } from "./execute-update.js";
import { createGetUpdate } from "./get-update.js";
import { createListQuarantines, type ListQuarantinesRequest } from "./list-quarantines.js";
import { createListTargets, type ListTargetsQuery } from "./list-targets.js";
import { createListUpdates, type ListUpdatesRequest } from "./list-updates.js";
import { createRecordRefusedUpdate, type RefusedUpdate } from "./record-refused-update.js";
import { createResumeUnfinished, type ResumeResult } from "./resume-unfinished.js";
import { createStartUpdate, type RequestContext, type StartUpdateRequest } from "./start-update.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import { resolveUpdateEngineOptions, type UpdateEngineOptions } from "./update-engine-options.js";
import { createUpdateQueue, type UpdateQueue } from "./update-queue.js";
import { createWatchUpdate, type WatchItem } from "./watch-update.js";

/**
 * The update engine as the API adapter sees it: one method per use case. Every method throws
 * (rejects with) DomainError only; the adapter translates it.
 */
export interface UpdateManager {
  /** Opted-in targets from the cluster cache; UNAVAILABLE (CACHE_NOT_SYNCED) until it synced. */
  listTargets(query: ListTargetsQuery): Promise<Page<TargetView>>;
  /** Validates, plans, records and starts an update (or, for a dry run, only plans it). */
  startUpdate(request: StartUpdateRequest, context: RequestContext): Promise<UpdateRecord>;
  /** Records a refused request as a FAILED update with the reason (the original's REST clients poll for it). */
  recordRefusedUpdate(refused: RefusedUpdate): Promise<UpdateRecord>;
  /** NOT_FOUND (UPDATE_NOT_FOUND) for an unknown id. */
  getUpdate(id: string): Promise<UpdateRecord>;
  listUpdates(request: ListUpdatesRequest): Promise<Page<UpdateRecord>>;
  /** FAILED_PRECONDITION (UPDATE_FINISHED) once the update has finished. */
  cancelUpdate(id: string, reason: string, requester: string): Promise<UpdateRecord>;
  /**
   * ApproveUpdate / RejectUpdate: NOT_FOUND for an unknown id, PERMISSION_DENIED (OWN_UPDATE) for the
   * requester, FAILED_PRECONDITION (NOT_WAITING_FOR_APPROVAL) for an update that does not wait for approval.
   */
  decideApproval(request: ApprovalDecisionRequest, context: RequestContext): Promise<UpdateRecord>;
  /** The global freeze; UNIMPLEMENTED without a freeze store. */
  freeze(reason: string, principal: string): Promise<FreezeState>;
  unfreeze(principal: string): Promise<FreezeState>;
  getFreeze(): Promise<FreezeState>;
  /** Events after `afterSequence`, then live ones, ending after `finished`. */
  watchUpdate(id: string, afterSequence: number, signal?: AbortSignal): AsyncIterable<WatchItem>;
  listQuarantines(request: ListQuarantinesRequest): Promise<Page<QuarantineRecord>>;
  clearQuarantine(image: string, workload?: WorkloadRef): Promise<readonly QuarantineRecord[]>;
  /** At start-up: continues every unfinished update from its last recorded step. */
  resumeUnfinished(): Promise<ResumeResult>;
  /** Resolves when no update is executing in this process. */
  whenIdle(): Promise<void>;
  /** Stops executing (without further writes, so the updates stay resumable) and waits for it. */
  shutdown(): Promise<void>;
  /**
   * This process lost the leadership: stops every execution without further writes (the new leader
   * resumes them) and waits for it; serving the API goes on, and executing resumes if it leads again.
   */
  stepDown(): Promise<void>;
}

export function createUpdateManager(deps: UpdateEngineDeps, options: UpdateEngineOptions = {}): UpdateManager {
  const resolved = resolveUpdateEngineOptions(options);
  let queue: UpdateQueue | undefined;
  const executor = createUpdateExecutor(deps, resolved, () => void queue?.pump());
  queue = createUpdateQueue(deps, resolved, executor);
  const listTargets = createListTargets(deps, resolved);
  const freezeControl = createFreezeControl(deps);
  // An unfreeze (here or on another replica) lets the held updates move.
  const unsubscribeFreeze = deps.freeze?.subscribe((state) => {
    if (!state.frozen) void queue.pump();
  });
  /** Executions ended and the queue's pass after them ran (it may have launched the next update). */
  const whenIdle = async () => {
    await executor.whenIdle();
    await queue.whenIdle();
  };
  return {
    listTargets: async (query) => listTargets(query),
    startUpdate: createStartUpdate(deps, resolved, executor, queue),
    recordRefusedUpdate: createRecordRefusedUpdate(deps, resolved),
    getUpdate: createGetUpdate(deps),
    listUpdates: createListUpdates(deps),
    cancelUpdate: createCancelUpdate(deps, executor, queue),
    decideApproval: createDecideApproval(deps, queue),
    freeze: (reason, principal) => freezeControl.freeze(reason, principal),
    unfreeze: (principal) => freezeControl.unfreeze(principal),
    getFreeze: () => freezeControl.getFreeze(),
    watchUpdate: createWatchUpdate(deps, resolved),
    listQuarantines: createListQuarantines(deps),
    clearQuarantine: createClearQuarantine(deps),
    resumeUnfinished: createResumeUnfinished(deps, executor, queue),
    whenIdle,
    shutdown: async () => {
      unsubscribeFreeze?.();
      queue.stop(false);
      await executor.shutdown();
      await queue.whenIdle();
    },
    stepDown: async () => {
      queue.stop(true);
      await executor.haltAll();
      await queue.whenIdle();
    },
  };
}
