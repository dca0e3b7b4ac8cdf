import { KubeConfig } from "@kubernetes/client-node";
import { managerUserAgent, sendUserAgent } from "./cluster/kubernetes/user-agent.js";

// Everything the composition root needs from the Kubernetes adapters, in one module that src/app.ts imports only
// when a real cluster is used: @kubernetes/client-node alone costs about 60 MiB of memory, which the embedded
// demo cluster has no use for.
export { createAvailableUpdateEvents } from "./cluster/kubernetes/available-update-events.js";
export { createKubernetesCluster } from "./cluster/kubernetes/kubernetes-cluster.js";
export { createKubernetesRegistryAccess } from "./cluster/kubernetes/kubernetes-registry-access.js";
export { createRestClient } from "./cluster/kubernetes/rest-client.js";
export { createConfigMapWatchStateStore } from "./store/kubernetes/config-map-watch-state-store.js";
export { createKubernetesPersistence } from "./store/kubernetes/kubernetes-persistence.js";

/**
 * The kubeconfig client-go would use: KUBECONFIG, ~/.kube/config, or the pod's ServiceAccount; every request made
 * with it says `User-Agent: update-manager/<identity>` (this replica's identity, the pod name).
 */
export function loadKubeConfig(identity: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return sendUserAgent(kubeConfig, managerUserAgent(identity));
}

/** This module, as the composition root and the registry watch's wiring receive it. */
export type KubernetesComposition = typeof import("./kubernetes-composition.js");
