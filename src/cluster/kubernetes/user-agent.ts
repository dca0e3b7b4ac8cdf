import type { KubeConnection } from "./kube-connection.js";

/**
 * The User-Agent of one replica: `update-manager/<identity>` (the pod name), so that the API server's audit log
 * tells replicas apart (which one wrote, and whether an old leader wrote after losing its Lease). Characters a
 * header value may not carry are replaced by `_`.
 */
export function managerUserAgent(identity: string): string {
  return `update-manager/${identity.replace(/[^\x21-\x7e]/g, "_")}`;
}

/**
 * Makes every request sent with `connection` carry `userAgent`: the REST client and the watches both take their
 * options from `applyToHTTPSOptions` (as does client-node, for a kubeconfig only it understands). Without it the
 * requests say nothing, and the audit log cannot tell replicas apart. Returns the same connection.
 */
export function sendUserAgent<T extends KubeConnection>(connection: T, userAgent: string): T {
  const applyToHTTPSOptions = connection.applyToHTTPSOptions.bind(connection);
  connection.applyToHTTPSOptions = async (options) => {
    await applyToHTTPSOptions(options);
    options.headers = { ...options.headers, "user-agent": userAgent };
  };
  return connection;
}
