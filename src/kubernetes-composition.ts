import type { ApiRequestEvent } from "./cluster/kubernetes/api-request-event.js";
import type { InformerEvents } from "./cluster/kubernetes/informer-events.js";
import type { KubeConnection } from "./cluster/kubernetes/kube-connection.js";
import { createRestClient, type RestClient, type RestClientOptions } from "./cluster/kubernetes/rest-client.js";
import { loadKubeConnection } from "./cluster/kubernetes/kube-connection-loader.js";
import { managerUserAgent, sendUserAgent } from "./cluster/kubernetes/user-agent.js";

// Everything the composition root needs from the Kubernetes adapters, in one module the composition root imports
// (loadKubernetes in configured-cluster-composition.ts) only when a real cluster is used. None of them imports @kubernetes/client-node at run time (its generated API alone
// costs about 70 MiB of memory): they use its types only, and talk to the API server through rest-client.ts and
// watch-stream.ts. A kubeconfig only client-node understands (exec plugins, auth providers) loads it on first use.
export { createAvailableUpdateEvents } from "./cluster/kubernetes/available-update-events.js";
export { createKubernetesCluster } from "./cluster/kubernetes/kubernetes-cluster.js";
export { createKubernetesStepEvents } from "./cluster/kubernetes/kubernetes-step-events.js";
export { createKubernetesNodePlans } from "./cluster/kubernetes/node-plans/kubernetes-node-plans.js";
export { checkNodePlanAccess } from "./cluster/kubernetes/node-plans/check-node-plan-access.js";
export { createHttpChannelResolver } from "./channel/http-channel-resolver.js";
export { createKubernetesRegistryAccess } from "./cluster/kubernetes/kubernetes-registry-access.js";
export { createConfigMapNotificationDedupeStore } from "./store/kubernetes/config-map-notification-dedupe-store.js";
export { createConfigMapWatchStateStore } from "./store/kubernetes/config-map-watch-state-store.js";
export { createKubernetesPersistence } from "./store/kubernetes/kubernetes-persistence.js";

/** What every Kubernetes REST client of the process reports to (metrics). */
export interface KubernetesObservers {
  /** Each API request (update_manager_kubernetes_api_requests_total). Default: none. */
  readonly onApiRequest?: (event: ApiRequestEvent) => void;
  /** The versions writes produced and informers delivered, and relists (informer lag metrics). Default: none. */
  readonly informerEvents?: InformerEvents;
}

/** The process's connection to the API server, loaded once and shared by every Kubernetes adapter. */
export interface KubernetesClients {
  readonly kubeConfig: KubeConnection;
  /** A REST client on the connection that reports to the observers. */
  rest(): RestClient;
  /** For adapters that make their REST clients themselves (the cluster, the persistence): pass these on. */
  readonly observers: KubernetesObservers;
}

/** The clients of one connection (tests pass a connection to a fake API server). */
export function createKubernetesClients(kubeConfig: KubeConnection, observers: KubernetesObservers = {}): KubernetesClients {
  const restOptions: RestClientOptions = {
    ...(observers.onApiRequest === undefined ? {} : { onRequest: observers.onApiRequest }),
    ...(observers.informerEvents === undefined ? {} : { informerEvents: observers.informerEvents }),
  };
  return { kubeConfig, rest: () => createRestClient(kubeConfig, restOptions), observers };
}

/**
 * Loads the kubeconfig client-go would use (KUBECONFIG, ~/.kube/config, or the pod's ServiceAccount) once; every
 * request made with it says `User-Agent: update-manager/<identity>` (this replica's identity, the pod name).
 *
 * @throws Error when a kubeconfig cannot be read or names a context, cluster or user it does not define.
 */
export function connectKubernetes(identity: string, observers: KubernetesObservers = {}): KubernetesClients {
  return createKubernetesClients(sendUserAgent(loadKubeConnection(), managerUserAgent(identity)), observers);
}

/** This module, as the composition root and the registry watch's wiring receive it. */
export type KubernetesComposition = typeof import("./kubernetes-composition.js");
