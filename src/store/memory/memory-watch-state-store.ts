import { applyWatchStateChange, defaultMaxWatchStateEntries, emptyWatchState, type WatchState } from "../../core/domain/watch-state.js";
import type { WatchStateStore } from "../../core/ports/watch-state-store.js";

export interface MemoryWatchStateStoreOptions {
  /** Entries kept per map (first-seen times, attempts); beyond it the oldest are dropped. Default: 2000 (as the ConfigMap). */
  readonly maxEntries?: number;
}

/** The watch state in this process's memory: embedded mode and tests (a restart forgets it). */
export function createMemoryWatchStateStore(options: MemoryWatchStateStoreOptions = {}): WatchStateStore & {
  /** How many times `save` was called (tests check that unchanged cycles do not write). */
  saves(): number;
} {
  const maxEntries = options.maxEntries ?? defaultMaxWatchStateEntries;
  let state: WatchState = emptyWatchState;
  let saves = 0;
  return {
    load: async () => state,
    async save(change) {
      saves++;
      state = applyWatchStateChange(state, change, maxEntries);
    },
    saves: () => saves,
  };
}
