import type { Registry } from "prom-client";
import type { AvailableUpdateEvents } from "./cluster/kubernetes/available-update-events.js";
import type { AvailableUpdate } from "./core/domain/available-update.js";
import type { MetadataKeys } from "./core/domain/metadata-keys.js";
import type { Clock } from "./core/ports/clock.js";
import type { ClusterPort } from "./core/ports/cluster.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { PullSecretsPort } from "./core/ports/pull-secrets.js";
import type { QuarantineStore } from "./core/ports/quarantine-store.js";
import type { RunningImagesPort } from "./core/ports/running-images.js";
import type { WatchStateStore } from "./core/ports/watch-state-store.js";
import { createListAvailableUpdates, type ListAvailableUpdates } from "./core/use-cases/list-available-updates.js";
import type { UpdateManager } from "./core/use-cases/update-manager.js";
import { createRegistryWatcher, type RegistryWatcher } from "./core/use-cases/watch-registries.js";
import { createRegistryClient } from "./registry/registry-client.js";
import { createRegistryPortAdapter } from "./registry/registry-port-adapter.js";
import { createMemoryWatchStateStore } from "./store/memory/memory-watch-state-store.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";
import { createRegistryWatchMetrics } from "./telemetry/registry-watch-metrics.js";

export interface RegistryWatchCompositionOptions {
  /** The cluster the engine uses; the simulated one also serves pull secrets and running image IDs. */
  readonly cluster: ClusterPort & Partial<PullSecretsPort & RunningImagesPort>;
  /** With a real cluster, its adapters: secrets and pods are read from the API server. Undefined: simulated. */
  readonly kubernetes: KubernetesComposition | undefined;
  /** With `kubernetes`: the process's API server connection (its requests counted in the metrics). Required then. */
  readonly clients: KubernetesClients | undefined;
  /** With UpdateRuns (UPDATE_MANAGER_STORE=kubernetes): the watch state goes to a ConfigMap in this namespace. */
  readonly durableNamespace: string | undefined;
  readonly manager: Pick<UpdateManager, "startUpdate" | "getUpdate">;
  readonly quarantines: Pick<QuarantineStore, "find">;
  readonly canExecute: (() => boolean) | undefined;
  readonly keys: MetadataKeys;
  readonly keyPrefix: string;
  readonly legacyAnnotation: boolean;
  readonly defaultScheduleMs: number;
  readonly insecureRegistries: readonly string[];
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Default: no metrics. */
  readonly metrics?: Registry;
  /** Also told of each new finding (notifications). Default: none. */
  readonly onAvailable?: (update: AvailableUpdate) => void;
}

export interface RegistryWatch {
  readonly watcher: RegistryWatcher;
  readonly listAvailableUpdates: ListAvailableUpdates;
}

/**
 * wires the registry watcher for src/app.ts: the registry client (no default credentials: only the
 * workloads' own pull secrets), the adapter, the cluster reads (API server or simulated cluster), the watch state
 * (ConfigMap with UpdateRuns, memory otherwise), the metrics and, on a real cluster, the findings as Events on the
 * workloads.
 */
export function createRegistryWatch(options: RegistryWatchCompositionOptions): RegistryWatch {
  const metrics = options.metrics === undefined ? undefined : createRegistryWatchMetrics(options.metrics);
  let access: PullSecretsPort & RunningImagesPort;
  let state: WatchStateStore;
  let events: AvailableUpdateEvents | undefined;
  const kubernetes = options.kubernetes;
  if (kubernetes !== undefined) {
    if (options.clients === undefined) throw new Error("the registry watch on a real cluster needs its API server connection");
    const rest = options.clients.rest();
    access = kubernetes.createKubernetesRegistryAccess({ rest });
    state =
      options.durableNamespace === undefined
        ? createMemoryWatchStateStore()
        : kubernetes.createConfigMapWatchStateStore({ rest, namespace: options.durableNamespace });
    events = kubernetes.createAvailableUpdateEvents({
      rest,
      clock: options.clock,
      logger: options.logger,
      uidOf: (ref) => options.cluster.getWorkload(ref)?.uid,
    });
  } else {
    const { cluster } = options;
    if (cluster.getPullSecret === undefined || cluster.runningImageIds === undefined) {
      throw new Error("the simulated cluster does not serve pull secrets and running image IDs");
    }
    access = { getPullSecret: cluster.getPullSecret, runningImageIds: cluster.runningImageIds };
    state = createMemoryWatchStateStore();
  }
  const client = createRegistryClient({
    insecureRegistries: options.insecureRegistries,
    clock: options.clock,
    ...(metrics === undefined ? {} : { onRequest: metrics.onRequest }),
  });
  // Each new finding: counted, and announced on the workload (the watcher logs it itself).
  const onAvailable = (update: AvailableUpdate): void => {
    metrics?.onAvailable(update);
    if (events !== undefined) void events.announce(update);
    options.onAvailable?.(update);
  };
  const watcher = createRegistryWatcher(
    {
      cluster: options.cluster,
      registry: createRegistryPortAdapter({ client, ...(metrics === undefined ? {} : { onError: metrics.onError }) }),
      pullSecrets: access,
      runningImages: access,
      state,
      quarantines: options.quarantines,
      updates: options.manager,
      clock: options.clock,
      keys: options.keys,
      logger: options.logger,
      ...(options.canExecute === undefined ? {} : { canExecute: options.canExecute }),
      onAvailable,
      ...(metrics === undefined ? {} : { onCycle: metrics.onCycle }),
    },
    { keyPrefix: options.keyPrefix, legacyAnnotation: options.legacyAnnotation, defaultScheduleMs: options.defaultScheduleMs },
  );
  return { watcher, listAvailableUpdates: createListAvailableUpdates({ state }) };
}
