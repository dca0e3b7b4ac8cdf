import type { FreezeStore } from "./core/ports/freeze-store.js";
import type { QuarantineStore } from "./core/ports/quarantine-store.js";
import type { TargetLocks } from "./core/ports/target-locks.js";
import type { UpdateStore } from "./core/ports/update-store.js";
import { lockHolderState } from "./core/use-cases/lock-holder-state.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";
import type { KubernetesPersistence, KubernetesPersistenceOptions } from "./store/kubernetes/kubernetes-persistence.js";
import { createMemoryFreezeStore } from "./store/memory/memory-freeze-store.js";
import { createMemoryQuarantineStore } from "./store/memory/memory-quarantine-store.js";
import { createMemoryTargetLocks } from "./store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "./store/memory/memory-update-store.js";

/**
 * The durable stores' own options (see KubernetesPersistenceOptions); `namespace`, `identity`, `leaderElection` and
 * `retention` are used only with `durable`, and the memory stores need only `keys` and `clock`.
 */
export interface UpdatePersistenceOptions
  extends Pick<
    KubernetesPersistenceOptions,
    "cluster" | "keys" | "clock" | "logger" | "namespace" | "identity" | "leaderElection" | "retention" | "countFailure"
  > {
  /**
   * With UPDATE_MANAGER_STORE=kubernetes: the Kubernetes adapters and the process's API server connection (its
   * requests counted in the metrics). Undefined: everything in this process's memory, lost on restart.
   */
  readonly durable: { readonly kubernetes: KubernetesComposition; readonly clients: KubernetesClients } | undefined;
}

/** Where the engine keeps updates and what they share between replicas. */
export interface UpdatePersistence {
  /** The UpdateRun store, locks, Lease and ConfigMaps to start, lead and stop. Undefined: memory. */
  readonly durable: KubernetesPersistence | undefined;
  readonly store: UpdateStore;
  /** The global freeze, holding updates and node plans alike. */
  readonly freeze: FreezeStore;
  /** Shared by the engine and the registry watcher. */
  readonly quarantines: QuarantineStore;
  readonly locks: TargetLocks;
}

/**
 * Durable updates: UpdateRuns, the locks they hold on their targets, the quarantine and freeze ConfigMaps and leader election
 * with UPDATE_MANAGER_STORE=kubernetes, shared by the replicas; this process's memory otherwise. Without the CRD (or
 * with RBAC refusing), the durable store's startStore() rejects with a message naming the manifest: the engine's
 * start-up is retried and the process stays not ready, saying why.
 */
export function createUpdatePersistence(options: UpdatePersistenceOptions): UpdatePersistence {
  const { clock, countFailure } = options;
  if (options.durable !== undefined) {
    const { kubernetes, clients } = options.durable;
    const { onApiRequest, informerEvents } = clients.observers;
    const durable = kubernetes.createKubernetesPersistence({
      kubeConfig: clients.kubeConfig,
      cluster: options.cluster,
      keys: options.keys,
      clock,
      logger: options.logger.child({ component: "persistence" }),
      namespace: options.namespace,
      identity: options.identity,
      leaderElection: options.leaderElection,
      retention: options.retention,
      ...(onApiRequest === undefined ? {} : { onApiRequest }),
      ...(informerEvents === undefined ? {} : { informerEvents }),
      ...(countFailure === undefined ? {} : { countFailure }),
    });
    return { durable, store: durable.store, freeze: durable.freeze, quarantines: durable.quarantines, locks: durable.locks };
  }
  const store = createMemoryUpdateStore({ clock });
  return {
    durable: undefined,
    store,
    freeze: createMemoryFreezeStore(),
    quarantines: createMemoryQuarantineStore(countFailure === undefined ? {} : { countFailure }),
    locks: createMemoryTargetLocks({ clock, updateState: lockHolderState(store) }),
  };
}
