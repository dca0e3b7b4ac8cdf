import { isTerminal, isWaitingToStart, type UpdateRecord } from "../domain/update.js";
import type { UpdateStore } from "../ports/update-store.js";
import { type UpdateExecutor, updateFinished } from "./execute-update.js";
import { updateNotFound } from "./get-update.js";
import type { UpdateQueue } from "./update-queue.js";

export type CancelUpdate = (id: string, reason: string, requester: string) => Promise<UpdateRecord>;

/**
 * Requests that an update stop. The execution notices at its next safe point: a running migration
 * is awaited, a rollout is rolled back. A second cancel of the same update changes nothing.
 */
export function createCancelUpdate(
  deps: { readonly store: UpdateStore },
  executor: UpdateExecutor,
  queue: Pick<UpdateQueue, "cancel">,
): CancelUpdate {
  return async (id, reason, requester) => {
    // The execution owns the record while it runs: route the cancel through it, so its own saves
    // never overwrite the flag.
    const viaExecution = await executor.requestCancel(id, reason, requester);
    if (viaExecution !== undefined) return viaExecution;
    // Read only now: a record read before asking the executor could predate its terminal save.
    const stored = id === "" ? undefined : await deps.store.get(id);
    if (stored === undefined) throw updateNotFound(id);
    if (isTerminal(stored.state)) throw updateFinished(stored);
    if (isWaitingToStart(stored.state)) {
      // A queued or waiting update changed nothing yet: it ends at once (here, where the queue moves).
      const cancelled = await queue.cancel(id, reason, requester);
      if (cancelled !== undefined) return cancelled;
      const now = await deps.store.get(id);
      if (now !== undefined && isTerminal(now.state)) throw updateFinished(now);
    }
    if (executor.isRunning(id)) {
      // Resumed in the meantime.
      const resumed = await executor.requestCancel(id, reason, requester);
      if (resumed !== undefined) return resumed;
    }
    // Not executing here (it waits to be resumed, or queued on another replica's watch): record the
    // request; the resumed execution starts with it and stops at once, a queued one ends cancelled.
    if (!stored.cancelRequested) {
      stored.cancelRequested = true;
      await deps.store.save(stored, [{ type: "cancel-requested", reason, requester }]);
    }
    return stored;
  };
}
