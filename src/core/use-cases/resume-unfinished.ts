import { isTerminal, isWaitingToStart } from "../domain/update.js";
import type { Unsubscribe } from "../ports/cluster.js";
import type { UpdateExecutor } from "./execute-update.js";
import { lockTargets } from "./lock-targets.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { UpdateQueue } from "./update-queue.js";
import { updateLogFields } from "./update-spans.js";

export interface ResumeResult {
  /** Updates now executing again. */
  readonly resumed: readonly string[];
  /** Updates that could not be resumed (their locks are held by another update), with why. */
  readonly failed: readonly { readonly id: string; readonly error: unknown }[];
}

export type ResumeUnfinished = () => Promise<ResumeResult>;

/**
 * On start-up: continues every update the store holds unfinished, each from its last recorded
 * step, after re-taking its locks (re-acquiring its own locks succeeds). Waits for the cluster
 * cache to sync first: resuming reads the cache (a migration Job, a workload's images). Queued
 * updates are left to the queue, which then moves in their recorded order (after the resumed
 * updates took their locks back); so are updates waiting for approval or a gate (the queue also watches their
 * deadlines and gates).
 */
export function createResumeUnfinished(
  deps: UpdateEngineDeps,
  executor: UpdateExecutor,
  queue: Pick<UpdateQueue, "pump">,
): ResumeUnfinished {
  return async () => {
    await whenSynced(deps);
    const resumed: string[] = [];
    const failed: { id: string; error: unknown }[] = [];
    // Only the leader executes; a follower leaves the updates to it.
    if (deps.canExecute !== undefined && !deps.canExecute()) return { resumed, failed };
    for (const record of await deps.store.listUnfinished()) {
      if (executor.isRunning(record.id) || isWaitingToStart(record.state)) continue;
      try {
        await deps.locks.acquire(record.id, lockTargets(record.plan));
      } catch (error) {
        deps.logger.error({ ...updateLogFields(record), err: error }, "cannot resume update: its targets are locked");
        failed.push({ id: record.id, error });
        continue;
      }
      // The list is a snapshot: an update this process ran may have finished since, and a stale copy
      // launched now would run it again and hold its locks for good. Read it again under its locks.
      const current = await deps.store.get(record.id);
      if (
        current === undefined ||
        isTerminal(current.state) ||
        isWaitingToStart(current.state) ||
        executor.isRunning(record.id)
      ) {
        if (!executor.isRunning(record.id)) await deps.locks.release(record.id, lockTargets(record.plan));
        continue;
      }
      deps.logger.info({ ...updateLogFields(current), state: record.state, phase: record.phase }, "resuming update");
      executor.launch(current);
      resumed.push(record.id);
    }
    await queue.pump();
    return { resumed, failed };
  };
}

function whenSynced(deps: UpdateEngineDeps): Promise<void> {
  if (deps.cluster.isSynced()) return Promise.resolve();
  return new Promise((resolve) => {
    let unsubscribe: Unsubscribe | undefined;
    let done = false;
    unsubscribe = deps.cluster.subscribe((change) => {
      if (done || (change.type !== "synced" && !deps.cluster.isSynced())) return;
      done = true;
      unsubscribe?.();
      resolve();
    });
    // Synced between the check and the subscription.
    if (!done && deps.cluster.isSynced()) {
      done = true;
      unsubscribe();
      resolve();
    }
  });
}
