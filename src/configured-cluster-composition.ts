import type { Registry } from "prom-client";
import { seedDemoCluster } from "./cluster/simulated/demo-seed.js";
import { createSimulatedCluster, type SimulatedCluster } from "./cluster/simulated/simulated-cluster.js";
import type { ApiRequestEvent } from "./cluster/kubernetes/api-request-event.js";
import type { Config } from "./config/config.js";
import type { MetadataKeys } from "./core/domain/metadata-keys.js";
import type { ClusterPort } from "./core/ports/cluster.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";
import { createInformerMetrics } from "./telemetry/informer-metrics.js";

/** A cluster adapter the application starts (caches sync) and stops. */
export type AppCluster = ClusterPort & {
  start(): Promise<void>;
  stop(): Promise<void> | void;
  informerRestarts?: () => number;
};

/** The Kubernetes adapters and the process's one API server connection. */
export interface KubernetesConnection {
  readonly kubernetes: KubernetesComposition;
  readonly clients: KubernetesClients;
}

export interface ConfiguredClusterOptions {
  readonly config: Pick<Config, "cluster" | "identity" | "legacyAnnotation" | "namespaces">;
  /** The Kubernetes adapters `loadKubernetes` loaded. Undefined: no connection (the embedded demo, memory store). */
  readonly kubernetes: KubernetesComposition | undefined;
  /** Used instead of the configured cluster (tests; not seeded: the test adds its workloads). Default: from the config. */
  readonly injected?: SimulatedCluster;
  readonly keys: MetadataKeys;
  readonly logger: CoreLogger;
  /** Told of every Kubernetes API request (update_manager_kubernetes_api_requests_total). Default: none. */
  readonly onApiRequest?: (event: ApiRequestEvent) => void;
  /** Where the informer lag and relist metrics go, once there is a connection. Default: none. */
  readonly metrics?: Registry;
}

export interface ConfiguredCluster {
  readonly cluster: AppCluster;
  /** With a real cluster or the UpdateRun store (UPDATE_MANAGER_STORE=kubernetes): the connection. Undefined: none. */
  readonly connection: KubernetesConnection | undefined;
  /** The same connection when the cluster is a real one; undefined on the embedded demo and an injected cluster. */
  readonly real: KubernetesConnection | undefined;
}

/** The cluster adapter: the embedded demo (seeded with its workloads), or a real cluster through client-node. */
function createCluster(
  config: ConfiguredClusterOptions["config"],
  real: KubernetesConnection | undefined,
  keys: MetadataKeys,
  logger: CoreLogger,
): AppCluster {
  if (real === undefined) {
    const cluster = createSimulatedCluster({ keys, legacyAnnotation: config.legacyAnnotation });
    seedDemoCluster(cluster);
    return { ...cluster, start: async () => cluster.start() };
  }
  const { onApiRequest, informerEvents } = real.clients.observers;
  return real.kubernetes.createKubernetesCluster({
    kubeConfig: real.clients.kubeConfig,
    keys,
    legacyAnnotation: config.legacyAnnotation,
    logger,
    ...(config.namespaces.all ? {} : { namespaces: config.namespaces.names }),
    ...(onApiRequest === undefined ? {} : { onApiRequest }),
    ...(informerEvents === undefined ? {} : { informerEvents }),
  });
}

/**
 * The Kubernetes adapters (and client-node), loaded only when a real cluster or the UpdateRun store
 * (UPDATE_MANAGER_STORE=kubernetes) needs them. Undefined: neither does.
 */
export async function loadKubernetes(
  config: Pick<Config, "cluster" | "store">,
  injected: SimulatedCluster | undefined,
): Promise<KubernetesComposition | undefined> {
  return (config.cluster.mode === "kubernetes" && injected === undefined) || config.store === "kubernetes"
    ? await import("./kubernetes-composition.js")
    : undefined;
}

/**
 * The cluster the application works on and, with the Kubernetes adapters loaded (`loadKubernetes`), its connection:
 * the embedded demo, a real cluster (UPDATE_MANAGER_CLUSTER), or a simulated cluster a test hands in.
 */
export function createConfiguredCluster(options: ConfiguredClusterOptions): ConfiguredCluster {
  const { config, injected, kubernetes } = options;
  // One connection to the API server for every Kubernetes adapter, each request counted.
  const connection =
    kubernetes === undefined
      ? undefined
      : {
          kubernetes,
          clients: kubernetes.connectKubernetes(config.identity, {
            ...(options.onApiRequest === undefined ? {} : { onApiRequest: options.onApiRequest }),
            ...(options.metrics === undefined ? {} : { informerEvents: createInformerMetrics(options.metrics) }),
          }),
        };
  const real = config.cluster.mode === "kubernetes" && injected === undefined ? connection : undefined;
  const cluster: AppCluster =
    injected === undefined ? createCluster(config, real, options.keys, options.logger) : { ...injected, start: async () => injected.start() };
  return { cluster, connection, real };
}
