import { KubeConfig } from "@kubernetes/client-node";

// Everything the composition root needs from the Kubernetes adapters, in one module that src/app.ts imports only
// when a real cluster is used: @kubernetes/client-node alone costs about 60 MiB of memory, which the embedded
// demo cluster has no use for.
export { createAvailableUpdateEvents } from "./cluster/kubernetes/available-update-events.js";
export { createKubernetesCluster } from "./cluster/kubernetes/kubernetes-cluster.js";
export { createKubernetesNodePlans } from "./cluster/kubernetes/node-plans/kubernetes-node-plans.js";
export { createHttpChannelResolver } from "./channel/http-channel-resolver.js";
export { createKubernetesRegistryAccess } from "./cluster/kubernetes/kubernetes-registry-access.js";
export { createRestClient } from "./cluster/kubernetes/rest-client.js";
export { createConfigMapWatchStateStore } from "./store/kubernetes/config-map-watch-state-store.js";
export { createKubernetesPersistence } from "./store/kubernetes/kubernetes-persistence.js";

/** The kubeconfig client-go would use: KUBECONFIG, ~/.kube/config, or the pod's ServiceAccount. */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** This module, as the composition root and the registry watch's wiring receive it. */
export type KubernetesComposition = typeof import("./kubernetes-composition.js");
