import type { FreezeState } from "../domain/freeze.js";
import type { Unsubscribe } from "./cluster.js";

/**
 * The durable global freeze, shared by every replica. Implementations: in memory (embedded mode, tests) and one
 * ConfigMap in the manager's namespace (store/kubernetes/config-map-freeze-store.ts).
 */
export interface FreezeStore {
  /** The state now (`notFrozen` when it was never written). Read on every new update: answered from a cache where there is one. */
  get(): Promise<FreezeState>;
  /** Records the state; resolves once it is durable. */
  set(state: FreezeState): Promise<void>;
  /** Told of every change seen, written by this process or another replica. */
  subscribe(listener: (state: FreezeState) => void): Unsubscribe;
}
