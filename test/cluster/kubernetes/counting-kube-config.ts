import type { KubeConfig } from "@kubernetes/client-node";

/** Counts the HTTP requests sent with a KubeConfig. */
export interface RequestCounter {
  /** Requests so far: lists, watches, gets, patches, creates. */
  count(): number;
}

/**
 * Counts every request made with `kubeConfig`: each one, whether client-node's Watch, a generated
 * API client or the adapter's REST client, asks the KubeConfig for its credentials exactly once
 * (applyToHTTPSOptions, which applyToFetchOptions calls, or applySecurityAuthentication).
 */
export function countRequests(kubeConfig: KubeConfig): RequestCounter {
  let count = 0;
  const applyToHTTPSOptions = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
  const applySecurityAuthentication = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applyToHTTPSOptions = (options) => {
    count++;
    return applyToHTTPSOptions(options);
  };
  kubeConfig.applySecurityAuthentication = (context) => {
    count++;
    return applySecurityAuthentication(context);
  };
  return { count: () => count };
}
