import { isTerminal } from "../domain/update.js";
import type { UpdateStore } from "../ports/update-store.js";

/**
 * Where the update holding a lock stands, from the store: the `updateState` of the target locks, which take over
 * the lock of a finished update (its outcome is recorded before its locks are released) or of a missing one.
 */
export function lockHolderState(store: Pick<UpdateStore, "get">): (updateId: string) => Promise<"active" | "finished" | "missing"> {
  return async (updateId) => {
    const record = await store.get(updateId);
    if (record === undefined) return "missing";
    return isTerminal(record.state) ? "finished" : "active";
  };
}
