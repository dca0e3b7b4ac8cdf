import type { RequestOptions } from "node:https";

/**
 * Where the API server is and how to authenticate to it: all the adapters need of a kubeconfig. client-node's
 * `KubeConfig` has this shape (tests build one with `loadFromOptions`); the process loads its own with
 * `loadKubeConnection` (kube-connection-loader.ts), which does not load client-node's generated API.
 */
export interface KubeConnection {
  /** The current context's cluster; null when there is none. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Adds credentials, TLS settings and the agent to a request's options; called once per request. */
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}
