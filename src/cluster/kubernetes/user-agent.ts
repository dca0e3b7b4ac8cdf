import type { KubeConfig } from "@kubernetes/client-node";

/**
 * The User-Agent of one replica: `update-manager/<identity>` (the pod name), so that the API server's audit log
 * tells replicas apart (which one wrote, and whether an old leader wrote after losing its Lease). Characters a
 * header value may not carry are replaced by `_`.
 */
export function managerUserAgent(identity: string): string {
  return `update-manager/${identity.replace(/[^\x21-\x7e]/g, "_")}`;
}

/**
 * Makes every request sent with `kubeConfig` carry `userAgent`: the adapter's REST client and client-node's Watch
 * (both through `applyToHTTPSOptions`; `applyToFetchOptions` calls it) and the generated API clients and informers
 * (`applySecurityAuthentication`). Without it client-node's requests say `node-fetch`, the REST client's nothing.
 * Returns the same KubeConfig.
 */
export function sendUserAgent(kubeConfig: KubeConfig, userAgent: string): KubeConfig {
  const applyToHTTPSOptions = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
  const applySecurityAuthentication = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applyToHTTPSOptions = async (options) => {
    await applyToHTTPSOptions(options);
    options.headers = { ...options.headers, "user-agent": userAgent };
  };
  kubeConfig.applySecurityAuthentication = async (context) => {
    await applySecurityAuthentication(context);
    context.setHeaderParam("User-Agent", userAgent);
  };
  return kubeConfig;
}
