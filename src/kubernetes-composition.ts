import type { KubeConnection } from "./cluster/kubernetes/kube-connection.js";
import { loadKubeConnection } from "./cluster/kubernetes/kube-connection-loader.js";
import { managerUserAgent, sendUserAgent } from "./cluster/kubernetes/user-agent.js";

// Everything the composition root needs from the Kubernetes adapters, in one module that src/app.ts imports only
// when a real cluster is used. None of them imports @kubernetes/client-node at run time (its generated API alone
// costs about 70 MiB of memory): they use its types only, and talk to the API server through rest-client.ts and
// watch-stream.ts. A kubeconfig only client-node understands (exec plugins, auth providers) loads it on first use.
export { createAvailableUpdateEvents } from "./cluster/kubernetes/available-update-events.js";
export { createKubernetesCluster } from "./cluster/kubernetes/kubernetes-cluster.js";
export { createKubernetesStepEvents } from "./cluster/kubernetes/kubernetes-step-events.js";
export { createKubernetesNodePlans } from "./cluster/kubernetes/node-plans/kubernetes-node-plans.js";
export { checkNodePlanAccess } from "./cluster/kubernetes/node-plans/check-node-plan-access.js";
export { createHttpChannelResolver } from "./channel/http-channel-resolver.js";
export { createKubernetesRegistryAccess } from "./cluster/kubernetes/kubernetes-registry-access.js";
export { createRestClient } from "./cluster/kubernetes/rest-client.js";
export { createConfigMapNotificationDedupeStore } from "./store/kubernetes/config-map-notification-dedupe-store.js";
export { createConfigMapWatchStateStore } from "./store/kubernetes/config-map-watch-state-store.js";
export { createKubernetesPersistence } from "./store/kubernetes/kubernetes-persistence.js";

/**
 * The kubeconfig client-go would use: KUBECONFIG, ~/.kube/config, or the pod's ServiceAccount; every request made
 * with it says `User-Agent: update-manager/<identity>` (this replica's identity, the pod name).
 */
export function loadKubeConfig(identity: string): KubeConnection {
  return sendUserAgent(loadKubeConnection(), managerUserAgent(identity));
}

/** This module, as the composition root and the registry watch's wiring receive it. */
export type KubernetesComposition = typeof import("./kubernetes-composition.js");
