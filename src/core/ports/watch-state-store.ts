import type { WatchState, WatchStateChange } from "../domain/watch-state.js";

/**
 * Durable watch state. The watcher reads it once per cycle and writes at most once per cycle, only when
 * something changed. Implementations: in memory (embedded mode, tests) and one ConfigMap in the manager's
 * namespace (store/kubernetes/config-map-watch-state-store.ts).
 */
export interface WatchStateStore {
  load(): Promise<WatchState>;
  save(change: WatchStateChange): Promise<void>;
}
