import { type FreezeState, notFrozen } from "../../core/domain/freeze.js";
import type { Unsubscribe } from "../../core/ports/cluster.js";
import type { FreezeStore } from "../../core/ports/freeze-store.js";

/** The freeze of embedded mode and tests: this process only, lost (unfrozen) on restart. */
export function createMemoryFreezeStore(initial: FreezeState = notFrozen): FreezeStore {
  let state = initial;
  const listeners = new Set<(state: FreezeState) => void>();
  return {
    get: async () => state,
    async set(next) {
      state = { ...next };
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener): Unsubscribe {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
