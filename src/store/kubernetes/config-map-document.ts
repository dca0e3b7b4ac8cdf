import type { RestClient } from "../../cluster/kubernetes/rest-client.js";

/** The parts of a ConfigMap the manager's small documents (quarantine, registry watch state) use. */
export interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/** Where one of the manager's ConfigMaps lives. */
export interface ConfigMapLocation {
  readonly namespace: string;
  readonly name: string;
}

export function configMapPaths(location: ConfigMapLocation): { readonly collection: string; readonly path: string } {
  const collection = `/api/v1/namespaces/${encodeURIComponent(location.namespace)}/configmaps`;
  return { collection, path: `${collection}/${encodeURIComponent(location.name)}` };
}

/**
 * Writes `data` over what `current` (the ConfigMap as last read, or undefined when there was none)
 * holds: a create, or a merge patch carrying its resourceVersion, so a concurrent writer makes this
 * one fail with 409 and the caller re-reads instead of overwriting. Resolves with the ConfigMap written.
 */
export async function writeConfigMapData(
  rest: RestClient,
  location: ConfigMapLocation,
  current: ConfigMap | undefined,
  data: Record<string, string>,
): Promise<ConfigMap> {
  const { collection, path } = configMapPaths(location);
  if (current === undefined) {
    return rest.request<ConfigMap>({
      method: "POST",
      path: collection,
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: location.name, namespace: location.namespace, labels: { "app.kubernetes.io/managed-by": "update-manager" } },
        data,
      },
    });
  }
  return rest.request<ConfigMap>({
    method: "PATCH",
    path,
    contentType: "application/merge-patch+json",
    body: { metadata: { resourceVersion: current.metadata.resourceVersion }, data },
  });
}
